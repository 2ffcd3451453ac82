"""Loaders for the VAD benchmarks in their official on-disk formats, and the aed-mae layout.

Every loader returns :class:`VideoRecord` s (frame files or a video file, frame labels, the
pixel-mask source) in sorted-name order; reading pixels is a separate step
(:func:`read_frames`, :func:`read_pixel_masks`) so listing a dataset is cheap. Frames are BGR
uint8, as OpenCV reads them (the official code's convention). Layout problems raise
``DatasetNotFoundError`` / ``DatasetFormatError`` naming the file, what was found and expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from shared.data.errors import DatasetFormatError, DatasetNotFoundError, require_dir

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
SOURCES = {
    "avenue": "the CUHK Avenue page (Lu, Shi, Jia, ICCV 2013)",
    "shanghaitech": "the ShanghaiTech Campus page of the SVIP lab (Luo et al., ICCV 2017)",
    "ped2": "the UCSD Anomaly Detection Dataset page (SVCL, UCSD)",
    "ubnormal": "github.com/lilygeorgescu/UBnormal",
    "aed-mae": "frames extracted with `python -m shared.vad.convert extract-frames` and labels "
    "converted with `convert-labels` (or the aed-mae authors' .txt files)",
}


@dataclass
class VideoRecord:
    """One video: its frames (image files, or one video file), labels and pixel-mask source."""

    name: str
    frame_paths: tuple[Path, ...] = ()
    video_path: Path | None = None
    labels: np.ndarray | None = None
    mask_source: Path | tuple[Path, ...] | None = None
    extras: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame_paths) if self.video_path is None else self._video_frame_count

    @cached_property
    def _video_frame_count(self) -> int:
        """Decoded once per record (counting decodes the whole video)."""
        return video_frame_count(self.video_path)


def frame_index(path: Path) -> int:
    """The integer a frame file is named by (``0.png``, ``000.jpg``, ``frame_12.png`` -> 12)."""
    digits = re.search(r"(\d+)$", path.stem)
    if digits is None:
        raise DatasetFormatError(
            path, "a frame name without a number", "names like 0.png or 000.jpg"
        )
    return int(digits.group(1))


def numbered_frames(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> tuple[Path, ...]:
    """Image files named by an integer (any zero-padding), sorted numerically, with no gaps."""
    files = [
        p for p in folder.iterdir() if p.suffix.lower() in suffixes and not p.name.startswith(".")
    ]
    if not files:
        raise DatasetFormatError(
            folder, "no frame images", f"images named <index>{{{','.join(suffixes)}}}"
        )
    numbered = {}
    for path in files:
        index = frame_index(path)
        if index in numbered:
            raise DatasetFormatError(
                path, f"a second frame with index {index}", "one file per frame index"
            )
        numbered[index] = path
    indices = sorted(numbered)
    missing = sorted(set(range(indices[0], indices[-1] + 1)) - set(indices))
    if missing:
        raise DatasetFormatError(
            folder,
            f"missing frames {missing[:5]}{'...' if len(missing) > 5 else ''}",
            "consecutive frame indices",
        )
    return tuple(numbered[i] for i in indices)


def video_frame_count(path: Path) -> int:
    """Number of decodable frames of a video file (decoded, since container counts can lie)."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DatasetFormatError(path, "a file OpenCV cannot open", "a readable video (.avi, .mp4)")
    count = 0
    while capture.grab():
        count += 1
    capture.release()
    return count


