"""Real images that ship inside scikit-image and scikit-learn, so DFB-Synth needs no network.

Only the bundled natural colour photos are used (``skimage.data`` fetches anything else with
pooch, which fails offline; the synthetic ``colorwheel``, ``logo`` ... are excluded). The grayscale photos
form a second real domain. Patches are random crops at three scales (32, 64, 128 px, area-downsampled to 32) with random flips. The
stereo pair is one source (``stereo_motorcycle``): its two views never straddle a split.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import cv2
import numpy as np

from shared.errors import ConfigError

SKIMAGE_PHOTOS = (
    "astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry", "retina",
    "rocket",
)  # fmt: skip
SOURCES = (*SKIMAGE_PHOTOS, "stereo_motorcycle", "china", "flower")
"""The source ids a split names: 10 sources, 11 photos (the stereo pair is one source)."""
GRAYSCALE_PHOTOS = ("camera", "brick", "grass", "gravel", "moon", "coins", "clock")
"""A second real domain (``horse`` is a binary silhouette, not a photo): grey repeated to RGB,
the new real source of the BioDeepAV-style protocol."""


@cache
def load_source(name: str) -> tuple[np.ndarray, ...]:
    """The uint8 RGB photo(s) of one source id (two for ``stereo_motorcycle``)."""
    from skimage import data

    if name in SKIMAGE_PHOTOS:
        return (np.ascontiguousarray(getattr(data, name)()[..., :3]),)
    if name == "stereo_motorcycle":
        left, right, _ = data.stereo_motorcycle()
        return (left, right)
    if name in GRAYSCALE_PHOTOS:
        return (np.repeat(getattr(data, name)()[..., None], 3, axis=2),)
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_images

        images = dict(zip(load_sample_images().filenames, load_sample_images().images, strict=True))
        return tuple(v for k, v in images.items() if k.endswith(f"{name}.jpg"))
    raise ConfigError(
        "data.init_args.benchmark.test_sources", name, f"one of {[*SOURCES, *GRAYSCALE_PHOTOS]}"
    )


def sample_patches(
    sources: Sequence[str],
    n: int,
    rng: np.random.Generator,
    size: int = 32,
    scales: Sequence[int] = (32, 64, 128),
) -> tuple[np.ndarray, list[str]]:
    """``n`` uint8 (n, size, size, 3) crops of the sources' photos, uniformly over sources, and
    the source id of each."""
    photos = [(s, p) for s in sources for p in load_source(s)]
    out = np.empty((n, size, size, 3), np.uint8)
    ids = []
    for i in range(n):
        source = sources[int(rng.integers(len(sources)))]
        candidates = [p for s, p in photos if s == source]
        photo = candidates[int(rng.integers(len(candidates)))]
        crop = int(scales[int(rng.integers(len(scales)))])
        top = int(rng.integers(photo.shape[0] - crop + 1))
        left = int(rng.integers(photo.shape[1] - crop + 1))
        patch = photo[top : top + crop, left : left + crop]
        if crop != size:
            patch = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        out[i] = patch
        ids.append(source)
    return out, ids
