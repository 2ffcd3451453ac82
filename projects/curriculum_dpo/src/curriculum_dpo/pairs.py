"""Preference pairs and their difficulty levels (stage 2 of Curriculum DPO).

Two ways to rank pairs within a prompt, both kept:

- ``rank`` (the paper): sort a prompt's n images by reward; a pair's difficulty is the gap of
  their ranks, n − 1 the easiest. Level k (0-based, of B) admits the gaps above
  (n − 1)·(1 − (k + 1)/B), so the last level admits every gap ≥ 1.
- ``score_gap`` (the official code): the gap of the two rewards. Thresholds T = linspace(d_min,
  d_max, B + 1) reversed over every kept pair of the dataset; level k admits the gaps ≥ T[k + 1]
  (the code's ``no_chunks`` G is B + 1: its default 6 gives 5 levels).

In both, a pair is kept only when its reward gap exceeds the reward's threshold τ, the winner is
the higher reward, and levels are cumulative (each a superset of the previous one) unless
``cumulative=False``, where level k holds only the pairs first admitted at k.

Paired datasets with human labels (Pick-a-Pic) use :meth:`PairCurriculum.from_human_labels`:
the label picks the winner and the reward gap only orders the pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from shared.data.errors import DatasetFormatError

Difficulty = Literal["rank", "score_gap"]

# The official keep-thresholds τ per reward (``data/dataset_factory.py``); 0.1 for any other.
OFFICIAL_TAU = {"aesthetic_score": 0.2, "human_score": 0.02, "llava_bertscore": 0.02}
DEFAULT_TAU = 0.1
PICKAPIC_MAX_PAIRS = 150_000
PICKAPIC_MIN_SCORE = 0.1


def official_tau(reward: str) -> float:
    """The threshold the official code applies for ``reward`` (0.1 for rewards it does not name)."""
    return OFFICIAL_TAU.get(reward, DEFAULT_TAU)


@dataclass(frozen=True)
class PairCurriculum:
    """Pairs of dataset rows with a difficulty value, split into nested levels.

    ``winners[i]``, ``losers[i]`` are row indices, ``prompts[i]`` the pair's prompt, ``gaps[i]``
    its difficulty (rank or score gap; larger = easier). ``levels[k]`` holds the pair indices
    admitted at level k, in pair order. ``dropped`` counts what was left out and why.
    """

    winners: np.ndarray
    losers: np.ndarray
    prompts: tuple[str, ...]
    gaps: np.ndarray
    levels: tuple[np.ndarray, ...]
    dropped: dict[str, int] = field(default_factory=dict)
    thresholds: np.ndarray | None = None  # score_gap mode: T_0 = d_max ... T_B = d_min

    @property
    def num_levels(self) -> int:
        return len(self.levels)

    def __len__(self) -> int:
        return len(self.winners)

    def admitted(self, level: int) -> np.ndarray:
        """The pair indices used at ``level`` (saturating at the last level)."""
        return self.levels[min(max(level, 0), self.num_levels - 1)]

    @classmethod
    def from_scores(
        cls,
        prompts: Sequence[str],
        scores: Sequence[float],
        *,
        tau: float = DEFAULT_TAU,
        num_levels: int = 5,
        difficulty: Difficulty = "rank",
        cumulative: bool = True,
        source: str = "scores",
    ) -> PairCurriculum:
        """Every within-prompt pair of rows whose score gap exceeds ``tau``, in the official
        order (prompts by first appearance, then row i, then row j > i).

        Raises :class:`DatasetFormatError` (naming ``source``) when the scores do not align with
        the prompts, a score is not finite, a prompt has fewer than two distinct scores, or no
        pair survives ``tau``.
        """
        _check_levels(num_levels)
        if not tau >= 0:
            raise ValueError(f"tau must be >= 0, not {tau}")
        scores = np.asarray(scores, dtype=np.float64)
        if len(scores) != len(prompts):
            raise DatasetFormatError(
                source, f"{len(scores)} scores for {len(prompts)} images", "one score per image"
            )
        if not np.isfinite(scores).all():
            row = int(np.flatnonzero(~np.isfinite(scores))[0])
            raise DatasetFormatError(
                source, f"score {scores[row]} at row {row}", "finite rewards for every image"
            )
        groups: dict[str, list[int]] = {}
        for row, prompt in enumerate(prompts):
            groups.setdefault(prompt, []).append(row)
        winners, losers, names, gaps, tops = [], [], [], [], []
        under_tau = 0
        for prompt, rows in groups.items():
            values = scores[rows]
            if len(np.unique(values)) < 2:
                raise DatasetFormatError(
                    source,
                    f"prompt {prompt!r} with {len(rows)} image(s) and "
                    f"{len(np.unique(values))} distinct score(s)",
                    "at least two images with different scores per prompt (a constant reward "
                    "cannot rank them)",
                )
            ranks = np.empty(len(rows))
            ranks[np.argsort(values, kind="stable")] = np.arange(len(rows))
            top = len(rows) - 1
            for a in range(len(rows)):
                for b in range(a + 1, len(rows)):
                    gap = abs(values[a] - values[b])
                    if gap <= tau:
                        under_tau += 1
                        continue
                    win, lose = (a, b) if values[a] > values[b] else (b, a)
                    winners.append(rows[win])
                    losers.append(rows[lose])
                    names.append(prompt)
                    gaps.append(gap if difficulty == "score_gap" else abs(ranks[a] - ranks[b]))
                    tops.append(top)
        if not winners:
            raise DatasetFormatError(
                source, f"no pair with a score gap above τ={tau}", "at least one pair"
            )
        gaps_array = np.asarray(gaps)
        thresholds = None
        if difficulty == "score_gap":
            thresholds = np.linspace(gaps_array.min(), gaps_array.max(), num_levels + 1)[::-1]
            masks = [gaps_array >= thresholds[k + 1] for k in range(num_levels)]
            masks[-1] = np.ones(len(gaps_array), dtype=bool)  # linspace rounding cannot drop any
        elif difficulty == "rank":  # n − 1 is the prompt's own maximal rank gap
            tops_array = np.asarray(tops, dtype=np.float64)
            masks = [
                gaps_array > tops_array * (1 - (k + 1) / num_levels) + 1e-9
                for k in range(num_levels - 1)
            ]
            masks.append(np.ones(len(gaps_array), dtype=bool))
        else:
            raise ValueError(f"difficulty must be 'rank' or 'score_gap', not {difficulty!r}")
        return cls(
            winners=np.asarray(winners),
            losers=np.asarray(losers),
            prompts=tuple(names),
            gaps=gaps_array,
            levels=_levels(masks, cumulative),
            dropped={"under_tau": under_tau},
            thresholds=thresholds,
        )

    @classmethod
    def from_human_labels(
        cls,
        prompts: Sequence[str],
        labels_0: Sequence[float],
        labels_1: Sequence[float],
        scores_0: Sequence[float],
        scores_1: Sequence[float],
        *,
        tau: float = DEFAULT_TAU,
        num_levels: int = 6,
        max_pairs: int = PICKAPIC_MAX_PAIRS,
        source: str = "pickapic",
    ) -> PairCurriculum:
        """Pick-a-Pic rows (one image pair each) as the official ``PickaPic`` dataset uses them:
        the human label picks the winner (image 0 when ``label_0 > label_1``); rows labelled
        outside {0, 1} (ties) are dropped and counted; rows with |s0 − s1| ≤ ``tau`` or a score
        ≤ 0.1 are dropped; the rest are sorted by |s0 − s1| descending (stable), the top
        ``max_pairs`` kept, and level k is the first ``int(linspace(0, N, B + 1))[k + 1]`` of
        them. Row r's images are dataset rows 2r (image 0) and 2r + 1 (image 1)."""
        _check_levels(num_levels)
        columns = [
            np.asarray(c, dtype=np.float64) for c in (labels_0, labels_1, scores_0, scores_1)
        ]
        if len({len(prompts), *map(len, columns)}) != 1:
            lengths = ", ".join(str(len(c)) for c in (prompts, *columns))
            raise DatasetFormatError(
                source, f"columns of lengths {lengths}", "caption, labels and scores per row"
            )
        l0, l1, s0, s1 = columns
        for name, values in (("image_0_score", s0), ("image_1_score", s1)):
            if not np.isfinite(values).all():
                row = int(np.flatnonzero(~np.isfinite(values))[0])
                raise DatasetFormatError(
                    source, f"{name} {values[row]} at row {row}", "finite rewards"
                )
        labelled = np.isin(l0, (0, 1)) & np.isin(l1, (0, 1)) & (l0 != l1)
        gap = np.abs(s0 - s1)
        kept = labelled & (gap > tau) & (s0 > PICKAPIC_MIN_SCORE) & (s1 > PICKAPIC_MIN_SCORE)
        rows = np.flatnonzero(kept)
        rows = rows[np.argsort(-gap[rows], kind="stable")][:max_pairs]
        if len(rows) == 0:
            raise DatasetFormatError(source, "no labelled pair above τ", "at least one pair")
        zero_wins = l0[rows] > l1[rows]
        bounds = np.linspace(0, len(rows), num_levels + 1).astype(int)
        order = np.arange(len(rows))
        return cls(
            winners=np.where(zero_wins, 2 * rows, 2 * rows + 1),
            losers=np.where(zero_wins, 2 * rows + 1, 2 * rows),
            prompts=tuple(prompts[r] for r in rows),
            gaps=gap[rows],
            levels=tuple(order[: bounds[k + 1]] for k in range(num_levels)),
            dropped={
                "label_outside_0_1": int((~labelled).sum()),
                "under_tau_or_low_score": int((labelled & ~kept).sum()),
                "over_max_pairs": int(kept.sum() - len(rows)),
            },
        )


def _check_levels(num_levels: int) -> None:
    if num_levels < 1:
        raise ValueError(f"num_levels must be >= 1, not {num_levels}")


def _levels(masks: list[np.ndarray], cumulative: bool) -> tuple[np.ndarray, ...]:
    """Pair indices per level from cumulative masks (or the new pairs of each level)."""
    if cumulative:
        return tuple(np.flatnonzero(m) for m in masks)
    previous = np.zeros_like(masks[0])
    levels = []
    for mask in masks:
        levels.append(np.flatnonzero(mask & ~previous))
        previous = mask
    return tuple(levels)
