"""The shared video evaluator on two tiny videos, against AUCs computed by hand."""

import numpy as np
import pytest
import torch

from shared.vad.evaluation import PostProcess, frame_metrics, region_metrics
from shared.vad.evaluator import FrameScore, PixelMaps, VideoEvaluator
from shared.vad.rbdc import Track

POST = PostProcess(3, 1.0)
# video 0: 5 frames, labels 0 0 1 1 0; video 1: 4 frames, all normal (one class)
LABELS = {0: np.array([0, 0, 1, 1, 0]), 1: np.array([0, 0, 0, 0])}
SCORES = {0: np.array([0.1, 0.4, 0.35, 0.8, 0.2]), 1: np.array([0.3, 0.2, 0.9, 0.1])}


def _evaluator(convention="nan_is_one", **series):
    return VideoEvaluator(series or {"s": FrameScore("s", POST)}, convention=convention)


def _feed_all(evaluator, order):
    """Feed the frames (video, frame) in ``order``, two at a time."""
    for start in range(0, len(order), 2):
        rows = order[start : start + 2]
        evaluator.update(
            torch.tensor([v for v, _ in rows]),
            torch.tensor([t for _, t in rows]),
            s=torch.tensor([SCORES[v][t] for v, t in rows], dtype=torch.float64),
            label=torch.tensor([LABELS[v][t] for v, t in rows]),
        )


FRAMES = [(v, t) for v in (0, 1) for t in range(len(LABELS[v]))]


def test_raw_macro_auc_by_hand_with_a_single_class_video_counted_as_one():
    evaluator = _evaluator()
    _feed_all(evaluator, FRAMES)
    metrics = evaluator.compute()["s"]
    # video 0: positives 0.35, 0.8 against negatives 0.1, 0.4, 0.2: 0.35 beats 2 of 3, 0.8 all 3
    assert metrics["macro_auc_raw"] == pytest.approx(((5 / 6) + 1.0) / 2)
    # pooled: positives 0.35, 0.8 against 0.1 0.4 0.2 0.3 0.2 0.9 0.1: 5 + 6 of 14 pairs
    assert metrics["micro_auc_raw"] == pytest.approx(11 / 14)
    assert set(metrics) == {"micro_auc", "macro_auc", "micro_auc_raw", "macro_auc_raw"}


def test_the_aed_mae_padding_convention_pads_instead():
    evaluator = _evaluator("pad")
    _feed_all(evaluator, FRAMES)
    # video 0 padded: positives 0.35 0.8 1.0 against 0 0.1 0.4 0.2: 3 + 4 + 4 of 12 pairs;
    # video 1 padded: the single positive 1.0 beats every negative
    assert evaluator.compute()["s"]["macro_auc_raw"] == pytest.approx((11 / 12 + 1.0) / 2)


def test_filtered_scores_are_the_post_processing_of_each_video():
    evaluator = _evaluator()
    _feed_all(evaluator, FRAMES)
    labels, scores = [LABELS[0], LABELS[1]], [SCORES[0], SCORES[1]]
    assert evaluator.compute()["s"] == frame_metrics(labels, scores, POST, "nan_is_one")


def test_batches_in_any_split_and_order_give_the_same_metrics():
    at_once = _evaluator()
    at_once.update(
        np.array([0] * 5 + [1] * 4),
        np.array([0, 1, 2, 3, 4, 0, 1, 2, 3]),
        s=np.concatenate((SCORES[0], SCORES[1])),
        label=np.concatenate((LABELS[0], LABELS[1])),
    )
    shuffled = _evaluator()
    order = [FRAMES[i] for i in np.random.default_rng(0).permutation(len(FRAMES))]
    _feed_all(shuffled, order)
    assert order != FRAMES
    assert shuffled.compute() == at_once.compute()
    np.testing.assert_array_equal(shuffled.videos()[0]["s"], SCORES[0])
    np.testing.assert_array_equal(shuffled.videos()[1]["frame"], [0, 1, 2, 3])


def test_labels_can_come_from_the_data_instead_of_the_batches():
    fed, given = _evaluator(), _evaluator()
    _feed_all(fed, FRAMES)
    given.update(np.array([0, 0, 0, 0, 0]), np.arange(5), s=SCORES[0])
    given.update(np.array([1, 1, 1, 1]), np.arange(4), s=SCORES[1])
    assert given.compute(labels=LABELS) == fed.compute()
    with pytest.raises(ValueError, match="video 1: 4 scored frames but 3 labels"):
        given.compute(labels={0: LABELS[0], 1: LABELS[1][:3]})
    with pytest.raises(ValueError, match="no frame labels"):
        given.compute()


def test_a_video_fed_twice_is_an_error_naming_it():
    evaluator = _evaluator()
    _feed_all(evaluator, FRAMES)
    evaluator.update(np.array([1, 1]), np.array([2, 3]), s=np.zeros(2), label=np.zeros(2))
    with pytest.raises(ValueError, match=r"video 1: frame\(s\) \[2, 3\] were fed more than once"):
        evaluator.compute()


def test_bad_batches_are_errors_naming_the_array():
    evaluator = _evaluator()
    with pytest.raises(ValueError, match="'s' has shape \\(3,\\); expected 2 rows"):
        evaluator.update(np.array([0, 0]), np.array([0, 1]), s=np.zeros(3))
    evaluator.update(np.array([0, 0]), np.array([0, 1]), s=np.zeros(2))
    with pytest.raises(ValueError, match="differ from the first batch"):
        evaluator.update(np.array([0]), np.array([2]), s=np.zeros(1), label=np.zeros(1))
    with pytest.raises(ValueError, match="update\\(\\) was never called"):
        _evaluator().compute()


def test_reset_forgets_the_last_epoch():
    evaluator = _evaluator()
    _feed_all(evaluator, FRAMES)
    first = evaluator.compute()
    assert len(evaluator) == 9
    evaluator.reset()
    assert len(evaluator) == 0
    _feed_all(evaluator, FRAMES)
    assert evaluator.compute() == first


def test_derived_series_only_and_region_metrics_once_per_map():
    calls = []

    def upsample(stack):  # (T, 2, 2) -> (T, 8, 8)
        calls.append(len(stack))
        return np.kron(stack, np.ones((4, 4)))

    maps = PixelMaps("small", transform=upsample)
    evaluator = _evaluator(
        peak=FrameScore(lambda video: video["small"].max(axis=(1, 2)), POST, maps),
        negated=FrameScore(lambda video: -video["small"].max(axis=(1, 2)), POST, maps),
    )
    small = np.zeros((5, 2, 2))
    small[2:4, 0, 1] = 1.0  # frames 2 and 3 light up the top-right quarter
    evaluator.update(np.zeros(5), np.arange(5), small=small, label=LABELS[0])
    track = Track("clip", {2: (4, 0, 7, 3), 3: (4, 0, 7, 3)})
    metrics = evaluator.compute(tracks=[track], names={0: "clip"})
    assert metrics["peak"]["micro_auc_raw"] == 1.0 and metrics["negated"]["micro_auc_raw"] == 0.0
    expected = region_metrics([upsample(small)], [track], ["clip"])
    assert metrics["peak"]["rbdc"] == expected["rbdc"] and expected["rbdc"] > 0.5
    assert calls == [5, 5]  # the two series share one region computation (and the check's)
    assert set(evaluator.compute(only=["peak"])) == {"peak"}
    assert "rbdc" not in evaluator.compute(tracks=[track], names={0: "clip"}, regions=False)["peak"]
