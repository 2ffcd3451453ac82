"""Spec §11, losses: Diffusion-DPO and Consistency-DPO on hand tensors, log 2 at equality, the
LCM helpers' grid and boundary scalings, and a gradient step that favours the winner."""

from __future__ import annotations

import math

import pytest
import torch
from curriculum_dpo.losses import (
    boundary_scalings,
    consistency_dpo_loss,
    ddim_timesteps,
    diffusion_dpo_loss,
    guidance_embedding,
    implicit_accuracy,
    per_sample_mse,
    pseudo_huber,
)

LN2 = 0.6931471805599453


def _errors(offsets: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    target = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64).expand(4, 1, 2, 2)
    prediction = target + torch.tensor(offsets, dtype=torch.float64).reshape(4, 1, 1, 1)
    errors = per_sample_mse(prediction, target)
    return errors[:2], errors[2:]


def test_diffusion_dpo_is_log2_when_policy_equals_reference() -> None:
    e = torch.tensor([0.3, 0.1, 0.7], dtype=torch.float64)
    loss, inside = diffusion_dpo_loss(e, e.flip(0), e, e.flip(0))
    assert loss.item() == pytest.approx(LN2, rel=1e-12)
    assert implicit_accuracy(inside).item() == 0.0


def test_diffusion_dpo_on_hand_tensors() -> None:
    model_w, model_l = _errors([0.200, 0.210, 0.205, 0.200])
    ref_w, ref_l = _errors([0.201, 0.209, 0.202, 0.203])
    loss, inside = diffusion_dpo_loss(model_w, model_l, ref_w, ref_l, beta=2000)
    assert inside.tolist() == pytest.approx([1.622, -1.628], rel=1e-9)
    assert loss.item() == pytest.approx(0.9937452539, rel=1e-9)
    assert implicit_accuracy(inside).item() == 0.5
    loss_2500, _ = diffusion_dpo_loss(model_w, model_l, ref_w, ref_l, beta=2500)
    assert loss_2500.item() == pytest.approx(1.1407545018, rel=1e-9)


def test_consistency_dpo_on_hand_tensors() -> None:
    zero = torch.zeros(2, 1, 2, 2, dtype=torch.float64)
    d = [pseudo_huber(torch.full_like(zero, v), zero)[0].item() for v in (0.02, 0.018, 0.01, 0.012)]
    assert d == pytest.approx([0.0190249844, 0.0170277564, 0.0090498756, 0.0110415946], abs=6e-11)
    policy_w, ref_w, policy_l, ref_l = (torch.tensor([v, v], dtype=torch.float64) for v in d)
    loss, _ = consistency_dpo_loss(policy_w, policy_l, ref_w, ref_l, beta=200)
    assert loss.item() == pytest.approx(1.1695759277, rel=1e-9)
    same, _ = consistency_dpo_loss(policy_w, policy_l, policy_w, policy_l)
    assert same.item() == pytest.approx(LN2, rel=1e-12)


def test_a_gradient_step_lowers_the_winner_error_relative_to_the_loser() -> None:
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    winner, loser = (
        torch.tensor([1.0], dtype=torch.float64),
        torch.tensor([-1.0], dtype=torch.float64),
    )

    def errors():  # a 1-parameter policy predicting θ for both targets
        return (theta - winner).pow(2), (theta - loser).pow(2)

    before = [e.item() for e in errors()]
    model_w, model_l = errors()
    loss, _ = diffusion_dpo_loss(model_w, model_l, model_w.detach(), model_l.detach(), beta=2.0)
    loss.backward()
    with torch.no_grad():
        theta -= 0.1 * theta.grad
    after = [e.item() for e in errors()]
    assert after[0] - after[1] < before[0] - before[1]


def test_lcm_ddim_grid_and_boundary_scalings() -> None:
    grid = ddim_timesteps(1000, 50)
    assert grid[:5].tolist() == [19, 39, 59, 79, 99] and grid[-1].item() == 999 and len(grid) == 50
    assert max(grid[0].item() - 20, 0) == 0  # t_e for index 0
    c_skip, c_out = boundary_scalings(torch.tensor([0, 999]))
    assert (c_skip[0].item(), c_out[0].item()) == (1.0, 0.0)
    assert c_skip[1].item() == pytest.approx(0.25 / (9990**2 + 0.25), rel=1e-12)
    assert c_skip[1].item() == pytest.approx(2.505e-9, rel=1e-3)
    assert c_out[1].item() == pytest.approx(1.0, abs=1e-8)


def test_guidance_embedding_is_the_sinusoid_of_w_times_1000() -> None:
    embedding = guidance_embedding(torch.tensor([0.0, 2.0]), dim=4)
    assert embedding[0].tolist() == [0.0, 0.0, 1.0, 1.0]
    frequencies = [1.0, math.exp(-math.log(10000.0))]  # half = 2: exp(-log(1e4)·k/(half − 1))
    expected = [math.sin(2000 * f) for f in frequencies] + [math.cos(2000 * f) for f in frequencies]
    assert embedding[1].tolist() == pytest.approx(expected, abs=1e-6)