def _read_video(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise DatasetFormatError(path, "no decodable frames", "a readable video")
    return frames


def read_image(path: Path, grayscale: bool = False) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetFormatError(path, "an unreadable image", "an image OpenCV can decode")
    return image


def read_frames(record: VideoRecord, size: tuple[int, int] | None = None) -> np.ndarray:
    """(T, H, W, 3) uint8 BGR, optionally resized to ``size`` = (H, W) with bilinear ``cv2.resize``.

    All frames of a video must share one size (a mixed-size video is an error, not resized away).
    """
    frames = (
        _read_video(record.video_path)
        if record.video_path is not None
        else [read_image(p) for p in record.frame_paths]
    )
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        where = record.video_path or record.frame_paths[0].parent
        raise DatasetFormatError(
            where, f"frames of mixed sizes {sorted(shapes)}", "one frame size per video"
        )
    if size is not None:
        frames = [cv2.resize(f, (size[1], size[0])) for f in frames]
    return np.stack(frames)


def _check_count(path: Path, found: int, expected: int, what: str) -> None:
    if found != expected:
        raise DatasetFormatError(path, f"{found} {what}", f"one per frame ({expected} frames)")


def read_pixel_masks(record: VideoRecord) -> np.ndarray:
    """(T, H, W) bool pixel ground truth from a ``.mat`` (Avenue), ``.npy`` (ShanghaiTech) or
    per-frame images (Ped2 ``.bmp``)."""
    source = record.mask_source
    if source is None:
        raise DatasetFormatError(
            record.name, "no pixel masks", "a test video with pixel annotations"
        )
    if isinstance(source, tuple):
        masks = np.stack([read_image(p, grayscale=True) > 0 for p in source])
    elif source.suffix == ".mat":
        masks = np.stack([np.asarray(m) > 0 for m in _avenue_vol_label(source)])
    else:
        masks = np.load(source) > 0
    _check_count(
        Path(str(source[0] if isinstance(source, tuple) else source)),
        len(masks),
        len(record),
        "masks",
    )
    return masks


# --------------------------------------------------------------------------- Avenue
def _avenue_vol_label(path: Path) -> list[np.ndarray]:
    from scipy.io import loadmat

    content = loadmat(str(path))
    if "volLabel" not in content:
        raise DatasetFormatError(
            path,
            f"variables {sorted(k for k in content if not k.startswith('__'))}",
            "a cell array `volLabel`",
        )
    return list(np.asarray(content["volLabel"]).ravel())


def load_avenue(root: Path, split: str) -> list[VideoRecord]:
    """CUHK Avenue: ``{training,testing}_videos/NN.avi``; test masks ``testing_label_mask/N_label.mat``."""
    layout = "training_videos/01.avi, testing_videos/01.avi, testing_label_mask/1_label.mat"
    folder = require_dir(
        Path(root) / f"{'training' if split == 'train' else 'testing'}_videos",
        "avenue",
        layout,
        SOURCES["avenue"],
    )
    records = []
    for video in sorted(folder.glob("*.avi")):
        record = VideoRecord(video.stem, video_path=video)
        if split == "test":
            mat = Path(root) / "testing_label_mask" / f"{int(video.stem)}_label.mat"
            if not mat.is_file():
                raise DatasetNotFoundError("avenue", mat, layout, SOURCES["avenue"])
            masks = _avenue_vol_label(mat)
            _check_count(mat, len(masks), len(record), "volLabel masks")
            record.labels = np.array([int(np.asarray(m).any()) for m in masks])
            record.mask_source = mat
        records.append(record)
    return records


# --------------------------------------------------------------------- ShanghaiTech
def load_shanghaitech(root: Path, split: str) -> list[VideoRecord]:
    """ShanghaiTech: ``training/videos/*.avi``; ``testing/frames/<vid>/NNN.jpg`` with
    ``testing/test_frame_mask/<vid>.npy`` labels and ``testing/test_pixel_mask/<vid>.npy`` masks."""
    root = Path(root)
    layout = "training/videos/01_001.avi, testing/frames/01_0014/000.jpg, testing/test_frame_mask/01_0014.npy"
    if split == "train":
        folder = require_dir(
            root / "training" / "videos", "shanghaitech", layout, SOURCES["shanghaitech"]
        )
        return [VideoRecord(v.stem, video_path=v) for v in sorted(folder.glob("*.avi"))]
    frames_root = require_dir(
        root / "testing" / "frames", "shanghaitech", layout, SOURCES["shanghaitech"]
    )
    records = []
    for folder in sorted(p for p in frames_root.iterdir() if p.is_dir()):
        record = VideoRecord(folder.name, numbered_frames(folder))
        label_path = root / "testing" / "test_frame_mask" / f"{folder.name}.npy"
        if not label_path.is_file():
            raise DatasetNotFoundError("shanghaitech", label_path, layout, SOURCES["shanghaitech"])
        labels = np.load(label_path).astype(np.int64).ravel()
        _check_count(label_path, len(labels), len(record), "labels")
        record.labels = labels
        pixel = root / "testing" / "test_pixel_mask" / f"{folder.name}.npy"
        record.mask_source = pixel if pixel.is_file() else None
        records.append(record)
    return records


# ---------------------------------------------------------------------------- Ped2
_GT_LINE = re.compile(r"TestVideoFile\{(\d+)\}\.gt_frame\s*=\s*\[([^\]]*)\]")


def parse_ucsd_gt(path: Path) -> dict[int, list[int]]:
    """``UCSDped2.m`` -> {video number: 0-based abnormal frame indices} (MATLAB ranges a:b, 1-based)."""
    result = {}
    for match in _GT_LINE.finditer(Path(path).read_text()):
        frames: list[int] = []
        for part in re.split(r"[,\s]+", match.group(2).strip()):
            if not part:
                continue
            bounds = part.split(":")
            if not all(b.isdigit() for b in bounds) or len(bounds) > 2:
                raise DatasetFormatError(path, f"the range {part!r}", "MATLAB ranges like 61:180")
            first, last = int(bounds[0]), int(bounds[-1])
            frames += range(first - 1, last)
        result[int(match.group(1))] = frames
    if not result:
        raise DatasetFormatError(
            path, "no `TestVideoFile{n}.gt_frame = [a:b];` lines", "the UCSD ground-truth script"
        )
    return result


def load_ped2(root: Path, split: str) -> list[VideoRecord]:
    """UCSD Ped2: ``{Train,Test}/{Train,Test}NNN/NNN.tif``; labels from ``Test/UCSDped2.m``;
    pixel masks ``Test/TestNNN_gt/NNN.bmp`` where present."""
    name = "Train" if split == "train" else "Test"
    layout = (
        "Train/Train001/001.tif, Test/Test001/001.tif, Test/Test001_gt/001.bmp, Test/UCSDped2.m"
    )
    folder = require_dir(Path(root) / name, "ped2", layout, SOURCES["ped2"])
    gt = None
    if split == "test":
        script = folder / "UCSDped2.m"
        if not script.is_file():
            raise DatasetNotFoundError("ped2", script, layout, SOURCES["ped2"])
        gt = parse_ucsd_gt(script)
    records = []
    for video in sorted(
        p for p in folder.iterdir() if p.is_dir() and re.fullmatch(rf"{name}\d+", p.name)
    ):
        record = VideoRecord(video.name, numbered_frames(video, (".tif", ".tiff")))
        if gt is not None:
            number = int(video.name[len(name) :])
            abnormal = gt.get(number, [])
            if abnormal and max(abnormal) >= len(record):
                raise DatasetFormatError(
                    folder / "UCSDped2.m",
                    f"frame {max(abnormal) + 1} for {video.name}",
                    f"at most {len(record)} frames",
                )
            record.labels = np.zeros(len(record), np.int64)
            record.labels[abnormal] = 1
            masks = video.parent / f"{video.name}_gt"
            record.mask_source = numbered_frames(masks, (".bmp",)) if masks.is_dir() else None
        records.append(record)
    return records


# ------------------------------------------------------------------------ UBnormal
def read_ubnormal_tracks(path: Path) -> list[tuple[int, int, int]]:
    """``<video>_tracks.txt`` rows ``object_id,start,end`` (end exclusive, Python slice style)."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
            raise DatasetFormatError(
                path, f"line {number} = {line!r}", "`object_id,start,end` integers"
            )
        rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def load_ubnormal(root: Path, split: str) -> list[VideoRecord]:
    """UBnormal with extracted frames: ``<split>/frames/<video>/NNNN.jpg`` and
    ``<split>/annotations/<video>_annotations/<video>_NNNN_gt.png`` (object ids) + ``<video>_tracks.txt``.

    ``extras["segmentation"]`` holds the per-frame object-id images of abnormal videos and
    ``extras["tracks"]`` the track file; labels = any object pixel in a frame.
    """
    layout = "train/frames/<video>/0000.jpg, train/annotations/<video>_annotations/<video>_0000_gt.png, <video>_tracks.txt"
    frames_root = require_dir(
        Path(root) / split / "frames", "ubnormal", layout, SOURCES["ubnormal"]
    )
    records = []
    for folder in sorted(p for p in frames_root.iterdir() if p.is_dir()):
        record = VideoRecord(folder.name, numbered_frames(folder))
        annotations = Path(root) / split / "annotations" / f"{folder.name}_annotations"
        if annotations.is_dir():
            segmentation = numbered_frames_by_pattern(annotations, folder.name)
            _check_count(annotations, len(segmentation), len(record), "segmentation images")
            tracks = annotations / f"{folder.name}_tracks.txt"
            if not tracks.is_file():
                raise DatasetNotFoundError("ubnormal", tracks, layout, SOURCES["ubnormal"])
            record.extras = {"segmentation": segmentation, "tracks": (tracks,)}
            record.labels = np.zeros(len(record), np.int64)
            for _, start, end in read_ubnormal_tracks(tracks):
                record.labels[start:end] = 1
        elif "abnormal" in folder.name and not folder.name.startswith("normal"):
            raise DatasetNotFoundError("ubnormal", annotations, layout, SOURCES["ubnormal"])
        records.append(record)
    return records


def numbered_frames_by_pattern(folder: Path, video: str) -> tuple[Path, ...]:
    """UBnormal segmentation files ``<video>_<NNNN>_gt.png`` in frame order, with no gaps."""
    pattern = re.compile(rf"{re.escape(video)}_(\d+)_gt\.png")
    found = {int(m.group(1)): p for p in folder.iterdir() if (m := pattern.fullmatch(p.name))}
    if not found or sorted(found) != list(range(min(found), max(found) + 1)):
        raise DatasetFormatError(
            folder,
            f"frame indices {sorted(found)[:5]}...",
            f"consecutive {video}_<NNNN>_gt.png files",
        )
    return tuple(found[i] for i in sorted(found))


# ------------------------------------------------------------------- aed-mae layout
def load_aedmae(root: Path, split: str, gt_root: Path | None = None) -> list[VideoRecord]:
    """The official aed-mae layout: ``<split>/frames/<video>/<k>.<ext>`` (padded or not), plus for
    training ``gradients2``, ``frames_abnormal`` and ``masks_abnormal`` (same names) when present,
    and for testing ``<gt_root>/<video>.txt`` labels (one 0/1 per line)."""
    layout = (
        "<root>/train/frames/<video>/0.png, <root>/test/frames/<video>/0.jpg, <gt_root>/<video>.txt"
    )
    frames_root = require_dir(Path(root) / split / "frames", "aed-mae", layout, SOURCES["aed-mae"])
    records = []
    for folder in sorted(p for p in frames_root.iterdir() if p.is_dir()):
        record = VideoRecord(folder.name, numbered_frames(folder))
        for extra in ("gradients2", "frames_abnormal", "masks_abnormal"):
            other = Path(root) / split / extra / folder.name
            if other.is_dir():
                paths = numbered_frames(other)
                _check_count(other, len(paths), len(record), f"{extra} images")
                record.extras[extra] = paths
        if split == "test":
            if gt_root is None:
                raise DatasetNotFoundError(
                    "aed-mae",
                    Path(root),
                    "test labels need gt_root/<video>.txt",
                    SOURCES["aed-mae"],
                )
            label_path = Path(gt_root) / f"{folder.name}.txt"
            if not label_path.is_file():
                raise DatasetNotFoundError("aed-mae", label_path, layout, SOURCES["aed-mae"])
            labels = np.loadtxt(label_path, dtype=np.int64, ndmin=1)
            _check_count(label_path, len(labels), len(record), "labels")
            record.labels = labels
        records.append(record)
    return records


LOADERS = {
    "avenue": load_avenue,
    "shanghaitech": load_shanghaitech,
    "ped2": load_ped2,
    "ubnormal": load_ubnormal,
    "aed-mae": load_aedmae,
}
