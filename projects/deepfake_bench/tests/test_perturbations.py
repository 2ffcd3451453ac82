"""Test-time perturbations: what each does, checked on inputs whose answer is known."""

import numpy as np
import pytest
import torch
from deepfake_bench.perturbations import perturb, perturb_image

from shared.errors import ConfigError


def test_blur_keeps_a_constant_image_and_smooths_an_edge():
    flat = np.full((8, 8, 3), 77, np.uint8)
    assert np.array_equal(perturb_image(flat, "blur1"), flat)
    edge = np.zeros((8, 8, 3), np.uint8)
    edge[:, 4:] = 255
    out = perturb_image(edge, "blur1")
    assert 0 < out[0, 3, 0] < 255 and 0 < out[0, 4, 0] < 255


def test_resize_half_of_a_2x2_block_image_is_its_block_means():
    image = np.kron(np.array([[10, 50], [90, 130]]), np.ones((2, 2)))[..., None].repeat(3, 2)
    out = perturb_image(image.astype(np.uint8), "resize0.5")
    assert out.shape == (4, 4, 3) and out[0, 0, 0] == 10 and out[3, 3, 0] == 130


def test_jpeg_quality_orders_the_error():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    error = {q: np.abs(perturb_image(image, f"jpeg{q}").astype(int) - image).mean()
             for q in (90, 50)}  # fmt: skip
    assert 0 < error[90] < error[50]


def test_batches_keep_shape_and_dtype():
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8)
    out = perturb(images, "jpeg70")
    assert out.shape == images.shape and out.dtype == torch.uint8


@pytest.mark.parametrize("name", ["jpeg0", "resize2", "sharpen1", "blur"])
def test_unknown_or_out_of_range_perturbations_are_refused(name):
    with pytest.raises(ConfigError, match="test_perturbations"):
        perturb_image(np.zeros((4, 4, 3), np.uint8), name)
