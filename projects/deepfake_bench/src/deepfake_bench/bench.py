"""`make bench`: what is timed (the harness in :mod:`shared.bench` does the rest): scoring
throughput of every image detector at 32 px and of the originals at their input sizes, and
sampling throughput of the generators."""

from __future__ import annotations

import numpy as np
import torch

from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.registry import DETECTORS, GENERATORS
from deepfake_bench.synth.real_sources import SOURCES, sample_patches
from shared.bench import Throughput

BATCH = 64


FULL_SIZE = {  # the originals at their input sizes (probe_lite's CLIP needs weights: not timed)
    "cnndet_lite": ({"size": "full"}, 224),
    "f3net_lite": ({"size": "full", "image_size": 256}, 256),
    "xception": ({}, 256),
}


def detector_scoring(name: str, args: dict | None = None, size: int = 32, batch: int = BATCH):
    """P(fake) of a batch of ``size`` px images."""
    detector = DETECTORS.build(name, **(args or {})).eval()
    images = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)

    def score() -> None:
        with torch.no_grad():
            detector.predict_proba(images)

    return score


def generator_sampling(name: str):
    """``generate`` of 64 patches with the build's own settings (DDPM: 25 DDIM steps), after a
    one-step fit: sampling costs the same however well the generator was fitted."""
    reals = sample_patches(SOURCES[:3], BATCH, np.random.default_rng(0))[0]
    short_fit = {"steps": 1} if "steps" in GENERATORS.entry(name).test_kwargs else {}
    generator = GENERATORS.build(name, **short_fit).fit(reals, 0)
    return lambda: generator.generate(BATCH, reals, seed=0)


def benchmarks() -> list[Throughput]:
    detectors = [
        Throughput(f"{name} scoring (batch {BATCH}, 32 px)", lambda n=name: detector_scoring(n),
                   items=BATCH, inference=True)
        for name in DETECTORS
        if DETECTORS.entry(name).metadata["modality"] == "image" and name != "xception"
    ]  # fmt: skip
    originals = [
        Throughput(f"{name} original scoring (batch 8, {size} px)",
                   lambda n=name, a=args, s=size: detector_scoring(n, a, s, 8), items=8,
                   repeats=3, warmup=1, inference=True)
        for name, (args, size) in FULL_SIZE.items()
    ]  # fmt: skip
    generators = [
        Throughput(f"{name} sampling ({BATCH} patches, build settings)",
                   lambda n=name: generator_sampling(n), items=BATCH, repeats=3, warmup=1)
        for name in GENERATORS
    ]  # fmt: skip
    return detectors + originals + generators
