"""One evaluator for a VAD test set: a module feeds it per batch, it scores per epoch.

``update`` takes a batch's video ids, frame indices and per-frame arrays (scores, maps, labels;
tensors or arrays); ``compute`` puts every video's frames in order and scores each declared
:class:`FrameScore`: micro/macro AUC of the raw and of the post-processed scores
(:func:`~shared.vad.evaluation.frame_metrics`) and, given tracks, RBDC/TBDC from its pixel maps
(:func:`~shared.vad.evaluation.region_metrics`, computed once per distinct :class:`PixelMaps`).
Videos are scored in ascending id order. One process: under data parallelism each process
would see a shard of the test set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from shared.vad.evaluation import PostProcess, frame_metrics, region_metrics, smooth_maps
from shared.vad.metrics import MacroConvention
from shared.vad.rbdc import Track

Video = Mapping[str, np.ndarray]
"""One video's collected arrays, frames in order (the first axis)."""


@dataclass(frozen=True)
class PixelMaps:
    """Pixel maps of a video for region metrics: the collected array ``key``, an optional
    ``transform`` of its (T, ...) stack to (T, H, W) maps (e.g. upsampling), then a spatial
    Gaussian of ``sigma`` (0: none)."""

    key: str
    sigma: float = 0.0
    transform: Callable[[np.ndarray], np.ndarray] | None = None

    def __call__(self, video: Video) -> np.ndarray:
        stack = video[self.key]
        if self.transform is not None:
            stack = self.transform(stack)
        return smooth_maps(stack, self.sigma)


@dataclass(frozen=True)
class FrameScore:
    """A frame-score series: its raw scores (a collected key, or a function of a video's
    arrays), their post-processing, and the pixel maps its region metrics use (none: frame
    metrics only)."""

    source: str | Callable[[Video], np.ndarray]
    post: PostProcess
    maps: PixelMaps | None = None

    def raw(self, video: Video) -> np.ndarray:
        return video[self.source] if isinstance(self.source, str) else self.source(video)


