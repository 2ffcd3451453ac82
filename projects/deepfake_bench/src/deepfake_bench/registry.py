"""The benchmark's interchangeable parts, by name, with their metadata.

- ``DETECTORS``: ``modality`` (image, video, audio, audio_visual), ``input_size``, ``paper`` and
  ``original`` (the full-size model the same name builds with ``size="full"``);
- ``GENERATORS``: ``modality``, ``output_shape`` (per item), ``fingerprint`` (what it leaves);
- ``DATASETS``: ``modality``, ``layout``, ``source`` and ``splits`` of external loaders;
- ``SPOOFERS``: the audio track's attacks by ASVspoof-like id (S01...): ``system`` (its name)
  and ``method``.

A new detector, generator or dataset is one registered builder; the contract tests in
``tests/test_registries.py`` cover it the moment it is registered. Importing
:mod:`deepfake_bench.catalog` fills the registries.
"""

from __future__ import annotations

from typing import Any

from shared.registry import Registry

MODALITIES = ("image", "video", "audio", "audio_visual")

DETECTORS: Registry[Any] = Registry("detector", "model.init_args.detector")
GENERATORS: Registry[Any] = Registry("generator", "data.init_args.benchmark.generators")
DATASETS: Registry[Any] = Registry("dataset", "data.init_args.dataset")
SPOOFERS: Registry[Any] = Registry("spoofer", "data.init_args.benchmark.spoofer_args")
