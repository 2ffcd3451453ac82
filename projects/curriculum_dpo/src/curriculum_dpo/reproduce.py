"""`make reproduce-curriculum_dpo`: plain DPO vs Curriculum DPO on the embedded colour run at
equal step budgets (spec §10.1, shortened), seeds 0-2, run by :func:`shared.sweep.run`.

The two DPO arms are ``configs/default.yaml`` (the same pretrained tiny base, the same stage-1 samples
and brightness scores, 60 steps of 8 pairs, LoRA r=4, β=2000); plain DPO trains on every pair
from the start (one level), Curriculum DPO on 3 cumulative rank-gap levels of 20 steps each.
Reported: the area under the reward-vs-step curve (the mean brightness reward of fresh samples,
16 per evaluation: 4 per colour prompt, fixed seeds, at steps 0, 20, 40, 60; trapezoid rule over
the step span), and the final reward of the fine-tuned model and of the base from the same
seeds. The curves are kept in the records and drawn in ``reward_curves.png``.

A third arm runs the LCM path on the same config, in a setting of its own (its samples are
not the DDIM arms'): Curriculum Consistency-DPO (β=200, pseudo-Huber, DDIM grid of 50,
w ~ U[5, 15], LoRA on the official LCM targets, no empty prompts) with stage 1 and every
evaluation drawn by LCM sampling (8 steps), the same 3 levels of 20 steps, the LoRA in peft's
default init (as the official LCM script). The toy model is no consistency
model and has no guidance-embedding input: it is its own teacher and is fed no w embedding, so
the arm runs the LCM code path end to end rather than testing the paper's LCM claim.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from curriculum_dpo.figures import plot_reward_curves
from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Run, Sweep, run

SETTING = "colour toy, 8 px, 60 steps"
LCM_SETTING = "colour toy, 8 px, 60 steps, LCM path"
LCM_OVERRIDES = (
    "--model.init_args.objective=consistency",
    "--model.init_args.empty_prompt_rate=0.0",
    "--model.init_args.lora_targets=lcm",
    "--model.init_args.lora_init=true",
    "--model.init_args.eval_steps=8",
    "--data.init_args.sampling_steps=8",
)
METRICS = (
    Metric("reward_area", "area under reward vs step / steps", limits=(0.0, 1.0)),
    Metric("last/test/reward", "reward of fresh samples, fine-tuned", limits=(0.0, 1.0)),
    Metric("last/test/reward_base", "reward of fresh samples, base", limits=(0.0, 1.0)),
)
NOTES = (
    "Embedded run (spec §10.1, shortened): a tiny pixel-space text-to-image UNet pretrained here "
    "for 120 steps on generated colour images (colour × brightness U(0.2, 1) + noise), 16 "
    "stage-1 samples per colour prompt (DDIM 10 steps, guidance 7.5), reward = brightness of the "
    "prompt's colour channels, every within-prompt pair; 60 DPO steps of 8 pairs, LoRA r=4 on "
    "the attention projections, AdamW 1e-3, β=2000 with the ½ factor, 25 % empty prompts. "
    "The paper reports no numbers for this setting: paper column not available.",
    "LCM path (its own setting): the same toy base, stage 1 and evaluations by LCM sampling "
    "(8 steps; the toy has no guidance-embedding input, so no w embedding), Curriculum "
    "Consistency-DPO with β=200, pseudo-Huber c=0.001, a DDIM grid of 50, w ~ U[5, 15], the "
    "toy as its own teacher, LoRA r=4 on the official LCM targets (peft's default init), no empty "
    "prompts, 3 levels of 20 steps. A smoke run of the LCM code path: the paper reports no "
    "numbers for it.",
)


def measure(run: Run) -> dict[str, Any]:
    """The reward curve of :class:`~curriculum_dpo.callbacks.RewardCurve` and its area."""
    curve = json.loads((run.run_dir / "reward_curve.json").read_text())
    return {
        "reward_area": curve["area"],
        "reward_curve": np.array([curve["steps"], curve["rewards"]]),
    }


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    return [
        *(
            plot_metric(results, metric.label, out / f"{name}.png", metric.limits, "mean reward")
            for name, metric in (("reward_area", METRICS[0]), ("reward_final", METRICS[1]))
        ),
        plot_reward_curves(records, out / "reward_curves.png"),
    ]


SWEEP = Sweep(
    project="curriculum_dpo",
    title="Plain DPO vs Curriculum DPO on the embedded colour run, and its LCM path (CPU scale)",
    setting=SETTING,
    arms=(
        Arm("plain DPO", ("default.yaml",), ("--data.init_args.num_levels=1",)),
        Arm("Curriculum DPO (rank, 3 levels)", ("default.yaml",)),
        Arm(
            "Curriculum Consistency-DPO (rank, 3 levels)",
            ("default.yaml",),
            LCM_OVERRIDES,
            setting=LCM_SETTING,
        ),
    ),
    seeds=(0, 1, 2),
    metrics=METRICS,
    measure=measure,
    figures=figures,
    notes=NOTES,
)

if __name__ == "__main__":
    run(SWEEP)
