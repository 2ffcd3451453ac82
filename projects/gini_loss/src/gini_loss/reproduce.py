"""`make reproduce-gini_loss`: CE vs CE + Gini + KL on the digits protocol, seeds 0-4, one process.

Settings: the full training split, the reduced one (20 images per class) where accuracy has room
to move, and a lambda_Gini sweep {1, 2} on the full split. Per run: test accuracy at the last and
the best-validation epoch; on the last-epoch model, the test- and train-set feature Gini of the
tap (live filters; dead ones counted apart) and a linear probe on the pooled features. Writes
``results/gini_loss/`` (refuses to overwrite unless ``OVERWRITE=1``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from gini_loss.analysis import linear_probe_accuracy, pooled_features, split_feature_gini
from gini_loss.figures import plot_filter_distributions
from shared.cli import ReproCLI
from shared.results import (
    Measurement,
    ResultRow,
    Results,
    plot_metric,
    results_dir,
    stamp,
    write_results,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEEDS = [0, 1, 2, 3, 4]


@dataclass(frozen=True)
class Arm:
    setting: str
    method: str
    lambda_gini: float
    lambda_kl: float
    train_per_class: int | None = None

    @property
    def slug(self) -> str:
        size = "full" if self.train_per_class is None else f"{self.train_per_class}pc"
        return f"reproduce-{size}-g{self.lambda_gini:g}-kl{self.lambda_kl:g}"


FULL, REDUCED = "digits, full train split (1,078)", "digits, 20 train images/class (200)"
ARMS = [
    Arm(FULL, "CE", 0.0, 0.0),
    Arm(FULL, "CE + 0.5 Gini + 0.5 KL", 0.5, 0.5),
    Arm(FULL, "CE + 1 Gini + 0.5 KL", 1.0, 0.5),
    Arm(FULL, "CE + 2 Gini + 0.5 KL", 2.0, 0.5),
    Arm(REDUCED, "CE", 0.0, 0.0, 20),
    Arm(REDUCED, "CE + 0.5 Gini + 0.5 KL", 0.5, 0.5, 20),
]
METRICS = {
    "acc_last": "test acc, last epoch (%)",
    "acc_best": "test acc, best-val epoch (%)",
    "gini_test": "test feature Gini x100 (live filters)",
    "gini_train": "train feature Gini x100 (live filters)",
    "dead": "dead filters on test (of 128)",
    "probe": "linear-probe test acc (%)",
}


def run_one(arm: Arm, seed: int, extra_args: list[str]) -> tuple[dict[str, float], Any]:
    """Train one arm with one seed; return its numbers and the test-set class distribution."""
    args = [
        "--config", str(PROJECT_DIR / "configs" / "default.yaml"),
        f"--seed_everything={seed}",
        f"--model.init_args.lambdas_gini=[{arm.lambda_gini}]",
        f"--model.init_args.lambdas_kl=[{arm.lambda_kl}]",
        f"--data.init_args.train_per_class={arm.train_per_class or 'null'}",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        *extra_args,
    ]  # fmt: skip
    cli = ReproCLI(PROJECT_DIR.name, arm.slug, args=args)
    summary = cli.fit_and_test()
    model, data = cli.model, cli.datamodule
    last = torch.load(cli.run.checkpoints / "last.ckpt", map_location="cpu", weights_only=False)
    model.load_state_dict(last["state_dict"])
    train, test = (DataLoader(data.datasets[split], batch_size=256) for split in ("train", "test"))
    test_gini, train_gini = split_feature_gini(model, test)[0], split_feature_gini(model, train)[0]
    probe = linear_probe_accuracy(pooled_features(model, train), pooled_features(model, test))
    values = {
        "acc_last": 100 * summary["last"]["test/acc"],
        "acc_best": 100 * summary["best"]["test/acc"],
        "gini_test": 100 * test_gini.compute().item(),
        "gini_train": 100 * train_gini.compute().item(),
        "dead": float(test_gini.dead_filters()),
        "probe": probe,
    }
    return values, test_gini.class_distribution()


def paired_note(per_run: dict[tuple[Arm, int], dict[str, float]], seeds: list[int]) -> list[str]:
    """Per-seed differences (loss minus CE) of the mechanism and accuracy, for each setting."""
    notes = []
    for setting in dict.fromkeys(arm.setting for arm in ARMS):
        arms = [arm for arm in ARMS if arm.setting == setting]
        base = next(arm for arm in arms if arm.lambda_gini == 0)
        for arm in arms:
            if arm is base:
                continue
            for key in ("gini_test", "acc_best"):
                diffs = [per_run[arm, s][key] - per_run[base, s][key] for s in seeds]
                shown = ", ".join(f"{d:+.2f}" for d in diffs)
                notes.append(
                    f"{setting} · {arm.method} minus CE · {METRICS[key]} per seed: {shown}"
                )
    return notes


def reproduce(seeds: list[int], extra_args: list[str], out_dir: Path) -> Results:
    start = time.perf_counter()
    per_run, figure_panels = {}, []
    for arm in ARMS:
        for seed in seeds:
            per_run[arm, seed], distribution = run_one(arm, seed, extra_args)
            if seed == seeds[0] and arm.setting == FULL:
                gini = per_run[arm, seed]["gini_test"] / 100
                figure_panels.append((f"{arm.method}\ntest feature Gini {gini:.3f}", distribution))
    rows = [
        ResultRow(arm.setting, arm.method, label, Measurement.from_values([per_run[arm, s][key] for s in seeds], seeds))
        for arm in ARMS
        for key, label in METRICS.items()
    ]  # fmt: skip
    results = Results(
        project="gini_loss",
        title="DiscErn (CE + Gini + KL on layer4) on the digits protocol, CPU scale",
        rows=rows,
        stamp=stamp("make reproduce-gini_loss", seeds, time.perf_counter() - start),
        notes=[
            "Paper numbers: n/a (the paper's tables were not available from a verifiable source; "
            "this setting is not the paper's).",
            *paired_note(per_run, seeds),
        ],
    )
    write_results(results, out_dir)
    plot_metric(results, METRICS["acc_best"], out_dir / "accuracy.png", "test acc (%)")
    plot_metric(results, METRICS["gini_test"], out_dir / "feature_gini.png", "feature Gini x100")
    plot_filter_distributions(
        figure_panels,
        out_dir / "filter_class_distributions.png",
        f"digits test set, last epoch, seed {seeds[0]}: 128 layer4 filters x 10 classes",
    )
    return results


def main(argv: list[str] | None = None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument(
        "overrides", nargs="*", help="extra config overrides, e.g. --trainer.max_epochs=2"
    )
    args, extra = parser.parse_known_args(argv)
    out_dir = results_dir("gini_loss")
    results = reproduce(args.seeds, [f"--threads={args.threads}", *args.overrides, *extra], out_dir)
    print(results.to_markdown())
    return results


if __name__ == "__main__":
    main()
