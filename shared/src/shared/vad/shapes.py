"""ShapesVAD: a seeded procedural video anomaly benchmark, generated in about a second.

Design (version 1, frozen before any method was trained on it; change it only with a new
version number):

* 64x64 grayscale frames (stored as uint8, replicated to 3 channels by the loaders); a static
  sinusoidal background texture 0.30 +- 0.06 with a brighter horizontal walkway (rows 22-43,
  +0.15), Gaussian pixel noise sigma 0.01.
* Normal behaviour: 3 objects at the start, a new one with probability 0.12 per frame (at most
  6); filled squares of side 4-6 px, intensity 0.75-0.95, walking horizontally along the walkway
  at 0.6-1.4 px/frame and leaving at the borders.
* Test anomalies: 3 events per test video starting near frames 15, 60 and 105 (+-5), lasting
  15-25 frames: a *runner* (square at 3.5-5 px/frame), a *crosser* (square moving vertically at
  1.0-1.5 px/frame, off the walkway) or a *shape* (a normal object turns into a ring or a cross of
  size 11). Ground truth: the pixel mask of the anomalous object while it is anomalous; frame label
  = any such pixel; one track (a box per frame) per event.
* Splits: 6 training videos (normal only), 1 validation video (normal only), 6 test videos,
  150 frames each.

Pasted anomalies for training (:func:`paste_anomaly`, the UBnormal substitute) use shapes that
never occur at test time (diamonds and bars), moving horizontally at up to 3 px/frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shared.errors import check_range
from shared.vad.rbdc import Box, Track

VERSION = 1


@dataclass(frozen=True)
class ShapesVADConfig:
    """The benchmark's parameters; ``version`` names the frozen design."""

    version: int = VERSION
    size: int = 64
    frames: int = 150
    train_videos: int = 6
    val_videos: int = 1
    test_videos: int = 6
    seed: int = 0

    def __post_init__(self) -> None:
        if self.version != VERSION:
            check_range("shapes.version", self.version, VERSION, VERSION)
        check_range("shapes.size", self.size, 48)
        check_range("shapes.frames", self.frames, 20)


@dataclass
class SyntheticVideo:
    name: str
    frames: np.ndarray  # (T, H, W) uint8
    masks: np.ndarray  # (T, H, W) bool, pixels of anomalous objects
    tracks: list[Track] = field(default_factory=list)

    @property
    def labels(self) -> np.ndarray:
        return self.masks.any(axis=(1, 2)).astype(np.int64)


WALKWAY = (22, 43)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / size
    phase = rng.uniform(0, 2 * np.pi, 3)
    texture = (
        np.sin(2 * np.pi * (1.5 * xx + phase[0]))
        + np.sin(2 * np.pi * (2.0 * yy + phase[1]))
        + np.sin(2 * np.pi * (xx + yy + phase[2]))
    ) / 3
    background = 0.30 + 0.06 * texture
    background[WALKWAY[0] : WALKWAY[1] + 1] += 0.15
    return background


def shape_mask(kind: str, size: int) -> np.ndarray:
    """Boolean stamp of a shape: square, ring, cross (test), diamond, bar (pasted)."""
    yy, xx = np.mgrid[0:size, 0:size] - (size - 1) / 2
    if kind == "square":
        return np.ones((size, size), bool)
    if kind == "ring":
        radius = np.hypot(yy, xx)
        return (radius <= size / 2) & (radius >= size / 2 - 2)
    if kind == "cross":
        return (np.abs(yy) <= 1) | (np.abs(xx) <= 1)
    if kind == "diamond":
        return np.abs(yy) + np.abs(xx) <= size / 2
    if kind == "bar":
        return np.abs(yy) <= 1.5
    raise ValueError(f"unknown shape {kind!r}")


def _stamp(canvas: np.ndarray, stamp: np.ndarray, top: float, left: float) -> np.ndarray:
    """Boolean mask of ``stamp`` placed with its top-left corner at (top, left), clipped."""
    mask = np.zeros(canvas.shape, bool)
    top, left = int(np.rint(top)), int(np.rint(left))
    h, w = stamp.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, canvas.shape[0]), min(left + w, canvas.shape[1])
    if y0 < y1 and x0 < x1:
        mask[y0:y1, x0:x1] = stamp[y0 - top : y1 - top, x0 - left : x1 - left]
    return mask


@dataclass
class _Object:
    y: float
    x: float
    vy: float
    vx: float
    side: int
    intensity: float
    kind: str = "square"
    track: Track | None = None
    anomalous_until: int = -1


def _spawn_normal(rng: np.random.Generator, size: int, anywhere: bool) -> _Object:
    side = int(rng.integers(4, 7))
    direction = rng.choice([-1.0, 1.0])
    x = rng.uniform(0, size - side) if anywhere else (-side + 1 if direction > 0 else size - 1)
    y = rng.uniform(WALKWAY[0], WALKWAY[1] - side + 1)
    return _Object(y, x, 0.0, direction * rng.uniform(0.6, 1.4), side, rng.uniform(0.75, 0.95))


