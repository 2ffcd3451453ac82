"""Contract tests over every registry entry: a new detector or generator is tested the moment
it is registered."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.module import CrossGeneratorMatrix, DetectorSpec
from deepfake_bench.registry import DETECTORS, GENERATORS, MODALITIES

from shared.errors import ConfigError
from shared.testing.registry import registry_cases


def audio_waveforms() -> tuple[torch.Tensor, torch.Tensor]:
    """8 bona fide 0.5-s tones (200-900 Hz) and 8 "fakes": the same tones plus white noise."""
    t = torch.arange(8000) / 16000
    reals = 0.5 * torch.sin(2 * math.pi * torch.linspace(200, 900, 8)[:, None] * t)
    noise = torch.randn(8, 8000, generator=torch.Generator().manual_seed(0))
    return reals, reals + 0.1 * noise


def check_audio_visual(detector) -> None:
    """Clips: uint8 (16, 20, 3, 32, 32) video at 25 fps with 0.8 s of 16 kHz audio, four of each
    FakeAVCeleb kind; ``augment`` takes and returns (video, audio), and the detector's own
    ``loss`` (with the 4-way kinds) trains it; ``calibrate`` refits on the split."""
    g = torch.Generator().manual_seed(0)
    video = torch.randint(0, 256, (16, 20, 3, 32, 32), dtype=torch.uint8, generator=g)
    audio, kind = 0.1 * torch.randn(16, 12_800, generator=g), torch.arange(16) % 4
    detector.prepare(video, audio, kind)
    batch = detector.augment(video, audio, g)
    assert batch[0].dtype == torch.uint8 and len(batch[0]) == len(batch[1]) == 16
    params = [p for p in detector.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in params]
    optimizer = torch.optim.Adam(params, lr=1e-2)
    detector.loss(*batch, kind).backward()
    optimizer.step()
    assert any(not torch.equal(a, p) for a, p in zip(before, params, strict=True))
    detector.eval()
    detector.calibrate(video, audio, kind)
    probs = detector.predict_proba(video, audio)
    assert probs.shape == (16,) and ((probs >= 0) & (probs <= 1)).all()


@pytest.mark.parametrize("entry", registry_cases(DETECTORS))
def test_detector_trains_one_step_and_predicts_probabilities(entry, real_patches):
    """Images and videos are uint8 batches; audio is float32 (B, T) 16 kHz waveforms, which
    ``augment`` crops to the detector's training length (``crop`` samples)."""
    modality = entry.metadata["modality"]
    assert modality in MODALITIES
    assert {"input_size", "paper", "original"} <= set(entry.metadata)
    torch.manual_seed(0)
    detector = entry.builder(**entry.test_kwargs)
    if modality == "audio_visual":
        check_audio_visual(detector)
        return
    if modality == "audio":
        images, fakes = audio_waveforms()
    else:
        images = torch.from_numpy(real_patches[:16]).permute(0, 3, 1, 2).contiguous()
        shape = {"image": (8, 3, 32, 32), "video": (8, 2, 3, 32, 32)}[modality]
        images = images[: shape[0] * (shape[1] if len(shape) == 5 else 1)].reshape(shape)
        fakes = images.flip(-1) // 2
    detector.prepare(images, fakes)
    batch = detector.augment(torch.cat([images, fakes]), torch.Generator().manual_seed(0))
    if modality == "audio":
        assert batch.shape == (16, detector.crop) and batch.dtype == torch.float32
    else:
        assert batch.shape == (16, *shape[1:]) and batch.dtype == torch.uint8
    labels = torch.cat([torch.zeros(8), torch.ones(8)])
    logits = detector(batch)
    assert logits.shape == (16,)
    if detector.trains_by_gradient:
        params = [p for p in detector.parameters() if p.requires_grad]
        before = [p.detach().clone() for p in params]
        optimizer = torch.optim.Adam(params, lr=1e-2)
        torch.nn.functional.binary_cross_entropy_with_logits(logits, labels).backward()
        optimizer.step()
        assert any(not torch.equal(a, p) for a, p in zip(before, params, strict=True))
    detector.eval()
    probs = detector.predict_proba(batch)
    assert probs.shape == (16,) and ((probs >= 0) & (probs <= 1)).all()


@pytest.mark.parametrize("entry", registry_cases(GENERATORS))
def test_generator_is_seeded_and_has_the_declared_shape(entry, real_patches):
    make = lambda: entry.builder(**entry.test_kwargs).fit(real_patches, seed=0)  # noqa: E731
    first, second = make(), make()
    sources = real_patches[:6]
    a, b = first.generate(6, sources, seed=3), second.generate(6, sources, seed=3)
    assert a.dtype == np.uint8 and a.shape == (6, *entry.metadata["output_shape"])
    assert np.array_equal(a, b)


def test_unknown_detector_and_unknown_argument_name_the_field():
    with pytest.raises(ConfigError, match=r"model\.init_args\.detector`"):
        DetectorSpec("xception_9000").build()
    with pytest.raises(ConfigError, match=r"model\.init_args\.detector\.args\.depth"):
        DETECTORS.build("cnndet_lite", depth=3)


def test_a_detector_asked_for_another_modality_is_refused():
    with pytest.raises(ConfigError, match="reads image data only"):
        DETECTORS.build("spectrum_lr").check_modality("audio")
    module = CrossGeneratorMatrix(DetectorSpec("frame_cnn", {"frame_args": {"widths": (8,)}}))
    module.trainer = SimpleNamespace(datamodule=SimpleNamespace(modality="image"))
    with pytest.raises(ConfigError, match="reads video data only"):
        module.setup("fit")
