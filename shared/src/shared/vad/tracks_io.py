"""Ground-truth tracks and detections on disk, for RBDC/TBDC (formats of vad_distill's repository).

* ``tracks/<video>.txt``: rows ``track_id, frame, x_min, y_min, x_max, y_max``;
* ``det/<video>.txt``: rows ``frame, x_min, y_min, x_max, y_max, score``;
* ``tracks/<video>.pkl``: the authors' pickled list of ``Track`` objects (attributes ``bboxes``
  {frame: box}, ``video_name``, ...), read by a restricted unpickler that maps any class named
  ``Track`` to a plain record and refuses every other class but NumPy arrays (no pickled code
  runs).
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np

from shared.data.errors import DatasetFormatError
from shared.vad.rbdc import Detection, Track


def _rows(path: Path, columns: int) -> np.ndarray:
    try:
        rows = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as error:
        raise DatasetFormatError(
            path, f"unparsable rows ({error})", f"{columns} comma-separated numbers per row"
        ) from error
    if rows.size and rows.shape[1] != columns:
        raise DatasetFormatError(path, f"{rows.shape[1]} columns", f"{columns} columns")
    return rows


def read_tracks_txt(path: Path, video: str) -> list[Track]:
    """Tracks of one video from its text export, in track-id order."""
    boxes: dict[int, dict[int, tuple[int, int, int, int]]] = defaultdict(dict)
    for track_id, frame, *box in _rows(Path(path), 6).astype(int).tolist():
        boxes[track_id][frame] = tuple(box)
    return [Track(video, boxes[t]) for t in sorted(boxes)]


def read_detections_txt(path: Path, video: str) -> list[Detection]:
    return [
        Detection(video, int(row[0]), tuple(int(v) for v in row[1:5]), float(row[5]))
        for row in _rows(Path(path), 6)
    ]


class _PickledTrack:
    """Stand-in for the authors' ``Track`` class: just keeps the pickled attributes."""

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class _RestrictedUnpickler(pickle.Unpickler):
    ALLOWED = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
        }
    )

    def find_class(self, module: str, name: str) -> type:
        if name == "Track":
            return _PickledTrack
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a track file")


def read_tracks_pkl(path: Path, video: str) -> list[Track]:
    """Tracks from the authors' pickle, without executing anything but NumPy reconstruction."""
    with Path(path).open("rb") as handle:
        try:
            objects = _RestrictedUnpickler(handle).load()
        except pickle.UnpicklingError as error:
            raise DatasetFormatError(path, str(error), "a pickled list of Track objects") from error
    tracks = []
    for obj in objects:
        if not hasattr(obj, "bboxes"):
            raise DatasetFormatError(
                path, f"an object without `bboxes` ({type(obj).__name__})", "Track objects"
            )
        tracks.append(
            Track(video, {int(f): tuple(int(v) for v in box) for f, box in obj.bboxes.items()})
        )
    return tracks
