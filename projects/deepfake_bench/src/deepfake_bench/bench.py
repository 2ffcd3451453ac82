"""`make bench`: what is timed (the harness in :mod:`shared.bench` does the rest): scoring
throughput of every image detector at 32 px and of the originals at their input sizes, and
sampling throughput of the generators; for the audio track espeak-ng speech and each spoofer
(utterances/s), and scoring and training throughput of every audio and audio-visual
detector."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.registry import DETECTORS, GENERATORS, SPOOFERS
from deepfake_bench.synth.audio.speech import espeak_speech, sentence_bank, speaker_pools
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


AUDIO_BATCH, AUDIO_SECONDS = 32, 2  # the reproduction's 2-s inputs, its batch
CLIPS = 16  # audio-visual clips: 50 frames of 64 px, 2 s of audio


def utterances(n: int = 8) -> list[np.ndarray]:
    """``n`` espeak-ng utterances of the benchmark's grammar and speakers."""
    speakers, sentences = speaker_pools((n, 1, 1), 0)[0], sentence_bank((n, 1, 1), 0)[0]
    return [espeak_speech(sentences[i].text, speakers[i]) for i in range(n)]


def speech_generation():
    speakers, sentences = speaker_pools((8, 1, 1), 0)[0], sentence_bank((8, 1, 1), 0)[0]
    return lambda: [espeak_speech(t.text, s) for t, s in zip(sentences, speakers, strict=True)]


def spoofing(attack: str):
    waves, spoofer = utterances(), SPOOFERS.build(attack)
    return lambda: [spoofer(w, seed=i) for i, w in enumerate(waves)]


def inputs_of(modality: str, batch: int, seconds: float) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    audio = 0.1 * torch.randn(batch, int(16_000 * seconds), generator=generator)
    if modality == "audio":
        return (audio,)
    return torch.randint(0, 256, (batch, 50, 3, 64, 64), dtype=torch.uint8), audio


def audio_scoring(name: str, batch: int, seconds: float):
    detector = DETECTORS.build(name).eval()
    inputs = inputs_of(DETECTORS.entry(name).metadata["modality"], batch, seconds)
    return lambda: detector.predict_proba(*inputs)


def audio_training(name: str, batch: int):
    """One Adam step: BCE on 1-s crops for audio detectors, the detector's own loss on
    labelled clips for audio-visual ones (half real, the rest of each fake kind)."""
    detector = DETECTORS.build(name).train()
    modality = DETECTORS.entry(name).metadata["modality"]
    inputs = inputs_of(modality, batch, 1 if modality == "audio" else 2)
    optimizer = torch.optim.Adam([p for p in detector.parameters() if p.requires_grad], 1e-3)
    kind = torch.arange(batch) % 4 * (torch.arange(batch) % 2)  # 0, 1, 0, 3, 0, 1, ...

    def step() -> None:
        if modality == "audio":
            labels = (torch.arange(batch) % 2).float()
            loss = F.binary_cross_entropy_with_logits(detector(*inputs), labels)
        else:
            loss = detector.loss(*inputs, kind)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


SMOKE_TIER = ("smoke.yaml", "smoke_audio.yaml", "smoke_av.yaml")  # spec 8.4: < 90 s in all


def smoke_run(config: str):
    """One CI smoke run of ``config`` in-process, its data built and its run written in a
    fresh temporary folder (deleted after)."""
    import os
    import tempfile
    from pathlib import Path
    from unittest import mock

    from shared.cli import ReproCLI

    project = Path(__file__).resolve().parents[2]

    def run() -> None:
        with (
            tempfile.TemporaryDirectory() as root,
            mock.patch.dict(os.environ, {"RUNS_ROOT": root}),
        ):
            args = ["--config", str(project / "configs" / config),
                    f"--data.init_args.data_root={root}"]  # fmt: skip
            ReproCLI(project.name, Path(config).stem, args=args).fit_and_test()

    return run


def audio_benchmarks() -> list[Throughput]:
    speech = [
        Throughput("espeak-ng bona fide speech (8 utterances)", speech_generation, items=8,
                   repeats=3, warmup=1, unit="utterances/s"),
        *(Throughput(f"{a} {SPOOFERS.entry(a).metadata['system']} spoofing (8 utterances)",
                     lambda a=a: spoofing(a), items=8, repeats=3, warmup=1, unit="utterances/s")
          for a in SPOOFERS),
    ]  # fmt: skip
    audio, av = (
        [n for n in DETECTORS if DETECTORS.entry(n).metadata["modality"] == m]
        for m in ("audio", "audio_visual")
    )
    scoring = [
        Throughput(f"{n} scoring (batch {AUDIO_BATCH}, {AUDIO_SECONDS} s)",
                   lambda n=n: audio_scoring(n, AUDIO_BATCH, AUDIO_SECONDS), items=AUDIO_BATCH,
                   repeats=3, warmup=1, inference=True)
        for n in audio
    ] + [
        Throughput(f"{n} scoring ({CLIPS} clips)", lambda n=n: audio_scoring(n, CLIPS, 2),
                   items=CLIPS, repeats=3, warmup=1, inference=True)
        for n in av
    ]  # fmt: skip
    batches = {**{n: (AUDIO_BATCH, "32 1-s crops") for n in audio if n != "lfcc_gmm"},
               **{n: (CLIPS, f"{CLIPS} clips") for n in av}}  # fmt: skip
    training = [
        Throughput(f"{n} training step ({what})", lambda n=n, b=batch: audio_training(n, b),
                   items=batch, repeats=3, warmup=1)
        for n, (batch, what) in batches.items()
    ]  # fmt: skip
    smoke = [
        Throughput(f"smoke tier: {c} (build + train + test)", lambda c=c: smoke_run(c), items=1,
                   repeats=1, warmup=0, unit="runs/s")
        for c in SMOKE_TIER
    ]  # fmt: skip
    return speech + scoring + training + smoke


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
    return detectors + originals + generators + audio_benchmarks()
