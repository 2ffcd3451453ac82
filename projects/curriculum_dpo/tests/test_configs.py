"""Every config parsed by the repository CLI and fitted shrunk in-process; the smoke run is the
spec's end-to-end check: stage 1 → scores → pairs → DPO steps → LoRA saved and reloaded → a
sampled image of the right shape."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT / "configs").glob("*.yaml"))
PAPER = sorted((PROJECT / "configs" / "paper").glob("*.yaml"))


def test_every_config_is_covered() -> None:
    every = {
        p.relative_to(PROJECT / "configs").as_posix() for p in (PROJECT / "configs").rglob("*.yaml")
    }
    assert every == {p.relative_to(PROJECT / "configs").as_posix() for p in CONFIGS + PAPER}
    assert {p.name for p in CONFIGS} == {"default.yaml", "lcm_smoke.yaml", "smoke.yaml"}
    assert {p.name for p in PAPER} == {"sd15_animals_aesthetic.yaml", "sd21_animals_aesthetic.yaml"}


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


@pytest.mark.slow
@pytest.mark.parametrize("config", PAPER, ids=lambda p: p.stem)
def test_paper_config_fits_on_a_tiny_stable_diffusion(config: Path, tiny_sd: Path) -> None:
    """The paper settings, on a tiny SD in latent space (through its VAE) instead of the real
    weights, with the tiny aesthetic stand-in and a few prompts and steps."""
    args = [
        "--config",
        str(config),
        "--trainer.max_steps=2",
        "--trainer.log_every_n_steps=1",
        "--trainer.enable_progress_bar=false",
        f"--model.init_args.base={tiny_sd}",
        f"--data.init_args.base={tiny_sd}",
        "--model.init_args.eval_steps=1",
        "--data.init_args.reward_args={clip: tiny}",
        "--data.init_args.tau=0.0",
        "--data.init_args.prompts=[a cat, a dog]",
        "--data.init_args.per_prompt=3",
        "--data.init_args.sampling_steps=2",
        "--data.init_args.eval_per_prompt=1",
    ]
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
