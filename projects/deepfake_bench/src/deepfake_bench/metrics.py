"""Detection metrics exactly as the benchmark defines them (label 1 = fake, larger score = faker).

Everything is float64 NumPy / scikit-learn. The EER is the canonical ASVspoof/AASIST algorithm
(:func:`eer`); DeepfakeBench's shortcut, which returns a false-positive rate rather than an
equal error rate, is kept only as :func:`eer_deepfakebench_compat` for parity checks.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_curve

from shared.data.errors import DatasetFormatError

Array = np.ndarray


class OneClassError(DatasetFormatError):
    """A metric that needs both classes was given only one; names the split and generator (a
    dataset error, so the CLI reports it in one paragraph)."""

    def __init__(self, present: str, split: str, generator: str) -> None:
        self.split, self.generator, self.path = split, generator, None
        ValueError.__init__(
            self,
            f"split {split!r}, generator {generator!r}: only {present} items, but AUC, AP and "
            "EER need both real (label 0) and fake (label 1) items",
        )


def _check(labels: Array, scores: Array, split: str, generator: str) -> tuple[Array, Array]:
    labels = np.asarray(labels).astype(np.int64).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"{labels.size} labels but {scores.size} scores")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"labels must be 0 (real) or 1 (fake), got {sorted(set(labels))}")
    n_fake = int(labels.sum())
    if n_fake in (0, labels.size):
        raise OneClassError("fake" if n_fake else "real", split, generator)
    return labels, scores


def auc(labels: Array, scores: Array, split: str = "?", generator: str = "?") -> float:
    """ROC AUC: P(random fake outscores random real), ties ½ (Mann-Whitney U from mid-ranks;
    equal to scikit-learn's trapezoid ROC area, many times faster for the bootstrap)."""
    labels, scores = _check(labels, scores, split, generator)
    ranks = rankdata(scores)
    fakes = labels == 1
    n_fake, n_real = int(fakes.sum()), int((~fakes).sum())
    return float((ranks[fakes].sum() - n_fake * (n_fake + 1) / 2) / (n_fake * n_real))


def average_precision(
    labels: Array, scores: Array, split: str = "?", generator: str = "?"
) -> float:
    """AP = Σ (R_n − R_{n−1}) P_n over decreasing thresholds, no interpolation; positive = fake."""
    labels, scores = _check(labels, scores, split, generator)
    return float(average_precision_score(labels, scores))


def accuracy(labels: Array, scores: Array, threshold: float = 0.5) -> float:
    """Fraction correct when "fake iff score > threshold" (strict, as DeepfakeBench); use
    ``threshold=0`` for logits."""
    labels = np.asarray(labels).ravel()
    return float(np.mean((np.asarray(scores, dtype=np.float64).ravel() > threshold) == labels))


def balanced_accuracy(
    labels: Array, scores: Array, threshold: float = 0.5, split: str = "?", generator: str = "?"
) -> float:
    """Mean of the real and the fake accuracy at ``threshold`` (class ratios differ by split)."""
    labels, scores = _check(labels, scores, split, generator)
    predicted = scores > threshold
    return float((np.mean(~predicted[labels == 0]) + np.mean(predicted[labels == 1])) / 2)


def eer_from_scores(targets: Array, nontargets: Array) -> tuple[float, float]:
    """Canonical (ASVspoof/AASIST) EER and its threshold; ``targets`` score higher.

    Scores sorted ascending with a stable sort over (targets, non-targets), so equal scores put
    targets first; at cut k, FRR = targets among the k lowest, FAR = non-targets above them;
    the first k minimising |FRR − FAR| gives EER = (FRR + FAR) / 2 and the threshold
    (decision: target iff score > threshold).
    """
    targets = np.asarray(targets, dtype=np.float64).ravel()
    nontargets = np.asarray(nontargets, dtype=np.float64).ravel()
    scores = np.concatenate([targets, nontargets])
    is_target = np.concatenate([np.ones(targets.size), np.zeros(nontargets.size)])
    order = np.argsort(scores, kind="mergesort")
    targets_below = np.cumsum(is_target[order])
    nontargets_above = nontargets.size - (np.arange(1, scores.size + 1) - targets_below)
    frr = np.concatenate([[0.0], targets_below / targets.size])
    far = np.concatenate([[1.0], nontargets_above / nontargets.size])
    thresholds = np.concatenate([[scores[order[0]] - 0.001], scores[order]])
    k = int(np.argmin(np.abs(frr - far)))
    return float((frr[k] + far[k]) / 2), float(thresholds[k])


def eer(
    labels: Array, scores: Array, split: str = "?", generator: str = "?"
) -> tuple[float, float]:
    """``(EER, threshold)`` with fakes as targets (see :func:`eer_from_scores`)."""
    labels, scores = _check(labels, scores, split, generator)
    return eer_from_scores(scores[labels == 1], scores[labels == 0])


def eer_deepfakebench_compat(labels: Array, scores: Array) -> float:
    """DeepfakeBench's ``metrics/utils.py`` "EER", for parity checks only: the FPR at the first
    argmin |FNR − FPR| of ``sklearn.roc_curve`` with intermediate points dropped. It is a
    false-positive rate, not an equal error rate (0.0 where the true EER is 0.25)."""
    fpr, tpr, _ = roc_curve(np.asarray(labels), np.asarray(scores, dtype=np.float64), pos_label=1)
    return float(fpr[np.nanargmin(np.abs((1 - tpr) - fpr))])


def tpr_at_fpr(
    labels: Array, scores: Array, max_fpr: float, split: str = "?", generator: str = "?"
) -> float:
    """The highest TPR among ROC points (none dropped) whose FPR is at most ``max_fpr``."""
    labels, scores = _check(labels, scores, split, generator)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    return float(tpr[fpr <= max_fpr + 1e-12].max())


def video_scores(
    video_ids: Sequence[Hashable], labels: Array, scores: Array
) -> tuple[list[Hashable], Array, Array]:
    """Per-video mean of frame scores (DeepfakeBench's video AUC input): ids in first-seen
    order, one label and one score each. A video whose frames disagree on the label is an error."""
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()
    ids: dict[Hashable, list[int]] = {}
    for index, video in enumerate(video_ids):
        ids.setdefault(video, []).append(index)
    out_labels, out_scores = [], []
    for video, rows in ids.items():
        if len(set(labels[rows].tolist())) != 1:
            raise ValueError(f"video {video!r}: its frames carry different labels")
        out_labels.append(labels[rows[0]])
        out_scores.append(scores[rows].mean())
    return list(ids), np.asarray(out_labels), np.asarray(out_scores)


def bootstrap_ci(
    metric: Callable[[Array, Array], float],
    labels: Array,
    scores: Array,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile CI of ``metric`` over ``n`` stratified resamples (reals and fakes resampled
    separately, so every resample keeps the class counts); seeded, so reproducible."""
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in (0, 1)]
    values = np.empty(n)
    for i in range(n):
        rows = np.concatenate([rng.choice(g, size=g.size, replace=True) for g in groups])
        values[i] = metric(labels[rows], scores[rows])
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


CELL_METRICS = (
    "auc", "ap", "eer", "eer_threshold", "acc", "balanced_acc", "tpr_at_fpr_1", "tpr_at_fpr_5",
)  # fmt: skip


def cell_metrics(
    labels: Array,
    scores: Array,
    split: str = "?",
    generator: str = "?",
    threshold: float = 0.5,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, float | list[float]]:
    """Every metric of one (train set, test generator) cell; ``bootstrap`` > 0 adds the seeded
    stratified 95 % CIs of AUC and EER (``auc_ci95``, ``eer_ci95``)."""
    labels, scores = _check(labels, scores, split, generator)
    equal_error, eer_threshold = eer(labels, scores)
    out: dict[str, float | list[float]] = {
        "n_real": int((labels == 0).sum()),
        "n_fake": int((labels == 1).sum()),
        "auc": auc(labels, scores),
        "ap": average_precision(labels, scores),
        "eer": equal_error,
        "eer_threshold": eer_threshold,
        "acc": accuracy(labels, scores, threshold),
        "balanced_acc": balanced_accuracy(labels, scores, threshold),
        "tpr_at_fpr_1": tpr_at_fpr(labels, scores, 0.01),
        "tpr_at_fpr_5": tpr_at_fpr(labels, scores, 0.05),
    }
    if bootstrap:
        out["auc_ci95"] = list(bootstrap_ci(auc, labels, scores, bootstrap, seed))
        out["eer_ci95"] = list(
            bootstrap_ci(lambda y, s: eer(y, s)[0], labels, scores, bootstrap, seed)
        )
    return out


@dataclass(frozen=True)
class MatrixSummary:
    """ID = mean diagonal, OOD = mean off-diagonal, drop = ID − OOD; ``hardest_unseen`` maps each
    test generator (column) to the training generator (row, not itself) that scores it lowest."""

    in_distribution: float
    out_of_distribution: float
    drop: float
    hardest_unseen: Mapping[str, tuple[str, float]]


def summarize_matrix(matrix: Array, names: Sequence[str] | None = None) -> MatrixSummary:
    """Summaries of a square cross-generator matrix (rows train, columns test)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    k = matrix.shape[0]
    if matrix.shape != (k, k) or k < 2:
        raise ValueError(f"a cross-generator matrix is square with >= 2 rows, got {matrix.shape}")
    names = list(names) if names is not None else [str(i) for i in range(k)]
    off = ~np.eye(k, dtype=bool)
    ident = float(np.mean(np.diag(matrix)))
    ood = float(matrix[off].mean())
    hardest = {}
    for column in range(k):
        rows = [r for r in range(k) if r != column]
        worst = min(rows, key=lambda r: matrix[r, column])
        hardest[names[column]] = (names[worst], float(matrix[worst, column]))
    return MatrixSummary(ident, ood, ident - ood, hardest)
