"""MaskIn against hand-worked layouts and counts (acceptance checks 2, 6, 7, 8)."""

import math

import pytest
import torch
from cbm.model import MaskIn, mask_patches, masked_patch_count

from shared.errors import ConfigError


@pytest.mark.parametrize(
    ("ratio", "count"),
    [
        (0.0, 0),
        (0.01, 1),
        (0.07, 1),
        (0.125, 2),
        (0.31238198766112973, 4),
        (0.4036, 6),
        (0.6036, 9),
        (1.0, 16),
    ],
)
def test_patch_count_truncates_after_the_floor(ratio, count):
    assert masked_patch_count(ratio, 4) == count


@pytest.mark.parametrize("ratio", [-0.1, 1.01, math.nan])
def test_ratio_outside_unit_interval_is_refused(ratio):
    with pytest.raises(ConfigError, match="mask ratio"):
        masked_patch_count(ratio, 4)


def test_layout_of_patches_1_and_6_on_an_8x8_image():
    x = torch.arange(1, 65, dtype=torch.float32).reshape(1, 1, 8, 8)
    probs = torch.zeros(1, 16)
    probs[0, [1, 6]] = 0.5
    out = MaskIn(4).train()(x, 0.125, probs)
    expected = x.clone()
    expected[0, 0, 0:2, 2:4] = 0  # patch 1: row block 0, column block 1
    expected[0, 0, 2:4, 4:6] = 0  # patch 6: row block 1, column block 2
    assert torch.equal(out, expected)
    assert (out == 0).sum() == 8


def test_eval_mode_and_zero_ratio_are_identities():
    x = torch.randn(3, 3, 8, 8)
    masking = MaskIn(4)
    assert masking.eval()(x, 0.9) is x
    assert masking.train()(x, 0.0) is x


def test_exactly_k_distinct_patches_are_zeroed_and_the_rest_is_bit_identical():
    torch.manual_seed(0)
    x = torch.randn(32, 3, 16, 16) + 10.0  # no pixel is 0 before masking
    probs = torch.rand(32, 16) + 0.01
    out = MaskIn(4).train()(x, 0.4036, probs)
    cells = out.reshape(32, 3, 4, 4, 4, 4).permute(0, 2, 4, 1, 3, 5).reshape(32, 16, -1)
    zeroed = (cells == 0).all(-1)
    untouched = (cells != 0).all(-1)
    assert torch.equal(zeroed.sum(1), torch.full((32,), 6))
    assert torch.all(zeroed | untouched)  # a patch is either fully masked or not at all
    keep = out != 0
    assert torch.equal(out[keep], x[keep])


def test_probability_on_a_single_patch_masks_only_that_patch():
    x = torch.ones(2, 3, 8, 8)
    probs = torch.zeros(2, 16)
    probs[:, 13] = 1.0
    out = MaskIn(4).train()(x, 0.01, probs)
    expected = x.clone()
    expected[:, :, 6:8, 2:4] = 0  # patch 13: row block 3, column block 1
    assert torch.equal(out, expected)


def test_without_probabilities_every_patch_is_equally_likely():
    torch.manual_seed(1)
    x = torch.ones(4000, 1, 4, 4)
    out = MaskIn(4).train()(x, 0.07)  # K = 1, uniform
    frequency = (out.reshape(4000, 16) == 0).float().mean(0)
    sigma = math.sqrt(1 / 16 * 15 / 16 / 4000)
    assert torch.all((frequency - 1 / 16).abs() < 4 * sigma)


def test_sampling_frequency_matches_probabilities_within_3_sigma():
    torch.manual_seed(0)
    draws = 20_000
    p = torch.tensor(
        [
            0.30,
            0.20,
            0.15,
            0.10,
            0.08,
            0.05,
            0.04,
            0.03,
            0.02,
            0.01,
            0.01,
            0.005,
            0.005,
            0.0,
            0.0,
            0.0,
        ]
    )
    x = torch.ones(draws, 1, 4, 4)
    out = MaskIn(4).train()(x, 0.0625, p.expand(draws, 16))  # K = 1
    frequency = (out.reshape(draws, 16) == 0).double().mean(0)
    sigma = (p.double() * (1 - p.double()) / draws).sqrt()
    assert torch.all((frequency - p.double()).abs() <= 3 * sigma + 1e-12)
    assert torch.all(frequency[p == 0] == 0)


def test_mask_value_is_zero_after_normalisation_in_every_channel():
    x = torch.full((1, 3, 4, 4), -1.0)  # black after Normalize(0.5, 0.5)
    out = mask_patches(x, torch.tensor([[0]]), 4)
    assert torch.equal(out[0, :, 0, 0], torch.zeros(3))
    assert torch.equal(out[0, :, 1:, :], x[0, :, 1:, :])


def test_patch_grid_must_divide_the_image():
    with pytest.raises(ConfigError, match="divides the image size 10x10"):
        MaskIn(4).train()(torch.ones(1, 3, 10, 10), 0.5)


def test_probabilities_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"expected \(2, 16\)"):
        MaskIn(4).train()(torch.ones(2, 3, 8, 8), 0.5, torch.ones(2, 4))
