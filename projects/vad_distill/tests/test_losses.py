"""Losses (spec §4, §13.9) and which gradients each adversarial mode lets through (§13.10)."""

from __future__ import annotations

import math

import pytest
import torch
from vad_distill.losses import discriminator_loss, generator_loss, stage_loss
from vad_distill.model import StageDiscriminator


def _maps(value: float, batch: int = 2, grad: bool = False):
    maps = (torch.full((batch, 1), value), torch.full((batch, 1, 4, 4), value),
            torch.full((batch, 1, 16, 16), value))  # fmt: skip
    return tuple(m.requires_grad_(grad) for m in maps)


def test_stage_loss_is_six_element_means():
    """Student 0.5, teacher 1 all 1.0, teacher 2 all 0.0: 6 x 0.25 = 1.5."""
    assert float(stage_loss(_maps(0.5), [_maps(1.0), _maps(0.0)], [1.0, 1.0])) == 1.5
    assert float(stage_loss(_maps(0.5), [_maps(1.0), _maps(0.0)], [2.0, 0.0])) == 1.5
    assert float(stage_loss(_maps(0.3), [_maps(0.3), _maps(0.3)], [1.0, 1.0])) == 0.0
    assert float(stage_loss(_maps(0.3), [_maps(0.3), _maps(0.4)], [1.0, 1.0])) > 0.0


def test_stage_loss_refuses_shapes_that_would_broadcast():
    student = _maps(0.5)
    teacher = (torch.zeros(2, 1, 1), *student[1:])  # a 1-element 1x1 vector, batched
    with pytest.raises(ValueError, match="student"):
        stage_loss(student, [teacher], [1.0])


def test_generator_loss_is_minus_log_d():
    torch.manual_seed(0)
    discriminators = [StageDiscriminator(), StageDiscriminator()]
    student = _maps(0.2, batch=1)
    expected = sum(-math.log(float(d(student[2], student[1], student[0]))) for d in discriminators)
    assert float(generator_loss(discriminators, student)) == pytest.approx(expected, rel=1e-6)


def _grads(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize("mode", ["official", "standard"])
def test_discriminator_gradients(mode):
    """official: D's gradient is the real-only one and nothing reaches the student maps;
    standard: the fake term adds to D's gradient and still nothing reaches the student."""
    torch.manual_seed(0)
    d = StageDiscriminator()
    real, fake = _maps(0.9), _maps(0.1, grad=True)
    real = (torch.rand(2, 1), torch.rand(2, 1, 4, 4), torch.rand(2, 1, 16, 16))
    loss = discriminator_loss(d, real, fake, mode)
    loss.backward()
    got = _grads(d)
    assert all(f.grad is None for f in fake)
    d.zero_grad()
    out = d(real[2], real[1], real[0])
    torch.nn.functional.binary_cross_entropy(out, torch.ones_like(out)).backward()
    real_only = _grads(d)
    same = all(torch.allclose(a, b) for a, b in zip(got, real_only, strict=True))
    assert same == (mode == "official")
    out_fake = d(fake[2], fake[1], fake[0]).detach()
    expected = -torch.log(d(real[2], real[1], real[0])).mean() - torch.log(1 - out_fake).mean()
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
