"""Learned sanity checks with robust margins (spec §11): spectrum_lr sees nearest-upsampling
replicas across held-out photos; label-shuffled and real-vs-real controls stay near chance."""

import numpy as np
import pytest
import torch
from deepfake_bench.detectors.spectrum_lr import SpectrumLR
from deepfake_bench.metrics import auc
from deepfake_bench.synth.build import SynthImageConfig
from deepfake_bench.synth.generators.upsample import Upsample
from deepfake_bench.synth.real_sources import sample_patches

SPLIT = SynthImageConfig()


def chw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(scope="module")
def data():
    """600 real + 300 fake train patches (train photos), 200 + 200 test (held-out photos)."""
    rng = np.random.default_rng(0)
    real_train = sample_patches(SPLIT.train_sources, 600, rng)[0]
    fake_train = Upsample().generate(300, sample_patches(SPLIT.train_sources, 300, rng)[0], 0)
    real_test = sample_patches(SPLIT.test_sources, 200, rng)[0]
    fake_test = Upsample().generate(200, sample_patches(SPLIT.test_sources, 200, rng)[0], 0)
    return [chw(x) for x in (real_train, fake_train, real_test, fake_test)]


def score(model: SpectrumLR, reals: torch.Tensor, fakes: torch.Tensor) -> float:
    with torch.no_grad():
        scores = torch.cat([model(reals), model(fakes)]).numpy()
    return auc(np.r_[np.zeros(len(reals)), np.ones(len(fakes))], scores)


def test_spectrum_lr_detects_upsampling_on_held_out_photos(data):
    real_train, fake_train, real_test, fake_test = data
    model = SpectrumLR()
    model.prepare(real_train, fake_train)
    assert score(model, real_test, fake_test) > 0.95


def test_label_shuffled_refits_average_near_chance(data):
    real_train, fake_train, real_test, fake_test = data
    pooled = torch.cat([real_train, fake_train])
    rng = np.random.default_rng(1)
    values = []
    for _ in range(10):
        order = rng.permutation(len(pooled))
        model = SpectrumLR()
        model.prepare(pooled[order[: len(real_train)]], pooled[order[len(real_train) :]])
        values.append(score(model, real_test, fake_test))
    assert 0.35 <= float(np.mean(values)) <= 0.70


def test_two_halves_of_the_real_test_set_are_indistinguishable(data):
    real_train, fake_train, real_test, _ = data
    model = SpectrumLR()
    model.prepare(real_train, fake_train)
    order = np.random.default_rng(2).permutation(len(real_test))
    half = len(order) // 2
    assert 0.40 <= score(model, real_test[order[:half]], real_test[order[half:]]) <= 0.60
