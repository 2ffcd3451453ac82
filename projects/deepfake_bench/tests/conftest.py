"""Shared fixtures: real patches, and tiny datasets in each official on-disk layout."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from deepfake_bench.synth.audio.speech import ESPEAK_MISSING
from deepfake_bench.synth.real_sources import SOURCES, sample_patches


@pytest.fixture(scope="session")
def real_patches() -> np.ndarray:
    """64 real 32 px patches from the training photos."""
    return sample_patches(SOURCES[:4], 64, np.random.default_rng(0))[0]


def write_png(path: Path, value: int, size: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((size, size, 3), value, np.uint8)
    assert cv2.imwrite(str(path), image)
    return path


def write_mp4(path: Path, frames: int = 5, size: int = 16) -> Path:
    """A tiny H.264 mp4 written with PyAV (what BioDeepAV ships)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            image = np.full((size, size, 3), 20 * i, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def write_image_folders(root: Path) -> Path:
    """``test/progan/{0_real,1_fake}`` and ``test/stylegan/car/{0_real,1_fake}`` (category level,
    upper-case extension)."""
    for i in range(2):
        write_png(root / "test" / "progan" / "0_real" / f"{i}.png", 10)
        write_png(root / "test" / "progan" / "1_fake" / f"{i}.png", 200)
    write_png(root / "test" / "stylegan" / "car" / "0_real" / "a.PNG", 30)
    write_png(root / "test" / "stylegan" / "car" / "1_fake" / "b.png", 220)
    return root


def write_dfb_manifest(root: Path) -> Path:
    rows = ["path,label,generator,source_id,split"]
    for i, (label, generator) in enumerate([(0, "real"), (1, "dcgan")]):
        write_png(root / f"{i}.png", 50 * i)
        rows.append(f"{i}.png,{label},{generator},{'coffee' if not label else '-'},test")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


def write_deepfakebench_json(root: Path) -> Path:
    """FaceForensics++ (with the c23 level) and Celeb-DF-v2 (without), one video each."""

    def frames(folder: str) -> list[str]:
        return [str(write_png(root / folder / f"{i:03d}.png", 40 * i).relative_to(root))
                for i in range(3)]  # fmt: skip

    ff = {"FaceForensics++": {
        "FF-real": {"test": {"c23": {"000": {"label": "FF-real", "frames": frames("ff/000")}}}},
        "FF-DF": {"test": {"c23": {"000_003": {"label": "FF-DF", "frames": frames("ff/000_003")}}}},
    }}  # fmt: skip
    celeb = {"Celeb-DF-v2": {
        "CelebDFv2_real": {"test": {"id0_0000": {"label": "CelebDFv2_real",
                                                 "frames": frames("celeb/id0_0000")}}},
        "CelebDFv2_fake": {"test": {"id0_id1_0000": {"label": "CelebDFv2_fake",
                                                     "frames": frames("celeb/id0_id1_0000")}}},
    }}  # fmt: skip
    (root / "FaceForensics++.json").write_text(json.dumps(ff))
    (root / "Celeb-DF-v2.json").write_text(json.dumps(celeb))
    return root


LABEL_DICT = {"FF-real": 0, "FF-DF": 1, "CelebDFv2_real": 0, "CelebDFv2_fake": 1}


def write_biodeepav(root: Path, raw: bool = True) -> Path:
    """``{real,fake}/videos/*.mp4`` (raw) or ``{real,fake}/frames/<video>/*.png``."""
    for name in ("real", "fake"):
        if raw:
            write_mp4(root / name / "videos" / f"{name}_0.mp4")
        else:
            for i in range(3):
                write_png(root / name / "frames" / f"{name}_0" / f"{i:03d}.png", 30 * i)
    return root


DATASET_FIXTURES = {
    "image_folders": lambda root: {"root": write_image_folders(root)},
    "dfb_manifest": lambda root: {"root": write_dfb_manifest(root)},
    "deepfakebench_json": lambda root: {
        "path": write_deepfakebench_json(root) / "FaceForensics++.json",
        "label_dict": LABEL_DICT,
    },
    "biodeepav": lambda root: {"root": write_biodeepav(root)},
}


@pytest.fixture
def dataset_fixture_names() -> set[str]:
    """The datasets with a fixture here (the audio and audio-visual ones have theirs in
    test_audio_av_loaders.py)."""
    return set(DATASET_FIXTURES)


@pytest.fixture
def dataset_fixture(tmp_path):
    """``name -> loader arguments`` after writing that dataset's fixture under ``tmp_path``."""
    return lambda name: DATASET_FIXTURES[name](tmp_path / name)


@pytest.fixture
def fixture_writers():
    """The fixture writers, for tests that vary a layout."""
    return {"png": write_png, "mp4": write_mp4, "image_folders": write_image_folders,
            "deepfakebench_json": write_deepfakebench_json, "biodeepav": write_biodeepav,
            "label_dict": LABEL_DICT}  # fmt: skip


def tone_speech(text: str, speaker) -> np.ndarray:
    """A stand-in bona fide source without espeak-ng: a vibrato harmonic tone per word, F0
    from the speaker's pitch, deterministic in (text, speaker)."""
    rate, words = 16_000, text.split()
    f0 = 90 + 2.0 * speaker.pitch
    n = int(0.25 * rate * len(words))
    t = np.arange(n) / rate
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))) / rate
    wave = (
        sum(np.sin(k * phase) / k for k in range(1, 6))
        * np.sin(np.pi * t * len(words) / t[-1]) ** 2
    )
    return (0.9 * wave / np.abs(wave).max()).astype(np.float32)


@pytest.fixture(scope="session")
def tone_speech_source():
    return tone_speech


@pytest.fixture(scope="session")
def tiny_audio_tree(tmp_path_factory) -> Path:
    """An ASVspoof-2019-style DFB-Synth tree (no espeak-ng: tone speech), S01/S02 seen, S03/S04
    in eval only; 6 bona fide and 3 spoofs per attack per split."""
    from deepfake_bench.synth.audio.tree import AudioTreeConfig, build_audio_tree

    config = AudioTreeConfig(
        n_bonafide=(6, 6, 6), n_spoof=(3, 3, 3), n_speakers=(2, 2, 2), n_sentences=(6, 6, 6),
        spoofer_args={"S01": {"n_iter": 4}, "S02": {"n_iter": 4}},
    )  # fmt: skip
    root = tmp_path_factory.mktemp("audio") / "tree"
    return build_audio_tree(root, config, source=tone_speech, progress=False)


def check_espeak() -> None:
    """Skip without espeak-ng, but fail under CI=true: CI must exercise the real source."""
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(ESPEAK_MISSING)
        pytest.skip(ESPEAK_MISSING)


@pytest.fixture(scope="session")
def require_espeak():
    """Call it where a test needs espeak-ng (it skips, or fails under CI=true, without it)."""
    return check_espeak