def _host(value: Any) -> np.ndarray:
    """A batch array on the host; half-precision tensors as float32 (float64 kept)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.is_floating_point() and value.dtype != torch.float64:
            value = value.float()
        return value.cpu().numpy()
    return np.asarray(value)


class VideoEvaluator:
    """Per-video collection of a test epoch and its frame and region metrics.

    Args:
        scores: the frame-score series to report, by name.
        convention: single-class videos in the macro AUC (``pad``: aed-mae; ``nan_is_one``:
            fast-aed).
        levels: region thresholds of the RBDC/TBDC regions (see ``region_metrics``).
        quantile_range: the quantiles of all map values the thresholds span.
    """

    def __init__(
        self,
        scores: Mapping[str, FrameScore],
        convention: MacroConvention = "pad",
        levels: int = 20,
        quantile_range: tuple[float, float] = (0.95, 0.9995),
    ) -> None:
        if not scores:
            raise ValueError("a VideoEvaluator needs at least one frame-score series")
        self.scores = dict(scores)
        self.convention, self.levels, self.quantile_range = convention, levels, quantile_range
        self.reset()

    def reset(self) -> None:
        """Forget every batch (call at the start of each evaluation epoch)."""
        self._batches: list[dict[str, np.ndarray]] = []
        self._videos: dict[int, dict[str, np.ndarray]] | None = None

    def __len__(self) -> int:
        """The number of frames fed since the last reset."""
        return sum(len(b["video"]) for b in self._batches)

    def update(self, video: Any, frame: Any, **values: Any) -> None:
        """One batch: video ids (B,), frame indices (B,) and per-frame arrays (B, ...) by name,
        e.g. ``update(v, t, score=s, map=m, label=y)``."""
        batch = {"video": _host(video).astype(np.int64), "frame": _host(frame).astype(np.int64)}
        size = len(batch["video"])
        for name, value in values.items():
            if name in batch:
                raise ValueError(f"{name!r} is reserved for the video ids and frame indices")
            batch[name] = _host(value)
        for name, array in batch.items():
            if array.ndim == 0 or len(array) != size:
                raise ValueError(
                    f"batch array {name!r} has shape {array.shape}; expected {size} rows, one "
                    "per frame of the batch"
                )
        if self._batches and set(batch) != set(self._batches[0]):
            raise ValueError(
                f"batch arrays {sorted(batch)} differ from the first batch's "
                f"{sorted(self._batches[0])}"
            )
        self._batches.append(batch)
        self._videos = None

    def videos(self) -> dict[int, dict[str, np.ndarray]]:
        """Every video's arrays with its frames in order, by video id (ascending)."""
        if self._videos is not None:
            return self._videos
        if not self._batches:
            raise ValueError("the evaluator has no frames: update() was never called")
        merged = {k: np.concatenate([b[k] for b in self._batches]) for k in self._batches[0]}
        videos: dict[int, dict[str, np.ndarray]] = {}
        for v in np.unique(merged["video"]):
            rows = np.flatnonzero(merged["video"] == v)
            frames = merged["frame"][rows]
            order = np.argsort(frames, kind="stable")
            repeated = np.unique(frames[order][1:][np.diff(frames[order]) == 0])
            if len(repeated):
                raise ValueError(
                    f"video {int(v)}: frame(s) {repeated[:5].tolist()} were fed more than once "
                    f"({len(rows)} rows for {len(np.unique(frames))} frames; two videos with "
                    "one id, or a test set served twice?)"
                )
            videos[int(v)] = {k: a[rows[order]] for k, a in merged.items() if k != "video"}
        self._videos = videos
        return videos

    def raw_scores(self, name: str) -> list[np.ndarray]:
        """The raw frame scores of series ``name``, one array per video (ascending id)."""
        series = self.scores[name]
        return [series.raw(video) for video in self.videos().values()]

    def _labels(self, labels: Mapping[int, Any] | Sequence[Any] | None) -> list[np.ndarray]:
        videos, found = self.videos(), []
        for v, video in videos.items():
            if labels is None:
                if "label" not in video:
                    raise ValueError(
                        "no frame labels: feed them as update(..., label=...) or pass labels="
                    )
                video_labels = video["label"]
            else:
                try:
                    video_labels = np.asarray(labels[v])
                except (KeyError, IndexError):
                    raise ValueError(f"video {v} was scored but has no labels") from None
            if len(video_labels) != len(video["frame"]):
                raise ValueError(
                    f"video {v}: {len(video['frame'])} scored frames but {len(video_labels)} "
                    "labels (frames missing from the test loader, or a different video)"
                )
            found.append(video_labels)
        return found

    def compute(
        self,
        labels: Mapping[int, Any] | Sequence[Any] | None = None,
        tracks: Sequence[Track] = (),
        names: Mapping[int, str] | Sequence[str] | None = None,
        regions: bool = True,
        only: Sequence[str] | None = None,
    ) -> dict[str, dict[str, float]]:
        """Metrics per series: ``{name: {micro_auc, macro_auc, micro_auc_raw, macro_auc_raw[,
        rbdc, tbdc]}}``.

        Args:
            labels: frame labels per video id (default: the ``label`` array fed per batch).
            tracks: ground-truth tracks of the scored videos (none: no region metrics).
            names: video names per id, as the tracks name their videos.
            regions: compute RBDC/TBDC for the series with pixel maps (when tracks are given).
            only: the series to score (default: all, in declaration order).
        """
        videos = self.videos()
        frame_labels = self._labels(labels)
        results: dict[str, dict[str, float]] = {}
        cache: dict[PixelMaps, dict[str, float]] = {}
        for name in only if only is not None else self.scores:
            series = self.scores[name]
            metrics = frame_metrics(
                frame_labels, self.raw_scores(name), series.post, self.convention
            )
            if regions and tracks and series.maps is not None:
                if series.maps not in cache:
                    if names is None:
                        raise ValueError("region metrics need the video names the tracks use")
                    maps = [series.maps(video) for video in videos.values()]
                    cache[series.maps] = region_metrics(
                        maps, tracks, [names[v] for v in videos], self.levels, self.quantile_range
                    )
                metrics.update(cache[series.maps])
            results[name] = metrics
        return results
