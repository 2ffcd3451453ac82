"""Builds DFB-Synth's image track once per config and caches it by the config's hash.

``<data_root>/deepfake_bench/synth/<hash>/`` holds ``config.json``, one PNG per patch under
``<split>/<real|generator>/`` and ``manifest.csv`` (``path,label,generator,source_id,split``,
the layout :mod:`deepfake_bench.data.image_folders` reads); caching as in
:mod:`deepfake_bench.synth.cache`.

Split hygiene: real train/val patches come from the training photos only, real test patches
from the held-out photos; every generator is fitted on real *train* patches only, and the
re-synthesis generators transform fresh crops of the split's own photos.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from deepfake_bench import catalog  # noqa: F401  (fills the registries)
from deepfake_bench.registry import GENERATORS
from deepfake_bench.synth import cache
from deepfake_bench.synth.cache import config_digest, mark_complete, reuse_or_clear
from deepfake_bench.synth.real_sources import GRAYSCALE_PHOTOS, SOURCES, sample_patches
from shared.errors import ConfigError

BUILD_VERSION = 1  # bump when the build's code changes what it writes
SPLITS = ("train", "val", "test")
NOVEL_SPLIT = "test_novel_real"  # reals of the new real source (BioDeepAV-style protocol)
REAL = "real"


@dataclass(frozen=True)
class SynthImageConfig:
    """What DFB-Synth's image track holds (its hash names the cache folder).

    Args:
        generators: registered generator names (the matrix's columns).
        generator_args: per-generator builder arguments (e.g. ``{dcgan: {steps: 300}}``).
        test_sources: source photos held out for the real test set (the rest train).
        n_real: real patches per split (train, val, test).
        n_fake: fake patches per generator per split (train, val, test).
        seed: the build's seed.
        novel_real_sources: a new real source for the test set only (the grayscale photos), as
            BioDeepAV's reals differ from FF++'s; empty: none.
        n_novel_real: its patch count.
    """

    generators: tuple[str, ...] = ("upsample_nn", "pca_gauss", "conv_ae", "dcgan", "ddpm")
    generator_args: dict[str, dict] = field(default_factory=dict)
    test_sources: tuple[str, ...] = ("chelsea", "rocket", "china")
    n_real: tuple[int, int, int] = (1200, 200, 400)
    n_fake: tuple[int, int, int] = (600, 100, 400)
    seed: int = 0
    novel_real_sources: tuple[str, ...] = ()
    n_novel_real: int = 400

    def __post_init__(self) -> None:
        for name in self.generators:
            GENERATORS.entry(name)
        unknown = sorted(set(self.test_sources) - set(SOURCES))
        if unknown or not self.test_sources or len(self.test_sources) == len(SOURCES):
            raise ConfigError(
                "data.init_args.benchmark.test_sources",
                list(self.test_sources),
                f"a non-empty proper subset of {list(SOURCES)}",
            )
        if unknown := sorted(set(self.novel_real_sources) - set(GRAYSCALE_PHOTOS)):
            raise ConfigError(
                "data.init_args.benchmark.novel_real_sources",
                unknown,
                f"grayscale photos of the second real domain: {list(GRAYSCALE_PHOTOS)}",
            )

    @property
    def train_sources(self) -> tuple[str, ...]:
        return tuple(s for s in SOURCES if s not in self.test_sources)

    def sources(self, split: str) -> tuple[str, ...]:
        return self.test_sources if split == "test" else self.train_sources

    def digest(self) -> str:
        fields = asdict(self)
        if not self.novel_real_sources:  # builds without a new real source keep their hash
            del fields["novel_real_sources"], fields["n_novel_real"]
        return config_digest(fields, BUILD_VERSION)


def cache_folder(config: SynthImageConfig, root: str | None = None) -> Path:
    return cache.cache_folder("synth", config.digest(), root)


def build(config: SynthImageConfig, root: str | None = None, log=print) -> Path:
    """The benchmark's folder, built now if it is not complete yet."""
    folder = cache_folder(config, root)
    if reuse_or_clear(folder, "data.init_args.benchmark"):  # same config, same files
        return folder
    started = time.perf_counter()
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    rows: list[tuple[str, int, str, str, str]] = []
    reals = {}
    for s, split in enumerate(SPLITS):
        rng = np.random.default_rng([config.seed, 1, s])
        reals[split], ids = sample_patches(config.sources(split), config.n_real[s], rng)
        rows += write_patches(folder, split, REAL, reals[split], ids, label=0)
    if config.novel_real_sources:
        rng = np.random.default_rng([config.seed, 3])
        novel, ids = sample_patches(config.novel_real_sources, config.n_novel_real, rng)
        rows += write_patches(folder, NOVEL_SPLIT, REAL, novel, ids, label=0)
    for k, name in enumerate(config.generators):
        log(f"DFB-Synth: fitting {name} on {len(reals['train'])} real train patches")
        generator = GENERATORS.build(name, **config.generator_args.get(name, {}))
        generator.fit(reals["train"], seed=config.seed)
        for s, split in enumerate(SPLITS):
            n, ids, crops = config.n_fake[s], ["-"] * config.n_fake[s], None
            if not n:
                continue
            if generator.needs_sources:
                rng = np.random.default_rng([config.seed, 2, k, s])
                crops, ids = sample_patches(config.sources(split), n, rng)
            fakes = generator.generate(n, crops, seed=config.seed * 1000 + 10 * k + s)
            rows += write_patches(folder, split, name, fakes, ids, label=1)
    with open(folder / "manifest.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("path", "label", "generator", "source_id", "split"))
        writer.writerows(rows)
    mark_complete(folder, time.perf_counter() - started)
    return folder


def write_patches(
    folder: Path, split: str, generator: str, images: np.ndarray, ids: list[str], label: int
) -> list[tuple[str, int, str, str, str]]:
    out = folder / split / generator
    out.mkdir(parents=True)
    rows = []
    for i, (image, source) in enumerate(zip(images, ids, strict=True)):
        relative = f"{split}/{generator}/{i:05d}.png"
        cv2.imwrite(str(folder / relative), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        rows.append((relative, label, generator, source, split))
    return rows
