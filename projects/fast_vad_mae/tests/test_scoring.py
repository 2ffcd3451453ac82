"""Scorer presets: the released code's frame scores and the paper's pixel map."""

import pytest
import torch
from fast_vad_mae.model import MAEOutput
from fast_vad_mae.scoring import SCORERS, discrepancy, pixel_map, scorer, teacher_error

from shared.errors import ConfigError


def _output():
    teacher = torch.tensor([[[0.0, 2.0], [1.0, 1.0]]])
    student = torch.tensor([[[1.0, 2.0], [1.0, -1.0]]])
    return MAEOutput(teacher, torch.zeros(1, 2), torch.zeros(1, 2, 4), student)


def test_code_scores_are_means_over_tokens_and_values():
    out, target = _output(), torch.zeros(1, 2, 2)
    assert teacher_error(out, target, "L2").item() == pytest.approx((0 + 4 + 1 + 1) / 4)
    assert teacher_error(out, target, "L1").item() == pytest.approx((0 + 2 + 1 + 1) / 4)
    assert discrepancy(out, "L2").item() == pytest.approx((1 + 0 + 0 + 4) / 4)
    assert discrepancy(out, "L1").item() == pytest.approx((1 + 0 + 0 + 2) / 4)


def test_presets_follow_the_released_inference():
    avenue, shanghai = scorer("code_avenue"), scorer("code_shanghai")
    assert (
        avenue.error,
        avenue.use_discrepancy,
        avenue.post.support,
        avenue.post.sigma,
        avenue.post.normalise,
    ) == ("L2", True, 37, 11.0, False)
    assert (
        shanghai.error,
        shanghai.use_discrepancy,
        shanghai.post.support,
        shanghai.post.sigma,
        shanghai.post.normalise,
    ) == ("L1", False, 899, 282.0, True)
    assert scorer("paper_avenue").weights == (0.4, 0.3, 0.3)


def test_unknown_scorer_preset_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"scorer.*code_avenue"):
        scorer("avenue")


def test_pixel_map_weights_errors_and_predicted_map():
    # one 1x1 patch of 4 channels on a 1x1 grid: teacher BGR (0.5, 0.5, 0.5), map +1; student 0
    teacher = torch.tensor([[[0.5, 0.5, 0.5, 1.0]]])
    out = MAEOutput(teacher, torch.zeros(1, 1), torch.zeros(1, 1, 1), torch.zeros(1, 1, 4))
    target = torch.tensor([[[[0.0]], [[0.0]], [[0.0]], [[-1.0]]]])
    value = pixel_map(out, target, 1, (1, 1), (0.4, 0.3, 0.3))
    assert value.item() == pytest.approx(0.4 * 0.25 + 0.3 * 0.25 + 0.3 * 1.0)
    assert set(SCORERS) >= {"code_avenue", "code_shanghai", "paper_avenue", "demo"}
