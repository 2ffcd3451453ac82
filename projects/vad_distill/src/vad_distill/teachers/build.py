"""Fit the in-project teachers and write their maps for every frame, the paper's way of making
training targets: training videos are scored by cross-fitting (each fold by teachers fitted on
the other folds), so their maps are not trivially zero; every other video (test, pseudo-
anomalous) by teachers fitted on all training videos. Scores are divided by the 99th percentile
of the cross-fitted training scores and clipped to [0, 1].

Videos are consumed one at a time: only their objects and object features are kept, so a real
dataset's frames never have to fit in memory together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vad_distill.teachers.maps import paint, pool, write_maps
from vad_distill.teachers.proposals import ObjectProposal, ProposalConfig, grey, propose
from vad_distill.teachers.scorers import TEACHERS

Video = tuple[str, np.ndarray, Sequence[str]]  # name, (T, H, W[, 3]) uint8 frames, frame stems


@dataclass
class _Objects:
    """One video reduced to what the teachers need."""

    name: str
    shape: tuple[int, int]
    stems: Sequence[str]
    objects: list[list[ObjectProposal]]
    features: dict[str, np.ndarray]


def _reduce(video: Video, kinds: Iterable[str], proposals: ProposalConfig) -> _Objects:
    name, frames, stems = video
    objects = propose(frames, proposals)
    flat, video_grey = [o for frame in objects for o in frame], grey(frames)
    features = {k: TEACHERS[k]().features(flat, video_grey) for k in kinds}
    return _Objects(name, frames.shape[1:3], list(stems), objects, features)


def _scores(kind: str, fit_on: Sequence[_Objects], videos: Sequence[_Objects]) -> list[np.ndarray]:
    teacher = TEACHERS[kind]().fit(np.concatenate([v.features[kind] for v in fit_on]))
    return [teacher.score(v.features[kind]) for v in videos]


def object_scores(
    kind: str, train: Sequence[_Objects], others: Sequence[_Objects], folds: int
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


def _frame_maps(video: _Objects, scores: np.ndarray, scale: float) -> list[dict[str, np.ndarray]]:
    values = np.clip(scores / scale, 0.0, 1.0)
    maps, start = [], 0
    for objects in video.objects:
        chunk = values[start : start + len(objects)]
        start += len(objects)
        maps.append(pool(paint([o.box for o in objects], chunk, video.shape)))
    return maps


def build_teacher_maps(
    train: Iterable[Video],
    others: Iterable[Video],
    out: dict[str, Path],
    folds: int = 3,
    quantile: float = 0.99,
    proposals: ProposalConfig | None = None,
    others_out: dict[str, Path] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Write the maps of teachers ``out`` (``{"motion": root, "appearance": root}``) for the
    ``(name, frames, stems)`` videos, frame ``stem`` as ``<stem>.npy``; the maps of ``others``
    go to ``others_out`` when given (e.g. a test split's own roots). Returns each teacher's
    per-frame 1x1 scores by video name."""
    proposals = proposals or ProposalConfig()
    train_v = [_reduce(v, out, proposals) for v in train]
    other_v = [_reduce(v, out, proposals) for v in others]
    frame_scores: dict[str, dict[str, np.ndarray]] = {}
    for kind, root in out.items():
        train_s, other_s = object_scores(kind, train_v, other_v, folds)
        pooled = np.concatenate(train_s)
        scale = float(np.quantile(pooled, quantile)) if len(pooled) else 1.0
        frame_scores[kind] = {}
        roots = [root] * len(train_v) + [(others_out or out)[kind]] * len(other_v)
        for video, scores, folder in zip(
            [*train_v, *other_v], [*train_s, *other_s], roots, strict=True
        ):
            maps = _frame_maps(video, scores, scale if scale > 0 else 1.0)
            write_maps(folder, video.name, video.stems, maps)
            frame_scores[kind][video.name] = np.array([float(m["1x1"]) for m in maps])
    return frame_scores
