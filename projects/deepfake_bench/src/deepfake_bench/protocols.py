"""The cross-generator protocol's scoring, as pure functions of the scores (spec §6).

Rows are detectors fitted on real-train vs the fakes of their training generator(s); columns are
the test generators; every column uses the same real test set. Validation selects on a row's
own generator(s) only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepfake_bench.metrics import auc, cell_metrics, summarize_matrix

REAL = -1  # the generator index of real items
NOVEL_REAL = -2  # the generator index of the new real source's items (BioDeepAV-style)


def validation_aucs(
    probs: np.ndarray,
    labels: np.ndarray,
    generators: np.ndarray,
    rows: Sequence[Sequence[int]],
    names: Sequence[str] | None = None,
) -> list[float]:
    """Each row's AUC on the reals vs the fakes of its own training generator(s) only
    (``names``: the rows' names, for the error when a split lacks a class)."""
    out = []
    for r, indices in enumerate(rows):
        keep = (generators == REAL) | np.isin(generators, indices)
        name = names[r] if names is not None else "+".join(map(str, indices))
        out.append(auc(labels[keep], probs[keep, r], "val", name))
    return out


def matrix_cells(
    probs: np.ndarray,
    labels: np.ndarray,
    generators: np.ndarray,
    rows: Sequence[Sequence[str]],
    columns: Sequence[str],
    threshold: float = 0.5,
    bootstrap: int = 0,
    real: int = REAL,
) -> list[dict]:
    """One metrics record per (row, column): ``probs`` (N, rows) scored on the reals (index
    ``real``: the training photos' or the new source's) plus the column's fakes; bootstrap seeds
    are the cell's index, so reruns are identical."""
    cells = []
    for r, row in enumerate(rows):
        for k, column in enumerate(columns):
            keep = (generators == real) | (generators == k)
            cell = cell_metrics(
                labels[keep], probs[keep, r], "test", column, threshold, bootstrap,
                seed=r * len(columns) + k,
            )  # fmt: skip
            cells.append({"train_generators": list(row), "test_generator": column,
                          "real_source": "novel" if real == NOVEL_REAL else "training_source",
                          **cell})  # fmt: skip
    return cells


def seen_unseen(cells: list[dict]) -> dict[str, tuple[float, float | None]]:
    """``row -> (mean AUC on its training generators' columns, mean AUC on the others)`` (the
    second ``None`` when a row saw every column): ID vs OOD for pooled rows too."""
    by_row: dict[str, tuple[list, list]] = {}
    for cell in cells:
        seen, unseen = by_row.setdefault("+".join(cell["train_generators"]), ([], []))
        (seen if cell["test_generator"] in cell["train_generators"] else unseen).append(cell["auc"])
    return {row: (float(np.mean(s)), float(np.mean(u)) if u else None)
            for row, (s, u) in by_row.items()}  # fmt: skip


def auc_matrix(cells: list[dict], names: Sequence[str]) -> np.ndarray:
    """The square AUC matrix of the single-generator rows named ``names`` (rows and columns)."""
    table = {(c["train_generators"][0], c["test_generator"]): c["auc"] for c in cells
             if len(c["train_generators"]) == 1}  # fmt: skip
    return np.array([[table[row, col] for col in names] for row in names])


def square_summary(cells: list[dict], row_names: Sequence[str], columns: Sequence[str]):
    """ID/OOD/drop of the square part (single-generator rows that are also columns), or None."""
    square = [r for r in row_names if r in columns]
    if len(square) < 2:
        return None
    return summarize_matrix(auc_matrix(cells, square), square)


def summary_bootstrap(
    probs: np.ndarray,
    labels: np.ndarray,
    generators: np.ndarray,
    rows: Sequence[Sequence[str]],
    columns: Sequence[str],
    n: int,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, list[float]] | None:
    """Percentile CIs of the square part's ID, OOD and drop AUC (``auc_id``, ``auc_ood``,
    ``auc_drop``), or None without a square part: each resample redraws the real test set and
    every column's fakes with replacement once and scores every row on that same resample, as
    the rows share one test set."""
    square = [r for r, row in enumerate(rows) if len(row) == 1 and row[0] in columns]
    if len(square) < 2 or n <= 0:
        return None
    order = [columns.index(rows[r][0]) for r in square]
    rng = np.random.default_rng(seed)
    reals = np.flatnonzero(generators == REAL)
    fakes = [np.flatnonzero(generators == k) for k in order]
    values = np.empty((n, 3))
    for i in range(n):
        drawn_reals = rng.choice(reals, reals.size)
        matrix = np.empty((len(square), len(order)))
        for j, pool in enumerate(fakes):
            items = np.concatenate([drawn_reals, rng.choice(pool, pool.size)])
            for r_out, r in enumerate(square):
                matrix[r_out, j] = auc(labels[items], probs[items, r], "test", columns[order[j]])
        summary = summarize_matrix(matrix)
        values[i] = summary.in_distribution, summary.out_of_distribution, summary.drop
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha], axis=0)
    names = ("auc_id", "auc_ood", "auc_drop")
    return {k: [float(a), float(b)] for k, a, b in zip(names, low, high, strict=True)}


def logo_rows(generators: Sequence[str]) -> list[list[str]]:
    """Leave-one-generator-out rows: row j pools every generator but ``generators[j]``."""
    return [[g for g in generators if g != held_out] for held_out in generators]


def logo_aucs(cells: list[dict], columns: Sequence[str]) -> dict[str, float]:
    """``held-out generator -> AUC`` of every leave-one-out row on the generator it left out
    (rows that pool every column but exactly one)."""
    out = {}
    for cell in cells:
        left_out = set(columns) - set(cell["train_generators"])
        if len(cell["train_generators"]) == len(columns) - 1 and left_out == {
            cell["test_generator"]
        }:
            out[cell["test_generator"]] = cell["auc"]
    return out
