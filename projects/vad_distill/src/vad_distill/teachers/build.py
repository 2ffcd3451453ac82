"""Fit the in-project teachers and write their maps for every frame, the paper's way of making
training targets: training videos are scored by cross-fitting (each fold by teachers fitted on
the other folds), so their maps are not trivially zero; every other video (test, pseudo-
anomalous) by teachers fitted on all training videos. Scores are divided by the 99th percentile
of the cross-fitted training scores and clipped to [0, 1]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vad_distill.teachers.maps import paint, pool, write_maps
from vad_distill.teachers.proposals import ObjectProposal, ProposalConfig, grey, propose
from vad_distill.teachers.scorers import TEACHERS


@dataclass
class _Video:
    name: str
    frames: np.ndarray  # (T, H, W[, 3]) uint8
    objects: list[list[ObjectProposal]]

    @property
    def flat(self) -> list[ObjectProposal]:
        return [o for frame in self.objects for o in frame]


def _features(teacher, video: _Video) -> np.ndarray:
    return teacher.features(video.flat, grey(video.frames))


def _scores(kind: str, fit_on: Sequence[_Video], videos: Sequence[_Video]) -> list[np.ndarray]:
    teacher = TEACHERS[kind]()
    teacher.fit(np.concatenate([_features(teacher, v) for v in fit_on]))
    return [teacher.score(_features(teacher, v)) for v in videos]


def object_scores(
    kind: str, train: Sequence[_Video], others: Sequence[_Video], folds: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Raw per-object scores of teacher ``kind``: cross-fitted on ``train`` (video i in fold
    i % folds), fitted on all of ``train`` for ``others``."""
    train_scores: list[np.ndarray] = [np.zeros(0)] * len(train)
    for fold in range(folds):
        held = [i for i in range(len(train)) if i % folds == fold]
        rest = [v for i, v in enumerate(train) if i % folds != fold]
        for i, s in zip(held, _scores(kind, rest, [train[i] for i in held]), strict=True):
            train_scores[i] = s
    return train_scores, _scores(kind, train, others)


def _frame_maps(video: _Video, scores: np.ndarray, scale: float) -> list[dict[str, np.ndarray]]:
    values = np.clip(scores / scale, 0.0, 1.0)
    shape = video.frames.shape[1:3]
    maps, start = [], 0
    for objects in video.objects:
        chunk = values[start : start + len(objects)]
        start += len(objects)
        maps.append(pool(paint([o.box for o in objects], chunk, shape)))
    return maps


def build_teacher_maps(
    train: Sequence[tuple[str, np.ndarray]],
    others: Sequence[tuple[str, np.ndarray]],
    out: dict[str, Path],
    folds: int = 3,
    quantile: float = 0.99,
    proposals: ProposalConfig | None = None,
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Write the maps of teachers ``out`` (``{"motion": root, "appearance": root}``) for the
    ``(name, frames)`` videos; frame ``t`` is stored as ``<t>.npy``. Returns each teacher's
    per-frame 1x1 scores by video name."""
    proposals = proposals or ProposalConfig()
    train_v = [_Video(n, f, propose(f, proposals)) for n, f in train]
    other_v = [_Video(n, f, propose(f, proposals)) for n, f in others]
    frame_scores: dict[str, dict[str, list[np.ndarray]]] = {}
    for kind, root in out.items():
        train_s, other_s = object_scores(kind, train_v, other_v, folds)
        pooled = np.concatenate(train_s)
        scale = float(np.quantile(pooled, quantile)) if len(pooled) else 1.0
        frame_scores[kind] = {}
        for video, scores in zip([*train_v, *other_v], [*train_s, *other_s], strict=True):
            maps = _frame_maps(video, scores, scale if scale > 0 else 1.0)
            write_maps(root, video.name, [str(t) for t in range(len(maps))], maps)
            frame_scores[kind][video.name] = np.array([float(m["1x1"]) for m in maps])
    return frame_scores
