"""Score files in the ASVspoof convention (high = bona fide), for scoring with their tools.

Our scores are "larger = faker"; the writer emits the negated score and the reader negates it
back, so a round trip is exact and EER/AUC are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from deepfake_bench.metrics import auc, eer
from shared.data.errors import DatasetFormatError


def write_asvspoof_scores(path: Path, utterances: Sequence[str], scores: np.ndarray) -> Path:
    """``UTT SCORE`` lines (the 2021 format) with ASVspoof-signed scores (−ours)."""
    lines = [f"{u} {-float(s)!r}" for u, s in zip(utterances, np.asarray(scores), strict=True)]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def read_asvspoof_scores(path: Path) -> tuple[list[str], np.ndarray]:
    """Utterance ids and our-convention scores from a ``UTT SCORE`` or ``UTT SRC KEY SCORE`` file."""
    utterances, scores = [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (2, 4):
            raise DatasetFormatError(
                path, f"{len(fields)} fields on line {number}", "`UTT SCORE` or `UTT SRC KEY SCORE`"
            )
        utterances.append(fields[0])
        scores.append(-float(fields[-1]))
    return utterances, np.asarray(scores, dtype=np.float64)


def read_scores_against_key(
    path: Path, labels: Mapping[str, int], check_sign: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 = spoof) and our-convention scores of every utterance in a score file.

    A file whose scores, read as ASVspoof-signed, rank bona fide as the faker class (AUC < 0.5
    after our negation) most likely follows the opposite convention (high = spoof); scoring it
    as it stands would silently invert every metric, so it is an error. A detector that truly
    is worse than chance (possible out of distribution) passes ``check_sign=False``.
    """
    utterances, scores = read_asvspoof_scores(path)
    unknown = [u for u in utterances if u not in labels]
    if unknown:
        raise DatasetFormatError(
            path, f"{len(unknown)} utterances not in the key (first: {unknown[0]!r})",
            "only utterances of the key's trials",
        )  # fmt: skip
    truth = np.asarray([labels[u] for u in utterances], dtype=np.int64)
    name = Path(path).name
    area = auc(truth, scores, split=name, generator="all")
    if check_sign and area < 0.5:
        rate, _ = eer(truth, scores, split=name)
        flipped, _ = eer(truth, -scores, split=name)
        raise DatasetFormatError(
            path,
            f"scores that rank bona fide as the faker class once negated as the ASVspoof "
            f"convention (high = bona fide) requires: AUC {area:.4f}, EER {rate:.4f}; taken as "
            f"they are (high = spoof), AUC {1 - area:.4f}, EER {flipped:.4f}, so the file looks "
            "like it follows the opposite convention",
            "ASVspoof-signed scores (negate the file's scores, or pass check_sign=False for a "
            "detector that is really worse than chance)",
        )
    return truth, scores
