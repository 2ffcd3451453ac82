"""The curriculum's scores, easy-first order and stage sizes (spec §13)."""

import numpy as np
import pytest
from prompt_inversion.curriculum import (
    START_STAGE,
    WEIGHTS,
    difficulty_scores,
    easy_first,
    stage_sizes,
)


def test_scores_and_easy_first_order():
    histories = np.array([[0.2, 0.2, 0.2, 0.2, 0.9], [0.8, 0.8, 0.8, 0.8, 0.1], [0.4] * 5])
    scores = difficulty_scores(histories, WEIGHTS["vit"])
    np.testing.assert_allclose(scores, [0.48, 0.52, 0.40], atol=1e-12)
    assert [["p", "q", "r"][i] for i in easy_first(scores)] == ["q", "p", "r"]


def test_a_history_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match=r"3 weights"):
        difficulty_scores(np.zeros((2, 5)), WEIGHTS["swin"])


@pytest.mark.parametrize(
    ("model", "epochs", "sizes"),
    [("vit", 5, [4, 6, 12, 12, 12]), ("swin", 5, [4, 6, 12, 12, 12]),
     ("unet", 6, [3, 4, 6, 12, 12, 12]), ("clip", 4, [6, 12, 12, 12])],
)  # fmt: skip
def test_stage_sizes_for_twelve_samples(model, epochs, sizes):
    assert stage_sizes(12, START_STAGE[model], epochs) == sizes


def test_official_weights():
    assert {k: len(v) for k, v in WEIGHTS.items()} == {"vit": 5, "swin": 3, "unet": 7, "clip": 6}
    assert all(sum(v) == pytest.approx(1.0) for v in WEIGHTS.values())
