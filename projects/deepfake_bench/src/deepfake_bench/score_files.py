"""Score files in the ASVspoof convention (high = bona fide), for scoring with their tools.

Our scores are "larger = faker"; the writer emits the negated score and the reader negates it
back, so a round trip is exact and EER/AUC are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
