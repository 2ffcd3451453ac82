"""The metric checks of the spec, with their hand-computed numbers (label 1 = fake)."""

import numpy as np
import pytest
from deepfake_bench import metrics as m
from deepfake_bench.score_files import read_asvspoof_scores, write_asvspoof_scores


def labelled(fake, real):
    return np.r_[np.ones(len(fake)), np.zeros(len(real))], np.r_[fake, real]


A = labelled([0.9, 0.8, 0.7, 0.3], [0.6, 0.4, 0.2, 0.1])
B = labelled([0.9, 0.8, 0.55, 0.3, 0.25], [0.6, 0.5, 0.35, 0.2, 0.1])
TIES = labelled([0.5, 0.5, 0.9], [0.5, 0.1, 0.2])
PERFECT = labelled([0.9, 0.8], [0.2, 0.1])
INVERTED = labelled([0.2, 0.1], [0.9, 0.8])


def test_fixture_a():
    y, s = A
    assert m.auc(y, s) == pytest.approx(14 / 16, abs=1e-12)
    assert m.average_precision(y, s) == pytest.approx(11 / 12, abs=1e-12)
    assert m.accuracy(y, s) == 0.75
    assert m.eer(y, s) == pytest.approx((0.25, 0.4), abs=1e-12)


def test_fixture_a_eer_is_not_the_deepfakebench_shortcut():
    y, s = A
    assert m.eer_deepfakebench_compat(y, s) == 0.0
    assert m.eer(y, s)[0] != m.eer_deepfakebench_compat(y, s)


def test_fixture_b_has_no_exact_crossing():
    y, s = B
    assert m.auc(y, s) == pytest.approx(18 / 25, abs=1e-12)
    assert m.average_precision(y, s) == pytest.approx(0.7892857, abs=1e-7)
    assert m.accuracy(y, s) == pytest.approx(0.7, abs=1e-12)
    assert m.eer(y, s) == pytest.approx((0.40, 0.35), abs=1e-12)
    assert m.eer_deepfakebench_compat(y, s) == pytest.approx(0.6, abs=1e-12)


def test_perfect_and_inverted():
    y, s = PERFECT
    assert (m.auc(y, s), m.average_precision(y, s), m.eer(y, s)[0]) == (1.0, 1.0, 0.0)
    y, s = INVERTED
    assert m.auc(y, s) == 0.0
    assert m.eer(y, s)[0] == 1.0
    assert m.average_precision(y, s) == pytest.approx(5 / 12, abs=1e-12)


def test_ties_count_half_and_half_is_real_at_threshold():
    y, s = TIES
    assert m.auc(y, s) == pytest.approx(8 / 9, abs=1e-12)
    assert m.average_precision(y, s) == pytest.approx(0.8333333, abs=1e-7)
    assert m.eer(y, s) == pytest.approx((1 / 3, 0.5), abs=1e-12)
    assert m.accuracy(y, s) == pytest.approx(4 / 6, abs=1e-12)


@pytest.mark.parametrize(("fixture", "expected"), [(A, 0.25), (B, 0.40), (TIES, 1 / 3)])
def test_bona_fide_as_target_with_asvspoof_sign_gives_the_same_eer(fixture, expected):
    y, s = fixture
    fake, real = s[y == 1], s[y == 0]
    assert m.eer_from_scores(fake, real)[0] == pytest.approx(expected, abs=1e-12)
    assert m.eer_from_scores(-real, -fake)[0] == pytest.approx(expected, abs=1e-12)


def test_asvspoof_score_file_round_trip(tmp_path):
    y, s = B
    names = [f"LA_E_{i}" for i in range(len(s))]
    path = write_asvspoof_scores(tmp_path / "scores.txt", names, s)
    first = path.read_text().splitlines()[0].split()
    assert first == ["LA_E_0", "-0.9"]  # ASVspoof sign: high = bona fide
    read_names, read = read_asvspoof_scores(path)
    assert read_names == names
    assert m.auc(y, read) == m.auc(y, s)
    assert m.eer(y, read) == m.eer(y, s)


