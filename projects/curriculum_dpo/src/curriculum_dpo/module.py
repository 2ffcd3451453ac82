"""The LightningModule: Diffusion-DPO or Consistency-DPO on LoRA adapters of a base UNet, the
frozen reference (and teacher), logging of implicit accuracy and reward margins, the evaluation
by the reward of fresh samples (guided DDIM for Diffusion-DPO, LCM sampling for Consistency-DPO),
and the LoRA export in diffusers format (and kohya keys for the LCM) at the end of fitting."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
import torch

from curriculum_dpo.bases import encode_images, freeze, load_base, sample_images
from curriculum_dpo.lora import add_lora, save_lora
from curriculum_dpo.losses import LCM_BETA, SD_BETA, implicit_accuracy
from curriculum_dpo.objectives import ConsistencyDPO, DiffusionDPO, frozen_copy
from curriculum_dpo.rewards import score
from shared.diffusion import encode_prompts
from shared.errors import ConfigError
from shared.optim import InjectedOptimization, OptimizerCallable

SAMPLER = {"diffusion": "ddim", "consistency": "lcm"}  # how each objective's model samples


class OfficialAdamW(torch.optim.AdamW):
    """AdamW with the official settings as defaults (lr 1e-4, betas (0.9, 0.999), weight decay
    1e-4, eps 1e-8; ``config/args_sd.py`` and ``args_lcm.py``)."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.999),
        weight_decay: float = 1e-4,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, weight_decay=weight_decay, eps=eps)


