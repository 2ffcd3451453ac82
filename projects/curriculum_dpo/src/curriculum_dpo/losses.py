"""The two preference objectives: Diffusion-DPO (Stable Diffusion) and Consistency-DPO (latent
consistency models), with the consistency-distillation helpers they need.

All take per-sample quantities and return ``(loss, inside)``, ``inside`` being the argument of
the log-sigmoid per pair (positive = the policy prefers the winner more than the reference
does), from which implicit accuracy and reward margins are logged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SD_BETA = 2000.0  # hard-coded in the official train_stablediffusion.py (its --beta is ignored)
LCM_BETA = 200.0
SIGMA_DATA = 0.5
TIMESTEP_SCALING = 10.0  # the boundary scalings read the time as t / 0.1
HUBER_C = 0.001


def per_sample_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean over every dimension but the first of (prediction − target)²."""
    return (prediction - target).pow(2).flatten(1).mean(1)


def diffusion_dpo_loss(
    model_w: torch.Tensor,
    model_l: torch.Tensor,
    ref_w: torch.Tensor,
    ref_l: torch.Tensor,
    beta: float = SD_BETA,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Diffusion-DPO (Wallace et al.) on per-pair denoising errors of winner and loser:
    inside = −(β/2)·[(e_θ(w) − e_θ(l)) − (e_ref(w) − e_ref(l))], L = mean −log σ(inside)."""
    inside = -0.5 * beta * ((model_w - model_l) - (ref_w - ref_l))
    return -F.logsigmoid(inside).mean(), inside


def pseudo_huber(a: torch.Tensor, b: torch.Tensor, c: float = HUBER_C) -> torch.Tensor:
    """Per-sample pseudo-Huber distance mean(sqrt((a − b)² + c²) − c) of consistency training."""
    return (torch.sqrt((a - b).pow(2) + c * c) - c).flatten(1).mean(1)


def consistency_dpo_loss(
    policy_w: torch.Tensor,
    policy_l: torch.Tensor,
    ref_w: torch.Tensor,
    ref_l: torch.Tensor,
    beta: float = LCM_BETA,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Consistency-DPO on per-pair distances d(f, target):
    inside = −β·[(d_θ(w) − d_ref(w)) − (d_θ(l) − d_ref(l))] (no ½), L = mean −log σ(inside)."""
    inside = -beta * ((policy_w - ref_w) - (policy_l - ref_l))
    return -F.logsigmoid(inside).mean(), inside


def implicit_accuracy(inside: torch.Tensor) -> torch.Tensor:
    """Share of pairs the policy ranks more correctly than the reference (inside > 0)."""
    return (inside > 0).float().mean()


def ddim_timesteps(num_train_timesteps: int = 1000, num_ddim_timesteps: int = 50) -> torch.Tensor:
    """The skipping-step grid of LCM distillation: (1..N)·(T/N) − 1, i.e. 19, 39, ..., 999."""
    step = num_train_timesteps // num_ddim_timesteps
    return torch.arange(1, num_ddim_timesteps + 1) * step - 1


def boundary_scalings(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(c_skip, c_out) with σ_data = 0.5 and time scaled by 10: c_skip = σ²/((10t)² + σ²),
    c_out = 10t / sqrt((10t)² + σ²), so that f(x, 0) = x."""
    scaled = TIMESTEP_SCALING * t.double()
    c_skip = SIGMA_DATA**2 / (scaled.pow(2) + SIGMA_DATA**2)
    c_out = scaled / (scaled.pow(2) + SIGMA_DATA**2).sqrt()
    return c_skip, c_out


def guidance_embedding(w: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """Sinusoidal embedding of w·1000 (sin half, then cos half), the LCM UNet's
    ``timestep_cond`` input."""
    w = w.double() * scale
    half = dim // 2
    frequencies = torch.exp(
        -math.log(10000.0) * torch.arange(half, dtype=torch.float64) / (half - 1)
    )
    angles = w[:, None] * frequencies[None]
    embedding = torch.cat([angles.sin(), angles.cos()], dim=1)
    if dim % 2:
        embedding = F.pad(embedding, (0, 1))
    return embedding.float()


def _per_sample(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return values.to(like.dtype).reshape(-1, *([1] * (like.dim() - 1)))


def predicted_x0(
    x_t: torch.Tensor, epsilon: torch.Tensor, alpha_bar_t: torch.Tensor
) -> torch.Tensor:
    """x̂0 = (x_t − σ_t ε̂)/α_t with α_t = sqrt(ᾱ_t), σ_t = sqrt(1 − ᾱ_t)."""
    alpha, sigma = _per_sample(alpha_bar_t.sqrt(), x_t), _per_sample((1 - alpha_bar_t).sqrt(), x_t)
    return (x_t - sigma * epsilon) / alpha


def ddim_step(
    x0: torch.Tensor, epsilon: torch.Tensor, alpha_bar_prev: torch.Tensor
) -> torch.Tensor:
    """One deterministic DDIM step to the previous grid point: sqrt(ᾱ_prev)x̂0 + sqrt(1−ᾱ_prev)ε̂."""
    a, s = _per_sample(alpha_bar_prev.sqrt(), x0), _per_sample((1 - alpha_bar_prev).sqrt(), x0)
    return a * x0 + s * epsilon


def consistency_output(x_t: torch.Tensor, x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """f(x_t, t) = c_skip(t)·x_t + c_out(t)·x̂0."""
    c_skip, c_out = boundary_scalings(t)
    return _per_sample(c_skip, x_t) * x_t + _per_sample(c_out, x_t) * x0
