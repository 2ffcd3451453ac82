"""Sobel patch saliency against hand-computed images (acceptance checks 3, 4, 5)."""

import numpy as np
import pytest
import torch
from cbm.saliency import sobel_magnitude, sobel_patch_saliency

from shared.errors import ConfigError


def chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0)


def test_ramp_has_zero_gradient_in_the_border_columns():
    image = np.zeros((8, 8, 3), np.uint8)
    image[:, :, 0] = 10 * np.arange(8)
    magnitude = sobel_magnitude(chw(image))
    # Interior: Gx of a slope-10 ramp is (1 + 2 + 1) · (10·(c+1) − 10·(c−1)) = 80.
    assert torch.all(magnitude[0, 0, :, 1:7] == 80)
    assert torch.all(magnitude[0, 0, :, [0, 7]] == 0)  # reflect-101 mirrors around the edge
    assert torch.all(magnitude[0, 1:] == 0)
    probs = sobel_patch_saliency(chw(image), 4)
    expected = torch.tensor([1, 2, 2, 1] * 4, dtype=torch.float32) / 24
    torch.testing.assert_close(probs[0], expected, rtol=1e-6, atol=0)


def test_white_square_filling_patch_6():
    image = np.zeros((16, 16, 3), np.uint8)
    image[4:8, 8:12] = 255
    probs = sobel_patch_saliency(chw(image), 4)[0]
    assert probs[6] == pytest.approx(0.43752766, rel=1e-6)
    for k in (2, 5, 7, 10):
        assert probs[k] == pytest.approx(0.12798278, rel=1e-6)
    for k in (1, 3, 9, 11):
        assert probs[k] == pytest.approx(0.01263529, rel=1e-6)
    others = [k for k in range(16) if k not in (1, 2, 3, 5, 6, 7, 9, 10, 11)]
    assert torch.all(probs[others] == 0)
    assert probs.sum().item() == pytest.approx(1.0, rel=1e-6)
    assert probs.dtype == torch.float32


def test_constant_image_gets_uniform_probabilities():
    # The official code divides 0 by 0 here (NaN) and torch.multinomial then fails.
    probs = sobel_patch_saliency(torch.full((2, 3, 8, 8), 7.0), 4)
    assert torch.equal(probs, torch.full((2, 16), 1 / 16))


def test_intensity_scale_and_offset_do_not_change_the_probabilities():
    image = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    raw = sobel_patch_saliency(image * 255, 4)
    normalised = sobel_patch_saliency((image - 0.5) / 0.5, 4)
    torch.testing.assert_close(raw, normalised, rtol=1e-6, atol=1e-7)


def test_batched_result_equals_the_official_per_image_opencv_loop():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    expected = []
    for image in images:  # the official get_probability, without its resize
        dx, dy = cv2.Sobel(image, cv2.CV_64F, 1, 0), cv2.Sobel(image, cv2.CV_64F, 0, 1)
        magnitude = np.sqrt(dx**2 + dy**2).astype(np.float32)
        scores = np.array(
            [
                magnitude[r * 8 : r * 8 + 8, c * 8 : c * 8 + 8].mean()
                for r in range(4)
                for c in range(4)
            ]
        )
        expected.append(scores / scores.sum())
    ours = sobel_patch_saliency(torch.from_numpy(images).permute(0, 3, 1, 2), 4)
    torch.testing.assert_close(
        ours, torch.from_numpy(np.stack(expected)).float(), rtol=1e-6, atol=0
    )


def test_resolution_is_checked_against_the_grid():
    with pytest.raises(ConfigError, match="patches"):
        sobel_patch_saliency(torch.rand(1, 3, 16, 16), 4, size=18)


def test_8_bit_images_filtered_in_integers_give_the_float_result_exactly():
    # The largest derivative: a 0 -> 255 step gives |gx| = (1 + 2 + 1) · 255 = 1020 beside it.
    images = torch.randint(0, 256, (5, 3, 16, 16), generator=torch.Generator().manual_seed(3))
    images[0] = 255 * (torch.arange(16) >= 8)
    images = images.to(torch.uint8)
    step = sobel_magnitude(images)[0]
    assert torch.all(step[:, :, 7:9] == 1020) and torch.all(step[:, :, :7] == 0)
    assert torch.equal(sobel_magnitude(images), sobel_magnitude(images.float()))


def test_probabilities_do_not_depend_on_the_chunk_size_or_memory_layout():
    images = torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8)
    whole = sobel_patch_saliency(images, 4, size=64, chunk=7)
    channels_last = images.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(
        sobel_patch_saliency(channels_last, 4, size=64, chunk=3), whole, rtol=1e-6, atol=0
    )