class CurriculumDPO(InjectedOptimization, pl.LightningModule):
    """Preference fine-tuning of a text-to-image model's LoRA on (winner, loser, prompt) batches.

    Args:
        base: the model to fine-tune (``toy``, ``toy-smoke`` or a Stable Diffusion / LCM hub id
            or folder); the DataModule's stage 1 should come from the same model.
        objective: ``diffusion`` (Diffusion-DPO, SD) or ``consistency`` (Consistency-DPO, LCM).
        teacher: the LCM teacher (hub id or folder, e.g. ``Lykon/dreamshaper-7``); ``None``:
            a frozen copy of ``base``.
        beta: the DPO β (``None``: the official 2000 for SD with the ½ factor, 200 for LCM).
        empty_prompt_rate: share of captions replaced by "" (official SD 0.25, LCM 0).
        lora_rank: LoRA rank (official 8).
        lora_alpha: LoRA alpha (``None``: the rank, as both official configs).
        lora_targets: ``sd``, ``lcm`` (the official lists) or module-name suffixes.
        lora_init: peft's ``init_lora_weights`` (SD ``gaussian``, LCM ``true``: peft's default).
        w_min: the lowest guidance scale drawn for Consistency-DPO (5).
        w_max: the highest (15).
        num_ddim_timesteps: the LCM skipping-step grid size (50).
        huber_c: the pseudo-Huber constant (0.001).
        eval_steps: sampler steps of the test samples (DDIM for ``diffusion``, LCM for
            ``consistency``: :attr:`sampler`, which stage 1 follows too).
        eval_guidance: their guidance scale (the pipelines' defaults: SD 7.5, LCM 8.5).
        optimizer: the optimiser of the LoRA parameters (official AdamW 1e-4).

    There is no validation set (the official code has none): the "best" checkpoint is the one
    with the lowest training loss at an epoch end; the result is the last one.
    """

    monitor, monitor_mode = "train/loss", "min"

    def __init__(
        self,
        base: str = "toy",
        objective: Literal["diffusion", "consistency"] = "diffusion",
        teacher: str | None = None,
        beta: float | None = None,
        empty_prompt_rate: float = 0.25,
        lora_rank: int = 8,
        lora_alpha: float | None = None,
        lora_targets: str | list[str] = "sd",
        lora_init: bool | str = "gaussian",
        w_min: float = 5.0,
        w_max: float = 15.0,
        num_ddim_timesteps: int = 50,
        huber_c: float = 0.001,
        eval_steps: int = 10,
        eval_guidance: float = 7.5,
        optimizer: OptimizerCallable = OfficialAdamW,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if not 0 <= empty_prompt_rate <= 1:
            raise ConfigError("model.empty_prompt_rate", empty_prompt_rate, "a value in [0, 1]")
        self.optimizer, self.lr_scheduler = optimizer, None
        self.sampler = SAMPLER[objective]
        self.parts = freeze(load_base(base))
        # registered as submodules so that .to(device) moves them; the parts hold the same objects
        self.text_encoder, self.vae = self.parts.text_encoder, self.parts.vae
        reference = frozen_copy(self.parts.unet)
        policy = add_lora(
            self.parts.unet,
            lora_targets,
            rank=lora_rank,
            alpha=lora_alpha,
            init=lora_init,
            field="model.lora_targets",
        )
        if objective == "diffusion":
            self.objective = DiffusionDPO(
                policy, reference, self.parts.noise_scheduler, SD_BETA if beta is None else beta
            )
        else:
            if teacher is None:
                teacher_unet = frozen_copy(reference)
            else:
                teacher_unet = freeze(load_base(teacher, field="model.teacher")).unet
            self.objective = ConsistencyDPO(
                policy,
                reference,
                teacher_unet,
                self.parts.noise_scheduler,
                LCM_BETA if beta is None else beta,
                w_min,
                w_max,
                num_ddim_timesteps,
                huber_c,
            )
        self.strict_loading = False  # checkpoints hold the LoRA only

    @property
    def policy(self) -> torch.nn.Module:
        return self.objective.policy

    def _context(self, prompts: list[str], blank: bool) -> torch.Tensor:
        if blank and self.hparams.empty_prompt_rate > 0:
            drop = torch.rand(len(prompts)) < self.hparams.empty_prompt_rate
            prompts = ["" if d else p for p, d in zip(prompts, drop.tolist(), strict=True)]
        with torch.no_grad():
            return encode_prompts(self.parts.tokenizer, self.text_encoder, prompts)

    def compute_loss(self, batch: tuple[torch.Tensor, torch.Tensor, list[str]]) -> dict:
        winners, losers, prompts = batch
        x_w, x_l = encode_images(self.parts, winners), encode_images(self.parts, losers)
        context = self._context(prompts, blank=self.hparams.objective == "diffusion")
        if self.hparams.objective == "diffusion":
            return self.objective(x_w, x_l, context)
        uncond = self._context([""], blank=False)
        return self.objective(x_w, x_l, context, uncond)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        out = self.compute_loss(batch)
        margin = (out["reward_chosen"] - out["reward_rejected"]).mean()
        logged = {
            "train/loss": out["loss"].detach(),
            "train/implicit_acc": implicit_accuracy(out["inside"]),
            "train/reward_margin": margin,
            "train/reward_chosen": out["reward_chosen"].mean(),
            "train/reward_rejected": out["reward_rejected"].mean(),
        }
        for key in ("model_mse", "ref_mse", "model_distance", "ref_distance"):
            if key in out:
                logged[f"train/{key}"] = out[key]
        self.log_dict(
            logged, on_step=True, on_epoch=False, prog_bar=False, batch_size=len(batch[2])
        )
        return out["loss"]

    @torch.no_grad()
    def mean_reward(
        self, unet: torch.nn.Module, items: list[tuple[str, int]], reward
    ) -> torch.Tensor:
        """Mean reward of fresh samples of ``unet`` for (prompt, seed) ``items`` (the batch's
        noise is drawn from the first seed)."""
        prompts = [p for p, _ in items]
        generator = torch.Generator().manual_seed(items[0][1])
        images = sample_images(
            self.parts,
            unet,
            prompts,
            steps=self.hparams.eval_steps,
            guidance=self.hparams.eval_guidance,
            generator=generator,
            sampler=self.sampler,
        )
        return score(reward.to(self.device), images, prompts).mean().float()

    def test_step(self, batch: list[tuple[str, int]], batch_idx: int) -> None:
        """Mean reward of fresh samples of the fine-tuned model and of the base (its reference),
        from the same seeds."""
        reward = self.trainer.datamodule.reward
        for name, unet in (("reward", self.policy), ("reward_base", self.objective.reference)):
            self.log(f"test/{name}", self.mean_reward(unet, batch, reward), batch_size=len(batch))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        trainable = {n for n, p in self.named_parameters() if p.requires_grad}
        checkpoint["state_dict"] = {
            k: v for k, v in checkpoint["state_dict"].items() if k in trainable
        }

    def on_fit_end(self) -> None:
        if self.trainer.is_global_zero and self.trainer.log_dir:
            kohya = self.hparams.objective == "consistency"  # as the official LCM scripts
            save_lora(self.policy, Path(self.trainer.log_dir) / "lora", kohya=kohya)
