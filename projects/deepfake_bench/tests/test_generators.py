"""Generator checks with hand-computed values (spec §11)."""

import numpy as np
import pytest
from deepfake_bench.synth.generators.pca import PCAGauss
from deepfake_bench.synth.generators.upsample import Upsample


def test_upsample_nn_on_a_4x4_example():
    channel = np.array([[0, 2, 10, 20], [4, 6, 30, 40], [1, 1, 7, 7], [1, 2, 7, 8]])
    image = np.repeat(channel[None, :, :, None], 3, axis=3).astype(np.uint8)
    # 2x2 means: 3, 25 / 1.25 -> 1, 7.25 -> 7; each repeated into a 2x2 block
    expected = np.array([[3, 3, 25, 25], [3, 3, 25, 25], [1, 1, 7, 7], [1, 1, 7, 7]])
    out = Upsample("nearest").generate(1, image, seed=0)
    assert out.dtype == np.uint8
    assert np.array_equal(out[0, :, :, 1], expected)


def test_pca_gauss_with_all_components_reconstructs_exactly(real_patches):
    pca = PCAGauss(n_components=None).fit(real_patches, seed=0)
    assert np.abs(pca.reconstruct(real_patches) - real_patches).max() < 1e-6


def test_pca_gauss_samples_are_low_pass(real_patches):
    fakes = PCAGauss(n_components=8).fit(real_patches, seed=0).generate(64, None, seed=1)
    diff = lambda x: np.abs(np.diff(x.astype(float), axis=2)).mean()  # noqa: E731
    assert diff(fakes) < diff(real_patches)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsample_keeps_shape(mode, real_patches):
    assert Upsample(mode).generate(5, real_patches[:5], 0).shape == (5, 32, 32, 3)
