"""The objectives on tiny diffusers UNets: exactly log 2 at initialisation (LoRA B = 0), one t
and one ε shared by the winner and loser of a pair, and the LCM target computed with the
reference UNet."""

from __future__ import annotations

import math

import pytest
import torch
from curriculum_dpo.lora import add_lora
from curriculum_dpo.objectives import ConsistencyDPO, DiffusionDPO, frozen_copy
from torch import nn

from shared.diffusion import tiny_unet
from shared.diffusion.parts import sd_noise_scheduler

LN2 = math.log(2)


@pytest.fixture(scope="module")
def scheduler():
    return sd_noise_scheduler()


def _inputs(channels: int = 4):
    g = torch.Generator().manual_seed(0)
    shape = (3, channels, 8, 8)
    context = torch.randn(3, 5, 32, generator=g)
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g), context


def test_diffusion_dpo_is_log2_at_initialisation(scheduler) -> None:
    base = tiny_unet(block_out_channels=(16, 32))
    reference = frozen_copy(base)
    objective = DiffusionDPO(add_lora(base, "sd", rank=4), reference, scheduler)
    out = objective(*_inputs(), generator=torch.Generator().manual_seed(1))
    assert out["loss"].item() == pytest.approx(LN2, abs=1e-7)
    assert torch.equal(out["inside"], torch.zeros(3))
    assert [p.requires_grad for p in reference.parameters()] == [False] * len(
        list(reference.parameters())
    )
    out["loss"].backward()
    trained = [n for n, p in objective.policy.named_parameters() if p.grad is not None]
    assert trained and all("lora" in n for n in trained)


class Recorder(nn.Module):
    """A stand-in UNet that remembers its inputs and predicts zeros."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = []
        self.config = type("Config", (), {"time_cond_proj_dim": None})()

    def forward(self, x, t, context, timestep_cond=None):
        self.calls.append((x.clone(), t.clone()))
        return type("Out", (), {"sample": torch.zeros_like(x)})()


def test_diffusion_dpo_shares_t_and_noise_within_a_pair(scheduler) -> None:
    policy = Recorder()
    objective = DiffusionDPO(policy, Recorder(), scheduler)
    winners = torch.zeros(3, 4, 8, 8)
    objective(winners, winners.clone(), torch.zeros(3, 5, 32), torch.Generator().manual_seed(0))
    x, t = policy.calls[0]
    assert torch.equal(t[:3], t[3:]) and len(set(t[:3].tolist())) > 1
    assert torch.equal(x[:3], x[3:])  # equal clean images + shared (t, ε) → equal noisy inputs
    assert not torch.equal(x[0], x[1])  # but independent across pairs


def test_consistency_dpo_is_log2_at_initialisation(scheduler) -> None:
    base = tiny_unet(block_out_channels=(16, 32), time_cond_proj_dim=16)
    reference, teacher = frozen_copy(base), frozen_copy(tiny_unet(block_out_channels=(16, 32)))
    policy = add_lora(base, "lcm", rank=4, init=True)
    objective = ConsistencyDPO(policy, reference, teacher, scheduler)
    winners, losers, context = _inputs()
    out = objective(
        winners, losers, context, torch.zeros(1, 5, 32), torch.Generator().manual_seed(2)
    )
    assert out["loss"].item() == pytest.approx(LN2, abs=1e-7)
    assert torch.equal(out["model_distance"], out["ref_distance"])
    out["loss"].backward()
    assert any(p.grad is not None for p in objective.policy.parameters())


def test_consistency_target_uses_the_reference_at_the_previous_grid_point(scheduler) -> None:
    reference, teacher = Recorder(), Recorder()
    objective = ConsistencyDPO(Recorder(), reference, teacher, scheduler)
    x = torch.zeros(2, 4, 8, 8)
    objective(
        x, x.clone(), torch.zeros(2, 5, 32), torch.zeros(1, 5, 32), torch.Generator().manual_seed(3)
    )
    (_, t_s), (_, t_e) = reference.calls  # f_ref at t_s, then the target at t_e
    assert torch.equal(t_e, (t_s - 20).clamp(min=0))
    assert all(t in set(range(19, 1000, 20)) for t in t_s.tolist())
    assert len(teacher.calls) == 2  # conditional and unconditional
