"""The kernel step (intended and official-compat) and the weighted ensemble (spec §13)."""

import numpy as np
import pytest
from prompt_inversion.ensemble import OFFICIAL_WEIGHTS, weighted_ensemble
from prompt_inversion.kernel import kernel_ridge_predictions, kernel_similarity

A = np.array([[1.0, 0.0]])
B = np.array([[0.5, np.sqrt(0.75)]])  # cosine 0.5 with A


def test_the_intended_kernel_is_one_exponential():
    assert kernel_similarity(A, B)[0, 0] == pytest.approx(np.exp(-0.005 * 0.5), abs=1e-10)
    assert kernel_similarity(A, B)[0, 0] == pytest.approx(0.9975031224, abs=1e-10)
    assert kernel_similarity(B, 3 * B)[0, 0] == pytest.approx(1.0)


def test_the_official_repeated_kernel_degenerates():
    assert kernel_similarity(A, B, official_repeats=2)[0, 0] == pytest.approx(
        0.9999875157, abs=1e-10
    )
    assert kernel_similarity(A, -A, official_repeats=8)[0, 0] > 0.99999


def test_kernel_ridge_predictions_shape_and_fit():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(40, 8))
    targets = train / np.linalg.norm(train, axis=1, keepdims=True)
    out = kernel_ridge_predictions(train, targets, train[:5], clusters=10, alpha=1e-3, gamma=10.0)
    assert out.shape == (5, 8) and np.isfinite(out).all()


def test_the_ensemble_normalises_each_model_first():
    predictions = {"swin_images": np.array([[2.0, 0.0]]), "knn": np.array([[0.0, 10.0]])}
    out = weighted_ensemble(predictions, OFFICIAL_WEIGHTS)  # weights 1.0 and 0.6
    np.testing.assert_allclose(out, [[1.0 / 1.6, 0.6 / 1.6]])
    assert OFFICIAL_WEIGHTS == {
        "clip_mlp_images": 1.5, "clip_mlp_images_2": 1.2, "vit_gpt2": 0.4, "unet": 0.4,
        "vit_images": 0.2, "swin_images": 1.0, "knn": 0.6,
    }  # fmt: skip
    with pytest.raises(KeyError, match=r"other"):
        weighted_ensemble({"other": np.ones((1, 2))}, OFFICIAL_WEIGHTS)
