"""The spec's hand-computed loss case (patch 4, 8x8 target, 4 tokens)."""

import pytest
import torch
from fast_vad_mae.losses import distillation_loss, teacher_loss, token_mse, token_weights
from fast_vad_mae.model import patchify


@pytest.fixture
def case():
    target = torch.zeros(1, 4, 8, 8)
    target[:, 3] = -1.0
    target[0, 0, :4, :4] = 1.0  # channel 0 = 1 on token 0
    gradients = torch.zeros(1, 3, 8, 8)
    gradients[0, :, 0, 0] = 10.0
    gradients[0, :, 4, 4] = 30.0
    return torch.zeros(1, 4, 64), target, gradients, torch.tensor([[1.0, 0.0, 0.0, 1.0]])


def test_token_errors_and_weights(case):
    pred, target, gradients, _ = case
    assert token_mse(pred, patchify(target, 4)).tolist() == [[0.5, 0.25, 0.25, 0.25]]
    assert token_weights(gradients, target, 4).tolist() == [[0.25, 0.0, 0.0, 0.75]]


def test_motion_weighted_loss(case):
    pred, target, gradients, mask = case
    assert teacher_loss(pred, target, mask, gradients, 4).item() == pytest.approx(0.3125, abs=1e-7)


def test_anomaly_map_raises_its_token_weight_by_128(case):
    pred, target, gradients, mask = case
    target[0, 3, :4, 4:] = 1.0  # pasted anomaly on token 1
    weights = token_weights(gradients, target, 4)
    assert weights[0].tolist() == pytest.approx([10 / 168, 128 / 168, 0.0, 30 / 168])
    assert teacher_loss(pred, target, mask, gradients, 4).item() == pytest.approx(
        44.5 / 168, abs=1e-7
    )
    assert gradients.max().item() == 30.0  # the caller's tensor is left alone


def test_boost_uses_the_sample_gradient_maximum_above_128():
    target = -torch.ones(1, 4, 8, 8)
    target[0, 3, :4, 4:] = 1.0
    gradients = torch.zeros(1, 3, 8, 8)
    gradients[0, :, 4, 4] = 200.0
    assert token_weights(gradients, target, 4).tolist() == [[0.0, 0.5, 0.0, 0.5]]


def test_unweighted_fallback_is_the_masked_mean(case):
    pred, target, gradients, mask = case
    assert teacher_loss(
        pred, target, mask, gradients, 4, motion_weighted=False
    ).item() == pytest.approx(0.375)


def test_teacher_loss_sums_over_the_batch(case):
    pred, target, gradients, mask = case
    doubled = teacher_loss(
        pred.repeat(2, 1, 1),
        target.repeat(2, 1, 1, 1),
        mask.repeat(2, 1),
        gradients.repeat(2, 1, 1, 1),
        4,
    )
    assert doubled.item() == pytest.approx(0.625)


def test_distillation_loss_both_weightings():
    teacher = torch.zeros(1, 4, 2)
    student = torch.tensor(
        [[[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [3.0, 3.0]]]
    )  # token mse 1, 4, 0, 9
    mask = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    assert distillation_loss(student, teacher, mask).item() == pytest.approx(10 / 3)
    weights = torch.tensor([[0.5, 0.5, 0.0, 0.0]])
    assert distillation_loss(student, teacher, mask, "motion", weights).item() == pytest.approx(2.5)
    assert distillation_loss(teacher, teacher, mask).item() == 0.0
