"""The LCM path: LCM sampling as diffusers' latent consistency pipeline draws it, the sampler
following the objective (stage 1 and evaluation), the kohya-key LoRA export reloaded by diffusers,
the LCM Dreamshaper paper config fitted on a tiny latent consistency model, and the
reproduction's LCM arm."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from curriculum_dpo import reproduce
from curriculum_dpo.bases import sample_images
from curriculum_dpo.data import PreferenceDataModule
from curriculum_dpo.lora import KOHYA_FILE, add_lora, kohya_state_dict, lora_state_dict, save_lora
from curriculum_dpo.module import CurriculumDPO
from curriculum_dpo.rewards import REWARDS
from curriculum_dpo.sampling import lcm_sample

from shared.cli import ReproCLI
from shared.diffusion import sd_noise_scheduler, tiny_parts, tiny_unet
from shared.errors import ConfigError
from shared.sweep import Arm

PROJECT = Path(__file__).resolve().parents[1]
LCM_CONFIG = PROJECT / "configs" / "paper" / "lcm_dreamshaper_animals_aesthetic.yaml"
PROMPTS = ["a cat", "a dog"]


def tiny_lcm(folder: Path, seed: int = 0):
    """A tiny latent consistency model: an SD-shaped pipeline whose UNet takes the guidance
    embedding (``time_cond_proj_dim`` 16)."""
    return tiny_parts(
        folder, PROMPTS, block_out_channels=(16, 32), time_cond_proj_dim=16, seed=seed
    )


class Spy(torch.nn.Module):
    """A UNet that records the batch, timestep and ``timestep_cond`` of every call."""

    def __init__(self, unet: torch.nn.Module) -> None:
        super().__init__()
        self.unet, self.config, self.calls = unet, unet.config, []

    def forward(self, x, t, context, timestep_cond=None):
        self.calls.append((len(x), int(t), timestep_cond))
        return self.unet(x, t, context, timestep_cond=timestep_cond)


# ------------------------------------------------------------------ sampling


def test_lcm_sampling_matches_the_diffusers_lcm_pipeline(tmp_path) -> None:
    from diffusers import LatentConsistencyModelPipeline, LCMScheduler

    parts = tiny_lcm(tmp_path / "tok")
    pipe = LatentConsistencyModelPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        tokenizer=parts.tokenizer,
        unet=parts.unet,
        scheduler=LCMScheduler.from_config(parts.noise_scheduler.config),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    # the pipeline's default guidance (8.5), as the official generation passes none
    expected = pipe(
        PROMPTS,
        num_inference_steps=4,
        generator=torch.Generator().manual_seed(0),
        output_type="pt",
    ).images

    def ours(guidance: float) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return sample_images(
            parts,
            parts.unet,
            PROMPTS,
            steps=4,
            guidance=guidance,
            generator=generator,
            sampler="lcm",
        )

    assert expected.shape == (2, 3, 16, 16)
    assert torch.allclose(ours(8.5), expected, atol=1e-5)
    assert (ours(9.5) - expected).abs().max() > 1e-3  # the guidance embedding acts


def test_lcm_sampling_feeds_the_embedding_of_w_minus_1_once_per_step() -> None:
    """8 steps on the LCM timesteps (the grid {19, ..., 999} of 50 reversed, every 6.25th),
    one conditional pass per step (no classifier-free double batch), timestep_cond = the
    sinusoidal embedding of (8.5 − 1)·1000."""
    unet = Spy(tiny_unet(block_out_channels=(16, 32), time_cond_proj_dim=16))
    context = torch.randn(3, 77, 32)
    with torch.no_grad():
        lcm_sample(unet, sd_noise_scheduler(), context, shape=(4, 8, 8), steps=8, guidance=8.5)
    assert [t for _, t, _ in unet.calls] == [999, 879, 759, 639, 499, 379, 259, 139]
    assert {size for size, _, _ in unet.calls} == {3}
    cond = unet.calls[0][2]
    assert cond.shape == (3, 16)
    # frequencies 10000^(−k/7), k = 0..7: sin half then cos half
    assert cond[0, 0].item() == pytest.approx(math.sin(7500.0), abs=1e-4)
    assert cond[0, 8].item() == pytest.approx(math.cos(7500.0), abs=1e-4)
    assert cond[0, 1].item() == pytest.approx(math.sin(7500.0 / 10000 ** (1 / 7)), abs=1e-4)


def test_lcm_sampling_of_a_model_without_guidance_input_is_the_consistency_step() -> None:
    """The embedded toy model has no ``time_cond_proj_dim``: no embedding is fed, and one step
    is f(x_T, 999) = c_skip·x_T + c_out·x̂0 with x̂0 = (x_T − sqrt(1 − ᾱ)ε̂)/sqrt(ᾱ)."""
    unet = Spy(tiny_unet(in_channels=3, block_out_channels=(16, 32)))
    scheduler = sd_noise_scheduler()
    context = torch.randn(2, 8, 32)
    with torch.no_grad():
        out = lcm_sample(
            unet,
            scheduler,
            context,
            shape=(3, 8, 8),
            steps=1,
            guidance=8.5,
            generator=torch.Generator().manual_seed(3),
        )
        x = torch.randn((2, 3, 8, 8), generator=torch.Generator().manual_seed(3))
        eps = unet.unet(x, 999, context).sample
    assert unet.calls == [(2, 999, None)]
    a = scheduler.alphas_cumprod[999].item()
    c_skip = 0.25 / (9990.0**2 + 0.25)
    c_out = 9990.0 / math.sqrt(9990.0**2 + 0.25)
    x0 = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
    assert torch.allclose(out, c_skip * x + c_out * x0, atol=1e-5)


# ------------------------------------------------------------------ the sampler follows the objective


@pytest.fixture(scope="module")
def lcm_module() -> CurriculumDPO:
    return CurriculumDPO(
        base="toy-smoke", objective="consistency", lora_rank=2, lora_targets="lcm", lora_init=True
    )


def test_the_objective_chooses_the_sampler_of_stage_1_and_the_evaluation(lcm_module) -> None:
    assert lcm_module.sampler == "lcm"
    assert CurriculumDPO(base="toy-smoke", lora_rank=2).sampler == "ddim"
    data = PreferenceDataModule()
    assert data.sampler == "ddim"  # no module attached, none set
    assert data._stage1_key() == "44f54942943d"  # DDIM stage 1: the key it had before LCM
    data.trainer = SimpleNamespace(lightning_module=lcm_module)
    assert data.sampler == "lcm"
    explicit = PreferenceDataModule(sampler="lcm")
    assert data._stage1_key() == explicit._stage1_key() != "44f54942943d"


def test_a_stage_1_sampler_against_the_objective_is_a_config_error(lcm_module) -> None:
    data = PreferenceDataModule(base="toy-smoke", sampler="ddim")
    data.trainer = SimpleNamespace(lightning_module=lcm_module)
    with pytest.raises(ConfigError, match=r"sampler of model\.init_args\.objective .consistency"):
        data.prepare_data()


def test_consistency_evaluation_samples_by_lcm(lcm_module, monkeypatch) -> None:
    import curriculum_dpo.module as module_file

    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        return torch.ones(len(args[2]), 3, 8, 8)

    monkeypatch.setattr(module_file, "sample_images", fake)
    reward = REWARDS.build("brightness")
    value = lcm_module.mean_reward(lcm_module.policy, [("red", 1), ("blue", 2)], reward)
    assert seen["sampler"] == "lcm" and value.item() == pytest.approx(1.0)


# ------------------------------------------------------------------ kohya export


def _trained_lora(unet: torch.nn.Module, rank: int, alpha: float | None = None):
    unet = add_lora(unet, "lcm", rank=rank, alpha=alpha, init=True)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "lora_B" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))  # as if trained
    return unet


def test_kohya_keys_and_alpha_as_the_official_lcm_conversion() -> None:
    unet = _trained_lora(tiny_unet(block_out_channels=(16, 32), time_cond_proj_dim=16), rank=8)
    kohya = kohya_state_dict(unet)
    attn = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    assert kohya[f"{attn}.lora_down.weight"].shape == (8, 16)
    assert kohya[f"{attn}.lora_up.weight"].shape == (16, 8)
    out = "lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_attn2_to_out_0"
    assert kohya[f"{out}.lora_down.weight"].shape == (8, 16)
    conv = "lora_unet_down_blocks_0_downsamplers_0_conv"
    assert kohya[f"{conv}.lora_down.weight"].shape == (8, 16, 3, 3)
    assert kohya[f"{conv}.lora_up.weight"].shape == (16, 8, 1, 1)
    assert "lora_unet_up_blocks_0_resnets_0_time_emb_proj.alpha" in kohya
    modules = len(lora_state_dict(unet)) // 2
    assert len(kohya) == 3 * modules
    alphas = [v for k, v in kohya.items() if k.endswith(".alpha")]
    assert len(alphas) == modules and all(a.item() == 8.0 for a in alphas)
    assert all(k.startswith("lora_unet_") and k.count(".") in (1, 2) for k in kohya)


@pytest.mark.parametrize(("alpha", "files"), [(8, (KOHYA_FILE,)), (4, (KOHYA_FILE, None))])
def test_the_kohya_file_loads_back_into_a_stock_pipeline(tmp_path, alpha, files) -> None:
    """Rank 4: with α = 8 (scale 2) the reload reproduces the UNet only if the file's alpha is
    the adapter's. With α = rank (the official configs) ``load_lora_weights(folder)`` still
    reads the diffusers-format file beside it (which stores no alpha)."""
    from diffusers import StableDiffusionPipeline

    unet = _trained_lora(tiny_lcm(tmp_path / "tok").unet, rank=4, alpha=alpha)
    save_lora(unet, tmp_path / "lora", kohya=True)
    _, alphas = StableDiffusionPipeline.lora_state_dict(str(tmp_path / "lora" / KOHYA_FILE))
    assert alphas and set(alphas.values()) == {float(alpha)}
    x, t = torch.randn(1, 4, 8, 8), torch.tensor([500])
    context, cond = torch.randn(1, 77, 32), torch.randn(1, 16)
    with torch.no_grad():
        trained = unet(x, t, context, timestep_cond=cond).sample
        for weight_name in files:
            pipe = tiny_lcm(tmp_path / "fresh").pipeline()
            base = pipe.unet(x, t, context, timestep_cond=cond).sample
            pipe.load_lora_weights(str(tmp_path / "lora"), weight_name=weight_name)
            loaded = pipe.unet(x, t, context, timestep_cond=cond).sample
            assert (base - trained).abs().max() > 1e-2
            assert torch.allclose(loaded, trained, atol=1e-5)


def test_save_lora_writes_the_kohya_copy_only_when_asked(tmp_path) -> None:
    unet = _trained_lora(tiny_unet(block_out_channels=(16, 32)), rank=2)
    save_lora(unet, tmp_path / "plain")
    assert [p.name for p in (tmp_path / "plain").iterdir()] == ["pytorch_lora_weights.safetensors"]


# ------------------------------------------------------------------ the paper config


@pytest.fixture(scope="module")
def tiny_lcm_repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny LCM repository (its scheduler saved as an LCMScheduler, as LCM Dreamshaper v7's)
    and a tiny teacher without the guidance input (Dreamshaper 7's role)."""
    from diffusers import LCMScheduler

    folders = []
    for name, dim in (("student", 16), ("teacher", None)):
        folder = tmp_path_factory.mktemp(name)
        parts = tiny_parts(folder / "scratch", PROMPTS, block_out_channels=(16, 32),
                           time_cond_proj_dim=dim, seed=0 if dim else 5)  # fmt: skip
        for part in ("tokenizer", "text_encoder", "vae", "unet"):
            getattr(parts, part).save_pretrained(folder / part)
        scheduler = LCMScheduler.from_config(parts.noise_scheduler.config) if dim else None
        (scheduler or parts.noise_scheduler).save_pretrained(folder / "scheduler")
        folders.append(folder)
    return folders[0], folders[1]