def test_balanced_accuracy_and_tpr_at_fpr():
    y, s = A  # reals correct at 0.5: 3/4; fakes correct: 3/4
    assert m.balanced_accuracy(y, s) == 0.75
    # ROC points with FPR 0: TPR 0.25, 0.5, 0.75 (0.6 is the top real) -> 0.75; FPR <= 0.05 too
    assert m.tpr_at_fpr(y, s, 0.01) == 0.75
    assert m.tpr_at_fpr(y, s, 0.05) == 0.75
    y, s = labelled([0.9, 0.8, 0.7], [0.1] * 19 + [0.85])  # one real in 20 above two fakes
    assert m.tpr_at_fpr(y, s, 0.01) == pytest.approx(1 / 3)
    assert m.tpr_at_fpr(y, s, 0.05) == 1.0


def test_one_class_names_the_split_and_generator():
    with pytest.raises(ValueError, match=r"split 'test', generator 'dcgan': only fake"):
        m.auc(np.ones(3), np.array([0.1, 0.2, 0.3]), split="test", generator="dcgan")
    with pytest.raises(m.OneClassError, match="only real"):
        m.cell_metrics(np.zeros(2), np.array([0.1, 0.2]), split="val", generator="ddpm")


def test_video_level_means_frames_per_video():
    ids = ["a", "a", "b", "b", "c"]
    videos, labels, scores = m.video_scores(ids, [1, 1, 0, 0, 1], [0.2, 0.6, 0.5, 0.7, 0.9])
    assert videos == ["a", "b", "c"]
    assert labels.tolist() == [1, 0, 1]
    assert scores == pytest.approx([0.4, 0.6, 0.9])
    assert m.auc(labels, scores) == 0.5  # 0.4 < 0.6 < 0.9 ranks one fake below the real
    with pytest.raises(ValueError, match="'a'"):
        m.video_scores(["a", "a"], [0, 1], [0.1, 0.2])


def test_matrix_summary():
    matrix = [[0.99, 0.60, 0.70], [0.55, 0.98, 0.65], [0.80, 0.62, 0.97]]
    summary = m.summarize_matrix(matrix, ["g0", "g1", "g2"])
    assert summary.in_distribution == pytest.approx(0.98, abs=1e-12)
    assert summary.out_of_distribution == pytest.approx(3.92 / 6, abs=1e-12)
    assert summary.drop == pytest.approx(0.3266667, abs=1e-7)
    assert summary.hardest_unseen == {
        "g0": ("g1", 0.55), "g1": ("g0", 0.60), "g2": ("g1", 0.65),
    }  # fmt: skip


def test_bootstrap_ci_contains_the_estimate_and_is_seeded():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(50), np.zeros(50)]
    s = np.r_[rng.normal(1, 1, 50), rng.normal(0, 1, 50)]
    low, high = m.bootstrap_ci(m.auc, y, s, n=100, seed=3)
    assert low < m.auc(y, s) < high
    assert (low, high) == m.bootstrap_ci(m.auc, y, s, n=100, seed=3)
    assert (low, high) != m.bootstrap_ci(m.auc, y, s, n=100, seed=4)


def test_cell_metrics_carries_every_key():
    y, s = A
    cell = m.cell_metrics(y, s, bootstrap=50)
    assert set(m.CELL_METRICS) <= set(cell)
    assert (cell["n_real"], cell["n_fake"], cell["eer"], cell["eer_threshold"]) == (4, 4, 0.25, 0.4)
    assert cell["auc_ci95"][0] <= 0.875 <= cell["auc_ci95"][1]


def test_the_rank_auc_equals_scikit_learns_roc_area_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300) + 0.2 * labels, 1)  # heavy ties
    assert m.auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
