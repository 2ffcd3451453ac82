"""Region- and track-based detection criteria (RBDC / TBDC; Ramachandra & Jones, WACV 2020),
following the procedure of the official evaluation script described in the specs.

Boxes are inclusive pixel coordinates ``[x_min, y_min, x_max, y_max]``. Detections are sorted by
score (stable); each one either detects not-yet-found ground-truth regions of its frame with
IoU >= ``beta`` (one TP per newly found region), is a false positive (nothing matched), or counts
as neither (everything it matched was already found). A track is detected once a fraction
``alpha`` of its regions is. The curves are integrated over false positives per frame in [0, 1].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from sklearn.metrics import auc

Box = tuple[int, int, int, int]


@dataclass
class Track:
    """One anomalous event: its video and a box per frame."""

    video: str
    boxes: dict[int, Box] = field(default_factory=dict)


@dataclass(frozen=True)
class Detection:
    video: str
    frame: int
    box: Box
    score: float


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU with the inclusive (+1) pixel convention; 0 for disjoint boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0]) + 1
    height = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0.0, width) * max(0.0, height)
    area_a = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return float(inter / (area_a + area_b - inter))


@dataclass
class DetectionCurves:
    fpr: np.ndarray
    rbdr: np.ndarray
    tbdr: np.ndarray

    @property
    def rbdc(self) -> float:
        return float(auc(self.fpr, self.rbdr))

    @property
    def tbdc(self) -> float:
        return float(auc(self.fpr, self.tbdr))


def detection_curves(
    tracks: Sequence[Track],
    detections: Sequence[Detection],
    num_frames: int,
    alpha: float = 0.1,
    beta: float = 0.1,
) -> DetectionCurves:
    """RBDR and TBDR against false positives per frame, truncated (or flat-extended) to FPR = 1."""
    regions: dict[tuple[str, int], list[tuple[int, Box]]] = defaultdict(list)
    for track_id, track in enumerate(tracks):
        for frame, box in track.boxes.items():
            regions[(track.video, frame)].append((track_id, box))
    num_regions = sum(len(t.boxes) for t in tracks)
    if num_regions == 0 or num_frames <= 0:
        raise ValueError("RBDC/TBDC need at least one ground-truth region and one frame")
    found: set[tuple[str, int, int]] = set()
    hits = np.zeros(len(tracks))
    lengths = np.array([len(t.boxes) for t in tracks], dtype=np.float64)
    tp, fp, tbdr = [0], [0], [0.0]
    # Tracks with hits / length >= alpha, kept as a running count: hits only grow.
    detected_tracks = int(np.count_nonzero(hits / lengths >= alpha))
    for det in sorted(detections, key=lambda d: -d.score):
        new_tp, new_fp = 0, 0
        matched = [
            (track_id, box)
            for track_id, box in regions.get((det.video, det.frame), [])
            if iou(det.box, box) >= beta
        ]
        if not matched:
            new_fp = 1
        for track_id, _ in matched:
            key = (det.video, det.frame, track_id)
            if key not in found:
                found.add(key)
                new_tp += 1
                was_detected = hits[track_id] / lengths[track_id] >= alpha
                hits[track_id] += 1
                detected_tracks += int(
                    not was_detected and hits[track_id] / lengths[track_id] >= alpha
                )
        tp.append(tp[-1] + new_tp)
        fp.append(fp[-1] + new_fp)
        tbdr.append(detected_tracks / len(tracks))
    fpr = np.asarray(fp, dtype=np.float64) / num_frames
    rbdr = np.asarray(tp, dtype=np.float64) / num_regions
    tbdr_arr = np.asarray(tbdr)
    last = int(np.nonzero(fpr <= 1.0)[0][-1])
    fpr, rbdr, tbdr_arr = fpr[: last + 1], rbdr[: last + 1], tbdr_arr[: last + 1]
    if fpr[-1] != 1.0:
        fpr = np.append(fpr, 1.0)
        rbdr = np.append(rbdr, rbdr[-1])
        tbdr_arr = np.append(tbdr_arr, tbdr_arr[-1])
    return DetectionCurves(fpr, rbdr, tbdr_arr)


def regions_from_map(
    anomaly_map: np.ndarray, thresholds: Sequence[float], video: str, frame: int
) -> list[Detection]:
    """Connected components of ``map >= t`` for each threshold; box = bounding box, score = max inside.

    Our default for map-only models (how the papers built regions is not released).
    """
    detections = []
    for threshold in thresholds:
        labels, _ = ndimage.label(anomaly_map >= threshold)
        for index, slices in enumerate(ndimage.find_objects(labels), start=1):
            if slices is None:
                continue
            rows, cols = slices
            score = float(anomaly_map[slices][labels[slices] == index].max())
            box = (cols.start, rows.start, cols.stop - 1, rows.stop - 1)
            detections.append(Detection(video, frame, box, score))
    return list(dict.fromkeys(detections))
