"""The cross-generator protocol with a stub detector whose score depends on the generator only."""

import numpy as np
import pytest
from deepfake_bench.protocols import (
    auc_matrix,
    matrix_cells,
    square_summary,
    summary_bootstrap,
    validation_aucs,
)

COLUMNS = ["upsample_nn", "pca_gauss", "conv_ae"]


def stub_scores(rows=3, n=20, seed=0):
    """Reals (index -1) and 20 fakes per generator. Every row's stub ranks upsample_nn fakes
    above all reals and scores the other fakes exactly like reals (same values)."""
    rng = np.random.default_rng(seed)
    real = rng.uniform(0, 0.5, n)
    generators = np.r_[np.full(n, -1), np.repeat([0, 1, 2], n)]
    labels = (generators >= 0).astype(float)
    column = np.r_[real, rng.uniform(0.6, 1.0, n), real, real]
    return np.repeat(column[:, None], rows, 1), labels, generators


def test_three_by_three_matrix_has_the_expected_aucs_and_every_key():
    probs, labels, generators = stub_scores()
    cells = matrix_cells(probs, labels, generators, [[c] for c in COLUMNS], COLUMNS, bootstrap=20)
    assert len(cells) == 9
    assert {(c["train_generators"][0], c["test_generator"]) for c in cells} == {
        (r, c) for r in COLUMNS for c in COLUMNS
    }
    matrix = auc_matrix(cells, COLUMNS)
    assert np.allclose(matrix, [[1.0, 0.5, 0.5]] * 3, rtol=0, atol=1e-12)
    for cell in cells:
        assert {"auc", "ap", "eer", "eer_threshold", "acc", "balanced_acc", "tpr_at_fpr_1",
                "tpr_at_fpr_5", "auc_ci95", "eer_ci95", "n_real", "n_fake"} <= set(cell)  # fmt: skip
        assert (cell["n_real"], cell["n_fake"]) == (20, 20)
    summary = square_summary(cells, COLUMNS, COLUMNS)
    assert summary.in_distribution == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert summary.out_of_distribution == pytest.approx((0.5 * 4 + 1 * 2) / 6)
    assert cells == matrix_cells(probs, labels, generators, [[c] for c in COLUMNS], COLUMNS,
                                 bootstrap=20)  # fmt: skip


def test_validation_sees_only_the_rows_own_generators():
    probs, labels, generators = stub_scores()
    aucs = validation_aucs(probs, labels, generators, [[0], [1], [0, 1]])
    assert aucs == pytest.approx([1.0, 0.5, 0.75], abs=1e-12)
    no_reals = generators != -1
    with pytest.raises(ValueError, match="split 'val', generator 'pca_gauss': only fake"):
        validation_aucs(probs[no_reals], labels[no_reals], generators[no_reals], [[1]],
                        ["pca_gauss"])  # fmt: skip


def test_a_pooled_row_is_no_part_of_the_square_summary():
    probs, labels, generators = stub_scores(rows=2)
    rows = [["upsample_nn"], ["pca_gauss", "conv_ae"]]
    cells = matrix_cells(probs, labels, generators, rows, COLUMNS)
    assert len(cells) == 6 and square_summary(cells, ["upsample_nn", "pca_gauss+conv_ae"],
                                              COLUMNS) is None  # fmt: skip


def test_leave_one_out_rows_are_read_on_the_generator_they_left_out():
    from deepfake_bench.protocols import logo_aucs, logo_rows

    rows = logo_rows(COLUMNS)
    assert rows == [["pca_gauss", "conv_ae"], ["upsample_nn", "conv_ae"],
                    ["upsample_nn", "pca_gauss"]]  # fmt: skip
    probs, labels, generators = stub_scores()
    held_out = logo_aucs(matrix_cells(probs, labels, generators, rows, COLUMNS), COLUMNS)
    assert held_out == pytest.approx({"upsample_nn": 1.0, "pca_gauss": 0.5, "conv_ae": 0.5})


def test_a_new_real_source_is_read_apart_and_seen_columns_apart_from_unseen():
    from deepfake_bench.protocols import NOVEL_REAL, seen_unseen

    probs, labels, generators = stub_scores(rows=1)
    novel = np.full(20, 0.55)  # new reals: above the old reals, below upsample_nn's fakes
    probs = np.r_[probs, novel[:, None]]
    labels, generators = np.r_[labels, np.zeros(20)], np.r_[generators, np.full(20, NOVEL_REAL)]
    rows = [["upsample_nn", "pca_gauss"]]
    old = matrix_cells(probs, labels, generators, rows, COLUMNS)
    new = matrix_cells(probs, labels, generators, rows, COLUMNS, real=NOVEL_REAL)
    assert [c["real_source"] for c in old + new] == ["training_source"] * 3 + ["novel"] * 3
    assert [c["n_real"] for c in new] == [20, 20, 20]
    assert [c["auc"] for c in new] == pytest.approx([1.0, 0.0, 0.0])  # old-real-like fakes
    assert seen_unseen(old)["upsample_nn+pca_gauss"] == pytest.approx((0.75, 0.5))
    assert seen_unseen(new)["upsample_nn+pca_gauss"] == pytest.approx((0.5, 0.0))


def test_summary_bootstrap_of_detectors_that_only_know_their_own_generator():
    # row r scores its own generator's fakes 1, the other's 0 and every real 0.5: AUC 1 on the
    # diagonal and 0 off it in *every* resample, so the intervals are points
    n = 10
    generators = np.r_[np.full(n, -1), np.zeros(n, int), np.ones(n, int)]
    labels = (generators >= 0).astype(float)
    own = [np.where(generators == -1, 0.5, (generators == r).astype(float)) for r in (0, 1)]
    probs = np.stack(own, 1)
    names = COLUMNS[:2]
    ci = summary_bootstrap(probs, labels, generators, [[c] for c in names], names, n=50)
    assert ci == {"auc_id": [1.0, 1.0], "auc_ood": [0.0, 0.0], "auc_drop": [1.0, 1.0]}


def test_summary_bootstrap_brackets_the_estimate_and_is_seeded():
    probs, labels, generators = stub_scores(seed=3)
    probs = probs + np.random.default_rng(1).normal(0, 0.2, probs.shape)  # rows now differ
    rows = [[c] for c in COLUMNS]
    cells = matrix_cells(probs, labels, generators, rows, COLUMNS)
    point = square_summary(cells, COLUMNS, COLUMNS)
    ci = summary_bootstrap(probs, labels, generators, rows, COLUMNS, n=200, seed=7)
    for key, value in (("auc_id", point.in_distribution), ("auc_ood", point.out_of_distribution),
                       ("auc_drop", point.drop)):  # fmt: skip
        low, high = ci[key]
        assert low < value < high and high - low < 0.5
    assert ci == summary_bootstrap(probs, labels, generators, rows, COLUMNS, n=200, seed=7)
    assert ci != summary_bootstrap(probs, labels, generators, rows, COLUMNS, n=200, seed=8)
    pooled = [["upsample_nn", "pca_gauss"]]
    assert summary_bootstrap(probs, labels, generators, pooled, COLUMNS, n=200) is None