def _start_event(
    rng: np.random.Generator, objects: list[_Object], kind: str, size: int, end: int, video: str
) -> _Object:
    track = Track(video)
    if kind == "shape" and objects:
        obj = objects[int(rng.integers(len(objects)))]
        obj.kind, obj.side = str(rng.choice(["ring", "cross"])), 11
        obj.y = float(np.clip(obj.y - 3, 0, size - 11))
    else:
        obj = _spawn_normal(rng, size, anywhere=True)
        objects.append(obj)
        if kind == "runner":
            obj.vx = np.sign(obj.vx) * rng.uniform(3.5, 5.0)
            obj.x = 0.0 if obj.vx > 0 else size - obj.side
        elif kind == "crosser":
            obj.vx, obj.vy = 0.0, rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 1.5)
        else:  # a shape event with no object on screen: a new one appears as the shape
            obj.kind, obj.side = str(rng.choice(["ring", "cross"])), 11
    obj.track, obj.anomalous_until = track, end
    return obj


def generate_video(
    name: str, rng: np.random.Generator, size: int, length: int, anomalies: bool
) -> SyntheticVideo:
    """One video; with ``anomalies`` three events are injected (see the module docstring)."""
    background = _background(rng, size)
    objects = [_spawn_normal(rng, size, anywhere=True) for _ in range(3)]
    events: dict[int, tuple[str, int]] = {}
    if anomalies:
        kinds = rng.permutation(["runner", "crosser", "shape"])
        for kind, centre in zip(kinds, (15, 60, 105), strict=True):
            start = int(np.clip(centre + rng.integers(-5, 6), 0, length - 1))
            events[start] = (str(kind), start + int(rng.integers(15, 26)))
    frames = np.zeros((length, size, size), np.uint8)
    masks = np.zeros((length, size, size), bool)
    tracks: list[Track] = []
    for t in range(length):
        if t in events:
            kind, end = events[t]
            tracks.append(_start_event(rng, objects, kind, size, end, name).track)
        if len(objects) < 6 and rng.random() < 0.12:
            objects.append(_spawn_normal(rng, size, anywhere=False))
        image = background + rng.normal(0, 0.01, background.shape)
        for obj in objects:
            pixels = _stamp(image, shape_mask(obj.kind, obj.side), obj.y, obj.x)
            image[pixels] = obj.intensity
            if obj.track is not None and t < obj.anomalous_until and pixels.any():
                masks[t] |= pixels
                ys, xs = np.nonzero(pixels)
                box: Box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
                obj.track.boxes[t] = box
        frames[t] = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
        for obj in objects:
            obj.x += obj.vx
            obj.y += obj.vy
            if obj.track is not None and t + 1 >= obj.anomalous_until:
                obj.track = None
        objects = [o for o in objects if -o.side < o.x < size and -o.side < o.y < size]
    return SyntheticVideo(name, frames, masks, [tr for tr in tracks if tr.boxes])


def generate(config: ShapesVADConfig) -> dict[str, list[SyntheticVideo]]:
    """The three splits; identical bytes for identical configs."""
    rng = np.random.default_rng(config.seed)
    splits = {}
    for split, count, anomalies in (
        ("train", config.train_videos, False),
        ("val", config.val_videos, False),
        ("test", config.test_videos, True),
    ):
        splits[split] = [
            generate_video(f"{split}_{i:02d}", rng, config.size, config.frames, anomalies)
            for i in range(count)
        ]
    return splits


def paste_anomaly(
    frames: list[np.ndarray], offsets: list[int], rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """Paste one moving diamond or bar into ``frames`` (copies) at temporal ``offsets``.

    The object sits at a consistent position along its trajectory in every frame; returns the
    edited frames and the object's mask in the frame of offset 0.
    """
    size = frames[0].shape[0]
    kind = str(rng.choice(["diamond", "bar"]))
    stamp = shape_mask(kind, int(rng.integers(7, 14)))
    top, left = rng.uniform(0, size - stamp.shape[0]), rng.uniform(0, size - stamp.shape[1])
    velocity = rng.uniform(-3.0, 3.0)
    value = np.uint8(rng.integers(20, 256))
    out, centre_mask = [], np.zeros(frames[0].shape[:2], bool)
    for frame, offset in zip(frames, offsets, strict=True):
        pixels = _stamp(
            frame[..., 0] if frame.ndim == 3 else frame, stamp, top, left + velocity * offset
        )
        edited = frame.copy()
        edited[pixels] = value
        out.append(edited)
        if offset == 0:
            centre_mask = pixels
    return out, centre_mask
