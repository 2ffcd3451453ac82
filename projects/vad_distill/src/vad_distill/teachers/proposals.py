"""Object proposals for static cameras: background subtraction, connected components and a
greedy nearest-centroid tracker that gives each object a velocity."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class ProposalConfig:
    """``threshold`` on |frame - background| in [0, 1] grey levels; a 2x2 opening (a 3x3 one
    would erase 2-px-thin objects); components of at least ``min_area`` pixels; tracks link
    centroids closer than ``max_link`` pixels in consecutive frames."""

    threshold: float = 0.08
    opening: int = 2
    min_area: int = 6
    max_link: float = 8.0


@dataclass
class ObjectProposal:
    frame: int
    box: tuple[int, int, int, int]  # x_min, y_min, x_max, y_max (inclusive)
    centroid: tuple[float, float]  # (y, x)
    velocity: tuple[float, float] = (0.0, 0.0)  # (vy, vx), pixels per frame

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        x0, y0, x1, y1 = self.box
        return x1 - x0 + 1, y1 - y0 + 1


def grey(frames: np.ndarray) -> np.ndarray:
    """(T, H, W[, 3]) uint8 -> (T, H, W) float in [0, 1] (BGR averaged)."""
    video = frames.astype(np.float32) / 255.0
    return video.mean(axis=-1) if video.ndim == 4 else video


def background(frames: np.ndarray) -> np.ndarray:
    """Per-pixel median of a static-camera video (T, H, W) in [0, 1]."""
    return np.median(frames, axis=0)


def detect(frame: np.ndarray, bg: np.ndarray, config: ProposalConfig, index: int = 0):
    """The objects of one grey frame: boxes of foreground components."""
    foreground = np.abs(frame - bg) > config.threshold
    foreground = ndimage.binary_opening(foreground, np.ones((config.opening,) * 2, bool))
    labels, _ = ndimage.label(foreground)
    objects = []
    for label, region in enumerate(ndimage.find_objects(labels), start=1):
        mask = labels[region] == label
        if mask.sum() < config.min_area:
            continue
        ys, xs = region
        cy, cx = ndimage.center_of_mass(mask)
        box = (xs.start, ys.start, xs.stop - 1, ys.stop - 1)
        objects.append(ObjectProposal(index, box, (ys.start + cy, xs.start + cx)))
    return objects


def track(per_frame: list[list[ObjectProposal]], max_link: float) -> None:
    """Set each object's velocity from its nearest unclaimed predecessor (greedy by distance);
    an object with none takes its successor's, and a lone one keeps (0, 0)."""
    for previous, current in itertools.pairwise(per_frame):
        pairs = sorted(
            (np.hypot(c.centroid[0] - p.centroid[0], c.centroid[1] - p.centroid[1]), i, j)
            for i, p in enumerate(previous)
            for j, c in enumerate(current)
        )
        used_p, used_c = set(), set()
        for distance, i, j in pairs:
            if distance > max_link or i in used_p or j in used_c:
                continue
            used_p.add(i), used_c.add(j)
            p, c = previous[i], current[j]
            velocity = (c.centroid[0] - p.centroid[0], c.centroid[1] - p.centroid[1])
            current[j].velocity = velocity
            if p.velocity == (0.0, 0.0):
                p.velocity = velocity


def propose(
    frames: np.ndarray, config: ProposalConfig = ProposalConfig()
) -> list[list[ObjectProposal]]:
    """Tracked objects of every frame of a (T, H, W[, 3]) uint8 video, with its own median as
    the background (each video is treated as one static scene)."""
    video = grey(frames)
    bg = background(video)
    per_frame = [detect(frame, bg, config, t) for t, frame in enumerate(video)]
    track(per_frame, config.max_link)
    return per_frame
