"""The preference objectives as plain modules over diffusers UNets: the trainable policy (a UNet
with LoRA), its frozen reference (a copy of the base, as the official code loads it twice) and,
for Consistency-DPO, the frozen teacher. Inputs are latents (or pixels for a pixel-space model)
of winners and losers and their text conditioning; outputs are the loss and what is logged."""

from __future__ import annotations

import copy

import torch
from torch import nn

from curriculum_dpo.losses import (
    HUBER_C,
    LCM_BETA,
    SD_BETA,
    consistency_dpo_loss,
    consistency_output,
    ddim_step,
    ddim_timesteps,
    diffusion_dpo_loss,
    guidance_embedding,
    per_sample_mse,
    predicted_x0,
    pseudo_huber,
)


def frozen_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with no trainable parameter, in eval mode."""
    reference = copy.deepcopy(module).eval()
    reference.requires_grad_(False)
    return reference


def _split(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    half = len(values) // 2
    return values[:half], values[half:]


class DiffusionDPO(nn.Module):
    """Diffusion-DPO: one t ~ U{0..T−1} and one ε per pair, shared by winner and loser; the
    per-sample ε-MSE of policy and reference feed :func:`diffusion_dpo_loss`. ``reference`` is
    the frozen base UNet (no LoRA)."""

    def __init__(
        self, policy: nn.Module, reference: nn.Module, noise_scheduler, beta: float = SD_BETA
    ) -> None:
        super().__init__()
        self.policy, self.reference = policy, reference
        self.noise_scheduler, self.beta = noise_scheduler, beta

    def forward(
        self,
        winners: torch.Tensor,
        losers: torch.Tensor,
        context: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        pairs = len(winners)
        steps = self.noise_scheduler.config.num_train_timesteps
        t = torch.randint(0, steps, (pairs,), generator=generator, device=winners.device)
        noise = torch.randn(winners.shape, generator=generator, device=winners.device)
        x0 = torch.cat([winners, losers])
        t2, noise2 = t.repeat(2), noise.repeat(2, *([1] * (noise.dim() - 1)))
        noisy = self.noise_scheduler.add_noise(x0, noise2, t2)
        context2 = context.repeat(2, 1, 1)
        model_err = per_sample_mse(self.policy(noisy, t2, context2).sample, noise2)
        with torch.no_grad():
            ref_err = per_sample_mse(self.reference(noisy, t2, context2).sample, noise2)
        (model_w, model_l), (ref_w, ref_l) = _split(model_err), _split(ref_err)
        loss, inside = diffusion_dpo_loss(model_w, model_l, ref_w, ref_l, self.beta)
        return {
            "loss": loss,
            "inside": inside,
            "model_mse": model_err.mean().detach(),
            "ref_mse": ref_err.mean(),
            "reward_chosen": (-0.5 * self.beta * (model_w - ref_w)).detach(),
            "reward_rejected": (-0.5 * self.beta * (model_l - ref_l)).detach(),
        }


class ConsistencyDPO(nn.Module):
    """Consistency-DPO: per pair one ε, one DDIM-grid index n ~ U{0..N−1} and one guidance scale
    w ~ U[w_min, w_max]. The policy's and the reference's consistency outputs at t_s are compared,
    by the pseudo-Huber distance, with a target computed as the official code does: the teacher's
    guided DDIM step to the previous grid point, then the *reference* UNet's consistency output
    there (the code loads a target UNet but never uses it; no EMA)."""

    def __init__(
        self,
        policy: nn.Module,
        reference: nn.Module,
        teacher: nn.Module,
        noise_scheduler,
        beta: float = LCM_BETA,
        w_min: float = 5.0,
        w_max: float = 15.0,
        num_ddim_timesteps: int = 50,
        huber_c: float = HUBER_C,
    ) -> None:
        super().__init__()
        self.policy, self.reference, self.teacher = policy, reference, teacher
        self.noise_scheduler, self.beta = noise_scheduler, beta
        self.w_min, self.w_max, self.huber_c = w_min, w_max, huber_c
        steps = noise_scheduler.config.num_train_timesteps
        grid = ddim_timesteps(steps, num_ddim_timesteps)
        alpha_bar = noise_scheduler.alphas_cumprod.double()
        self.register_buffer("grid", grid, persistent=False)
        self.register_buffer("alpha_bar", alpha_bar, persistent=False)
        prev = torch.cat([alpha_bar[:1], alpha_bar[grid[:-1]]])
        self.register_buffer("alpha_bar_prev", prev, persistent=False)
        self.step = steps // num_ddim_timesteps

    def _guidance(self, unet: nn.Module, w: torch.Tensor) -> torch.Tensor | None:
        dim = getattr(unet.config, "time_cond_proj_dim", None)
        return guidance_embedding(w, dim).to(w.device) if dim else None

    def _f(self, unet, x, t, context, w) -> torch.Tensor:
        eps = unet(x, t, context, timestep_cond=self._guidance(unet, w)).sample
        return consistency_output(x, predicted_x0(x, eps, self.alpha_bar[t]), t).to(x.dtype)

    def forward(
        self,
        winners: torch.Tensor,
        losers: torch.Tensor,
        context: torch.Tensor,
        uncond_context: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        pairs, device = len(winners), winners.device
        noise = torch.randn(winners.shape, generator=generator, device=device)
        index = torch.randint(0, len(self.grid), (pairs,), generator=generator, device=device)
        w = self.w_min + (self.w_max - self.w_min) * torch.rand(pairs, generator=generator)
        w = w.to(device)
        t_s = self.grid[index]
        t_e = (t_s - self.step).clamp(min=0)
        x0 = torch.cat([winners, losers])
        noise2 = noise.repeat(2, *([1] * (noise.dim() - 1)))
        t_s2, t_e2, w2, index2 = t_s.repeat(2), t_e.repeat(2), w.repeat(2), index.repeat(2)
        x_s = self.noise_scheduler.add_noise(x0, noise2, t_s2)
        cond = context.repeat(2, 1, 1)
        f_policy = self._f(self.policy, x_s, t_s2, cond, w2)
        with torch.no_grad():
            f_ref = self._f(self.reference, x_s, t_s2, cond, w2)
            uncond = uncond_context.expand_as(cond)
            eps_c = self.teacher(x_s, t_s2, cond).sample
            eps_u = self.teacher(x_s, t_s2, uncond).sample
            a_s = self.alpha_bar[t_s2]
            x0_c, x0_u = predicted_x0(x_s, eps_c, a_s), predicted_x0(x_s, eps_u, a_s)
            scale = w2.double().reshape(-1, *([1] * (x_s.dim() - 1)))
            x0_guided = x0_c + scale * (x0_c - x0_u)
            eps_guided = eps_c + scale * (eps_c - eps_u)
            x_prev = ddim_step(x0_guided, eps_guided, self.alpha_bar_prev[index2]).to(x_s.dtype)
            target = self._f(self.reference, x_prev, t_e2, cond, w2)
        d_policy = pseudo_huber(f_policy, target, self.huber_c)
        d_ref = pseudo_huber(f_ref, target, self.huber_c)
        (policy_w, policy_l), (ref_w, ref_l) = _split(d_policy), _split(d_ref)
        loss, inside = consistency_dpo_loss(policy_w, policy_l, ref_w, ref_l, self.beta)
        return {
            "loss": loss,
            "inside": inside,
            "model_distance": d_policy.mean().detach(),
            "ref_distance": d_ref.mean(),
            "reward_chosen": (-self.beta * (policy_w - ref_w)).detach(),
            "reward_rejected": (-self.beta * (policy_l - ref_l)).detach(),
        }
