"""Every config parsed by the repository CLI and fitted shrunk in-process; the smoke run is the
spec's end-to-end check: stage 1 → scores → pairs → DPO steps → LoRA saved and reloaded → a
sampled image of the right shape."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from curriculum_dpo.rewards import REWARDS
from curriculum_dpo.testing import write_pickapic
from datasets import Dataset

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT / "configs").glob("*.yaml"))
PLAIN_DPO = PROJECT / "configs" / "paper" / "plain_dpo.yaml"
PAPER = sorted(p for p in (PROJECT / "configs" / "paper").glob("*.yaml") if p != PLAIN_DPO)
PAPER_SD21 = PROJECT / "configs" / "paper" / "sd21_animals_aesthetic.yaml"
STABLE_DIFFUSION = [p for p in PAPER if p.stem.startswith("sd")]
TASKS = sorted((PROJECT / "configs" / "paper" / "tasks").glob("*.yaml"))


def test_every_config_is_covered() -> None:
    every = {
        p.relative_to(PROJECT / "configs").as_posix() for p in (PROJECT / "configs").rglob("*.yaml")
    }
    covered = CONFIGS + PAPER + TASKS + [PLAIN_DPO]
    assert every == {p.relative_to(PROJECT / "configs").as_posix() for p in covered}
    assert {p.name for p in CONFIGS} == {"default.yaml", "lcm_smoke.yaml", "smoke.yaml"}
    assert {p.name for p in PAPER} == {"sd15_animals_aesthetic.yaml", "sd21_animals_aesthetic.yaml",
                                       "lcm_dreamshaper_animals_aesthetic.yaml"}  # fmt: skip
    tasks = {f"{p}_{r}" for p in ("animals", "drawbench", "pickapic") for r in REWARD_OF}
    assert {p.stem for p in TASKS} | {"animals_aesthetic"} == tasks  # animals_aesthetic: the bases


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_config_runs_shrunk_end_to_end(config: Path, toy_smoke_overrides: list[str]) -> None:
    from curriculum_dpo.bases import load_base, sample_images

    args = ["--config", str(config), *toy_smoke_overrides, "--trainer.log_every_n_steps=1"]
    cli = ReproCLI(PROJECT.name, config.stem, args=args)
    summary = cli.fit_and_test()
    assert math.isfinite(summary["last"]["test/reward"])
    assert 0 <= summary["last"]["test/reward_base"] <= 1
    run = Path(summary["run_dir"])
    assert json.loads((run / "metrics.json").read_text())["last"]
    # the first step starts exactly at log 2 (LoRA B = 0: the policy equals the reference)
    rows = (run / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    losses = [r.split(",")[header.index("train/loss")] for r in rows[1:]]
    assert float(next(v for v in losses if v)) == pytest.approx(math.log(2), abs=1e-6)
    curve = json.loads((run / "reward_curve.json").read_text())
    every = next(
        c for c in cli.trainer.callbacks if type(c).__name__ == "RewardCurve"
    ).every_n_steps
    assert curve["steps"] == ([0, 2] if every <= 2 else [0])  # 2 steps, evaluated every `every`
    assert all(0 <= r <= 1 for r in curve["rewards"]) and 0 <= curve["area"] <= 1
    # the LoRA in diffusers format reloads into a fresh base UNet and reproduces the policy
    lora = run / "lora" / "pytorch_lora_weights.safetensors"
    assert lora.is_file()
    fresh = load_base("toy-smoke")
    fresh.unet.load_lora_adapter(str(lora.parent), weight_name=lora.name, prefix="unet")
    x, t = torch.randn(1, 3, 8, 8), torch.tensor([300])
    context = torch.randn(1, 8, 32)
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert last and all("lora" in k for k in last)  # checkpoints hold the adapter only
    cli.model.load_state_dict(last, strict=False)  # testing `best` loaded that checkpoint
    policy = cli.model.policy.eval()
    assert torch.allclose(fresh.unet(x, t, context).sample, policy(x, t, context).sample, atol=1e-5)
    generator = torch.Generator().manual_seed(0)
    image = sample_images(fresh, fresh.unet, ["red"], steps=2, guidance=7.5, generator=generator)
    assert image.shape == (1, 3, 8, 8)


REWARD_OF = {"aesthetic": "aesthetic_score", "human": "human_score", "text": "llava_bertscore"}


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Stable Diffusion repository (tokenizer, text encoder, VAE, UNet, scheduler)."""
    from shared.diffusion import tiny_parts

    folder = tmp_path_factory.mktemp("tiny-sd")
    parts = tiny_parts(folder / "scratch", ["a cat", "a dog"], block_out_channels=(16, 32))
    for name in ("tokenizer", "text_encoder", "vae", "unet"):
        getattr(parts, name).save_pretrained(folder / name)
    parts.noise_scheduler.save_pretrained(folder / "scheduler")
    return folder


