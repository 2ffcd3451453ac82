"""The real photos load with the network off; the splits never share a source photo."""

import socket

import numpy as np
import pytest
from deepfake_bench.synth import real_sources
from deepfake_bench.synth.build import SynthImageConfig

from shared.errors import ConfigError


def test_every_source_loads_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    real_sources.load_source.cache_clear()
    photos = {s: real_sources.load_source(s) for s in real_sources.SOURCES}
    assert sum(len(p) for p in photos.values()) == 11
    assert all(p.dtype == np.uint8 and p.ndim == 3 and p.shape[2] == 3
               for ps in photos.values() for p in ps)  # fmt: skip


def test_patches_come_from_the_named_sources_only():
    patches, ids = real_sources.sample_patches(["coffee", "china"], 20, np.random.default_rng(1))
    assert patches.shape == (20, 32, 32, 3) and set(ids) <= {"coffee", "china"}


def test_default_split_holds_out_three_photos():
    config = SynthImageConfig()
    assert set(config.train_sources).isdisjoint(config.test_sources)
    assert len(config.test_sources) == 3 and "stereo_motorcycle" in config.train_sources


def test_unknown_or_all_test_sources_are_refused():
    with pytest.raises(ConfigError, match="test_sources"):
        SynthImageConfig(test_sources=("lena",))
    with pytest.raises(ConfigError, match="test_sources"):
        SynthImageConfig(test_sources=real_sources.SOURCES)