@pytest.mark.slow
def test_lcm_paper_config_fits_on_a_tiny_latent_consistency_model(tiny_lcm_repos) -> None:
    student, teacher = tiny_lcm_repos
    stand_in = json.dumps(dict(REWARDS.entry("aesthetic_score").test_kwargs))
    args = [
        "--config", str(LCM_CONFIG),
        "--trainer.max_steps=2", "--trainer.log_every_n_steps=1",
        "--trainer.enable_progress_bar=false",
        f"--model.init_args.base={student}", f"--model.init_args.teacher={teacher}",
        f"--data.init_args.base={student}", "--model.init_args.eval_steps=1",
        f"--data.init_args.reward_args={stand_in}", "--data.init_args.tau=0.0",
        "--data.init_args.prompts=[a cat, a dog]", "--data.init_args.per_prompt=3",
        "--data.init_args.sampling_steps=2", "--data.init_args.eval_per_prompt=1",
    ]  # fmt: skip
    cli = ReproCLI(PROJECT.name, LCM_CONFIG.stem, args=args)
    model, data = cli.model.hparams, cli.datamodule.hparams
    assert (model.objective, model.lora_rank, model.lora_targets, model.lora_init) == (
        "consistency", 8, "lcm", True,
    )  # fmt: skip
    assert (cli.model.objective.beta, model.empty_prompt_rate, model.eval_guidance) == (200, 0, 8.5)
    objective = cli.model.objective
    assert (objective.w_min, objective.w_max, len(objective.grid), objective.huber_c) == (
        5, 15, 50, 0.001,
    )  # fmt: skip
    assert (data.sampler, data.guidance, data.sample_batch_size, data.num_levels) == (
        "lcm", 8.5, 10, 5,
    )  # fmt: skip
    assert objective.teacher.config.time_cond_proj_dim is None  # the teacher is a plain SD UNet
    summary = cli.fit_and_test()
    assert math.isfinite(summary["last"]["test/reward"])
    assert cli.datamodule.images[0]["image"].size == (16, 16)  # decoded by the tiny VAE
    kohya = Path(summary["run_dir"]) / "lora" / KOHYA_FILE
    from safetensors.torch import load_file

    alphas = {v.item() for k, v in load_file(str(kohya)).items() if k.endswith(".alpha")}
    assert alphas == {8.0}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_lcm_stage_1_runs_in_fp16_on_the_gpu(tiny_lcm_repos) -> None:
    student, _ = tiny_lcm_repos
    data = PreferenceDataModule(
        base=str(student), prompts=PROMPTS, per_prompt=2, sampler="lcm", sampling_steps=2
    )
    data._generate()
    from curriculum_dpo.stage1 import load_images

    images = load_images(data.image_dir)
    assert len(images) == 4 and images[0]["image"].size == (16, 16)


