"""Temporal filter, normalisation and frame AUCs against the specs' hand values."""

import numpy as np
import pytest

from shared.errors import ConfigError
from shared.vad.evaluation import PostProcess, frame_metrics
from shared.vad.filters import gaussian_kernel, normalise_per_video, temporal_filter
from shared.vad.metrics import macro_auc, micro_auc


def test_filter_impulse_avenue_preset():
    x = np.zeros(12)
    x[5] = 1.0
    y = temporal_filter(x, 37, 11)  # the official R = 38
    assert int(np.argmax(y)) == 6  # one-frame lag
    assert y[6] == pytest.approx(0.0362674800, abs=1e-9)
    assert y[0] == pytest.approx(0.0312544305, abs=1e-9)
    assert y[11] == pytest.approx(0.0327078689, abs=1e-9)


def test_kernels():
    kernel = gaussian_kernel(37, 11)
    assert len(kernel) == 37 and int(np.argmax(kernel)) == 17
    assert kernel.sum() == pytest.approx(0.9061602869, abs=1e-9)
    kernel = gaussian_kernel(899, 282)
    assert len(kernel) == 899 and int(np.argmax(kernel)) == 448
    assert kernel.sum() == pytest.approx(0.8890555532, abs=1e-9)


def test_filter_distill_preset():
    x = np.zeros(400)
    x[200] = 1.0
    y = temporal_filter(x, 301, 21)
    assert int(np.argmax(y)) == 201 and y[201] == pytest.approx(0.018997251448, abs=1e-12)


@pytest.mark.parametrize("length", [1, 5, 50])
def test_filter_keeps_length_and_zero(length):
    assert np.array_equal(temporal_filter(np.zeros(length), 37, 11), np.zeros(length))


def test_filter_rejects_even_support():
    with pytest.raises(ConfigError, match="support"):
        temporal_filter(np.zeros(5), 38, 11)


def test_normalise_per_video():
    assert normalise_per_video(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert normalise_per_video(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]


def test_micro_auc():
    assert micro_auc([np.array([0, 0, 1, 1])], [np.array([0.1, 0.4, 0.35, 0.8])]) == 0.75
    assert micro_auc([np.ones(3)], [np.array([0.1, 0.2, 0.3])]) == 1.0


def test_macro_auc_padding_convention():
    assert macro_auc([np.ones(3)], [np.array([0.2, 0.3, 0.4])]) == 1.0
    assert macro_auc([np.zeros(3)], [np.array([0.5, 0.6, 0.7])]) == 1.0
    assert macro_auc([np.zeros(3)], [np.array([0.0, 0.5, 1.0])]) == 0.875  # ties count one half
    two = macro_auc(
        [np.zeros(3), np.array([0, 1, 1])], [np.array([0.0, 0.5, 1.0]), np.array([0.9, 0.1, 0.2])]
    )
    # second video padded: labels [0,0,1,1,1], scores [0,.9,.1,.2,1] -> positives beat 0 always, beat .9 once
    assert two == pytest.approx((0.875 + 4 / 6) / 2)


def test_macro_auc_nan_is_one_convention():
    assert macro_auc([np.zeros(3)], [np.array([0.0, 0.5, 1.0])], "nan_is_one") == 1.0
    assert macro_auc([np.array([0, 1])], [np.array([0.7, 0.2])], "nan_is_one") == 0.0
    with pytest.raises(ConfigError):
        macro_auc([np.zeros(2)], [np.zeros(2)], "other")


def test_normalisation_is_applied_after_filtering():
    labels, scores = [np.array([0, 0, 0, 1, 1])], [np.array([1.0, 2.0, 1.0, 5.0, 6.0])]
    metrics = frame_metrics(labels, scores, PostProcess(3, 1.0, normalise=True))
    processed = normalise_per_video(temporal_filter(scores[0], 3, 1.0))
    assert processed.min() == 0.0 and processed.max() == 1.0
    assert metrics["micro_auc"] == micro_auc(labels, [processed])
    assert metrics["micro_auc_raw"] == 1.0


def test_region_metrics_of_a_map_that_lights_up_the_ground_truth():
    from shared.vad.evaluation import region_metrics
    from shared.vad.rbdc import Track

    maps = np.zeros((10, 10, 10))
    maps[3:7, 2:6, 2:6] = 1.0  # exactly the ground-truth box, frames 3-6
    track = Track("v", dict.fromkeys(range(3, 7), (2, 2, 5, 5)))
    metrics = region_metrics([maps], [track], ["v"])
    assert metrics == {"rbdc": pytest.approx(1.0), "tbdc": pytest.approx(1.0)}
    shifted = np.zeros_like(maps)
    shifted[3:7, 7:10, 7:10] = 1.0  # lights up the wrong place
    # 3.6 % hot pixels: the lowest quantile threshold is 0, whose component is the whole frame
    # (IoU 16/100 with the truth, score 1 in frames 3-6, 0 elsewhere). Stable order by score:
    # whole frame (TP), hot box (FP) for frames 3..6, then six whole-frame FPs. RBDR steps to
    # .25/.5/.75/1 at FPR 0/.1/.2/.3, so RBDC = .1 * (.25 + .5 + .75) + .7 * 1 = 0.85.
    assert region_metrics([shifted], [track], ["v"])["rbdc"] == pytest.approx(0.85)