def tiny_paper_args(configs: list[Path], tiny_sd: Path, reward: str) -> list[str]:
    """``configs`` on a tiny SD in latent space (through its VAE) instead of the real weights,
    with the reward's tiny stand-in and a few prompts and steps."""
    stand_in = json.dumps(dict(REWARDS.entry(reward).test_kwargs))
    return [
        *(arg for config in configs for arg in ("--config", str(config))),
        "--trainer.max_steps=2",
        "--trainer.log_every_n_steps=1",
        "--trainer.enable_progress_bar=false",
        f"--model.init_args.base={tiny_sd}",
        f"--data.init_args.base={tiny_sd}",
        "--model.init_args.eval_steps=1",
        f"--data.init_args.reward_args={stand_in}",
        "--data.init_args.tau=0.0",
        "--data.init_args.prompts=[a cat, a dog]",
        "--data.init_args.per_prompt=3",
        "--data.init_args.sampling_steps=2",
        "--data.init_args.eval_per_prompt=1",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("config", STABLE_DIFFUSION, ids=lambda p: p.stem)
def test_paper_config_fits_on_a_tiny_stable_diffusion(config: Path, tiny_sd: Path) -> None:
    """The paper settings of each SD base on animals and the aesthetic reward (the LCM one:
    tests/test_lcm.py, on a tiny latent consistency model)."""
    args = tiny_paper_args([config], tiny_sd, "aesthetic_score")
    cli = ReproCLI(PROJECT.name, config.stem, args=args)
    hparams, data = cli.model.hparams, cli.datamodule.hparams
    assert (hparams.lora_rank, hparams.empty_prompt_rate, cli.model.objective.beta) == (
        8,
        0.25,
        2000,
    )
    settings = (data.per_prompt, data.num_levels, data.batch_size, data.reward)
    assert settings == (3, 5, 8, "aesthetic_score")
    summary = cli.fit_and_test()
    assert math.isfinite(summary["last"]["test/reward"])
    assert cli.model.vae is not None  # trained on VAE latents
    stage1 = cli.datamodule.images[0]["image"]
    assert stage1.size == (16, 16)  # decoded by the tiny VAE


@pytest.mark.parametrize("plain", [False, True], ids=["curriculum", "plain_dpo"])
@pytest.mark.parametrize("task", TASKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("base", PAPER, ids=lambda p: p.stem)
def test_every_base_and_task_compose(base: Path, task: Path, plain: bool) -> None:
    """base → (plain DPO) → task resolves to the task's prompts and reward, the base's model and
    budget, and 5 levels (1 for plain DPO); the run is named after the task."""
    from shared.cli import config_name

    configs = [base, *([PLAIN_DPO] if plain else []), task]
    args = [arg for config in configs for arg in ("--config", str(config))]
    cli = ReproCLI(PROJECT.name, config_name(args), instantiate=False, args=args)
    data, model = cli.config.data.init_args, cli.config.model.init_args
    prompts, reward = task.stem.split("_")
    assert data.reward == REWARD_OF[reward] and data.reward_args
    assert data.num_levels == (1 if plain else 5) and cli.config.trainer.max_steps == 2500
    assert model.base == data.base and cli.config_name == task.stem
    pickapic = cli.config.data.class_path.endswith("PickaPicDataModule")
    assert pickapic == (prompts == "pickapic")
    if not pickapic:
        assert data.prompts == {"animals": "animal_activities", "drawbench": "drawbench"}[prompts]


@pytest.fixture(scope="module")
def tiny_pickapic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pick-a-Pic train and test splits of 16 px JPEG pairs and the train split's scores."""
    folder = tmp_path_factory.mktemp("pickapic")
    write_pickapic(folder / "train", ["a cat", "a dog", "a cat", "a dog"], size=(20, 16))
    write_pickapic(folder / "test", ["a fox", "a fox"], size=(16, 16))
    Dataset.from_dict({"image_0_score": [0.9, 0.2, 0.5, 0.3],
                       "image_1_score": [0.3, 0.6, 0.2, 0.8]}).save_to_disk(str(folder / "scores"))  # fmt: skip
    return folder


SERVER_TASKS = [t for t in TASKS if t.stem.endswith("_text") and not t.stem.startswith("pickapic")]


@pytest.mark.parametrize("task", SERVER_TASKS, ids=lambda p: p.stem)
def test_text_tasks_score_with_the_official_llava_server(task: Path) -> None:
    """Stage 1 of these tasks is scored by the LLaVA server (not here: its tiny stand-in gives a
    toy image one caption, hence a constant reward that the pair builder refuses)."""
    from curriculum_dpo.rewards_text import LlavaServerCaptioner

    args = yaml.safe_load(task.read_text())["data"]["init_args"]["reward_args"]
    reward = REWARDS.build("llava_bertscore", **args)
    assert isinstance(reward.captioner, LlavaServerCaptioner) and reward.scorer is None
    assert args["url"] == "http://127.0.0.1:8085"  # the official server's address


@pytest.mark.slow
@pytest.mark.parametrize("task", [t for t in TASKS if t not in SERVER_TASKS], ids=lambda p: p.stem)
def test_task_overlays_fit_on_a_tiny_stable_diffusion(
    task: Path, tiny_sd: Path, tiny_pickapic: Path
) -> None:
    """Each task on the SD 2.1 base, shrunk to the tiny SD and the reward's stand-in."""
    reward = REWARD_OF[task.stem.split("_")[1]]
    args = tiny_paper_args([PAPER_SD21, task], tiny_sd, reward)
    if task.stem.startswith("pickapic"):
        args += [f"--data.init_args.{key}_dir={tiny_pickapic / folder}"
                 for key, folder in (("data", "train"), ("score", "scores"), ("test", "test"))]  # fmt: skip
        args.append("--data.init_args.resolution=16")
    cli = ReproCLI(PROJECT.name, task.stem, args=args)
    summary = cli.fit_and_test()
    assert cli.datamodule.reward_name == reward
    assert math.isfinite(summary["last"]["test/reward"])
    if task.stem.startswith("pickapic"):  # evaluated on the test split's captions
        assert cli.datamodule.prompts == ["a fox"]
        assert cli.datamodule.pairs[0][0].shape == (3, 16, 16)