# ------------------------------------------------------------------ the reproduction's LCM arm


def test_the_lcm_arm_is_consistency_dpo_with_lcm_sampling_beside_unchanged_arms() -> None:
    plain, curriculum, lcm = reproduce.SWEEP.arms
    assert plain == Arm("plain DPO", ("default.yaml",), ("--data.init_args.num_levels=1",))
    assert curriculum == Arm("Curriculum DPO (rank, 3 levels)", ("default.yaml",))
    assert lcm.setting == reproduce.LCM_SETTING != reproduce.SETTING
    args = [a for c in lcm.configs for a in ("--config", str(PROJECT / "configs" / c))]
    cli = ReproCLI(PROJECT.name, "lcm", instantiate=False, args=[*args, *lcm.overrides])
    model, data = cli.config.model.init_args, cli.config.data.init_args
    assert (model.objective, model.lora_targets) == ("consistency", "lcm")
    assert (model.empty_prompt_rate, model.eval_steps, data.sampling_steps) == (0.0, 8, 8)
    assert data.sampler is None and model.base == data.base == "toy"  # stage 1 follows the model
    assert cli.config.trainer.max_steps == 60


@pytest.mark.slow
def test_the_lcm_arm_runs_and_is_reported_in_its_own_setting(
    tmp_path, monkeypatch, toy_smoke_overrides
) -> None:
    from shared.sweep import run
    from shared.testing.sweeps import shrunk

    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    sweep = dataclasses.replace(reproduce.SWEEP, arms=reproduce.SWEEP.arms[2:])
    results = run(shrunk(sweep, overrides=tuple(toy_smoke_overrides)))
    assert [(r.setting, r.metric) for r in results.rows] == [
        (reproduce.LCM_SETTING, metric.label) for metric in reproduce.METRICS
    ]
    assert all(0 <= r.ours.values[0] <= 1 for r in results.rows)
