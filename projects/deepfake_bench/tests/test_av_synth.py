"""DFB-Synth's audio-visual track: the talking-face renderer, the manipulations, the FakeAVCeleb
tree they are written as, the clip reader and the DataModule (spec 8.3, 11)."""

from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from deepfake_bench.data.av_clips import read_av_clip, write_av_clip
from deepfake_bench.data.fakeavceleb import METHODS, TYPES, read_fakeavceleb
from deepfake_bench.data.synth_av import SynthAVDataModule
from deepfake_bench.synth.audio.speech import Speaker
from deepfake_bench.synth.av.face import (
    HOP,
    N_FRAMES,
    N_SAMPLES,
    audio_envelope,
    blinks,
    head_walk,
)
from deepfake_bench.synth.av.manipulations import LIPSYNC, MANIPULATIONS, METHOD_NAMES, shifted
from deepfake_bench.synth.av.tree import (
    SPEECH_SOURCES,
    TINY,
    SynthAVConfig,
    build_av,
    plan,
    read_clips_table,
    render_clip,
)
from deepfake_bench.synth.cache import cache_folder

from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError

RATE = 16_000


def syllabic_speech(text: str, speaker: Speaker) -> np.ndarray:
    """A stand-in bona fide source without espeak-ng, deterministic in (text, speaker): a
    buzz at the speaker's pitch under 3-5 Hz syllables of random loudness, ~0.3 s a word."""
    rng = np.random.default_rng(zlib.crc32(f"{speaker.name}|{text}".encode()))
    t = np.arange(int(0.3 * RATE * len(text.split()))) / RATE
    rate, phase = rng.uniform(3, 5), rng.uniform(0, 1)
    loudness = rng.uniform(0.2, 1.0, int(rate * t[-1]) + 2)[(rate * t + phase).astype(int)]
    syllables = loudness * np.sin(np.pi * (rate * t + phase)) ** 2
    f0 = 80 + 1.5 * speaker.pitch
    buzz = np.sign(np.sin(2 * np.pi * f0 * t)) + 0.2 * rng.standard_normal(len(t))
    x = syllables * buzz
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


SPEECH_SOURCES.register("syllabic", syllabic_speech)
SYNTH = replace(TINY, speech="syllabic")


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def rms_per_frame(audio: np.ndarray) -> np.ndarray:
    """RMS of each 40 ms (640-sample) window: one per video frame."""
    return np.sqrt((audio[: N_FRAMES * 640].astype(np.float64).reshape(N_FRAMES, 640) ** 2).mean(1))


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory) -> Path:
    """The data root of a tiny build (one clip per method per split). One process: a spawned
    worker could not import this module's speech source (the pooled build: test_audio_synth)."""
    root = tmp_path_factory.mktemp("av")
    build_av(SYNTH, str(root), workers=1, log=lambda _: None)
    return root


@pytest.fixture(scope="module")
def tiny(tiny_root) -> Path:
    return cache_folder("av", SYNTH.digest(), str(tiny_root))


# --- the renderer ----------------------------------------------------------------------------


def test_envelope_pose_and_blinks():
    audio = np.zeros(N_SAMPLES, np.float32)
    audio[10 * HOP : 11 * HOP] = 0.5  # one loud 40 ms window, frame 10
    envelope = audio_envelope(audio)
    assert envelope.shape == (N_FRAMES,) and envelope[10] == 1.0
    assert envelope[9] == envelope[11] == pytest.approx(0.5) and envelope[8] == 0  # 1-2-1
    pose = head_walk(np.random.default_rng(0))
    assert pose.shape == (N_FRAMES, 4)
    assert np.all(np.abs(pose - [0, 0, 0, 1]).max(0) < [4, 3, 10, 0.04])
    assert np.abs(np.diff(pose[:, 0])).max() < 1.0  # smooth: under a pixel per frame
    assert not blinks(np.random.default_rng(0), rate=0.0).any()
    closure = blinks(np.random.default_rng(0), n=2500, rate=0.4)  # 100 s
    starts = np.flatnonzero(np.diff((closure == 1.0).astype(int)) == 1)
    assert 20 <= len(starts) <= 60  # about 0.4 per second
    assert shifted(np.arange(5.0), 2).tolist() == [0, 0, 0, 1, 2]
    assert shifted(np.arange(5.0), -2).tolist() == [2, 3, 4, 4, 4]


@pytest.mark.parametrize("speech", ["syllabic", "espeak"])
def test_lipsync_shift_decorrelates_the_mouth_from_the_voice(speech, require_espeak):
    """The mouth of a real clip follows its audio's loudness; a lipsync_shift clip's (another
    sentence, or its own 200-400 ms off) does much less."""
    if speech == "espeak":
        require_espeak()
    config = replace(TINY, speech=speech)
    real = next(c for c in plan(config) if c.method == "real" and c.split == "train")
    other = next(c for c in plan(config) if c.split == "train" and c.sentence != real.sentence)
    fakes = [replace(real, method=LIPSYNC, offset=7), replace(real, method=LIPSYNC, offset=-9),
             replace(real, method=LIPSYNC, driver=other.sentence)]  # fmt: skip
    seeds = (1, 2, 3)
    real_r = [pearson(*(lambda r: (r.mouth, rms_per_frame(r.audio)))(
        render_clip(replace(real, seed=s), config))) for s in seeds]  # fmt: skip
    fake_r = [pearson(*(lambda r: (r.mouth, rms_per_frame(r.audio)))(
        render_clip(replace(f, seed=s), config))) for f in fakes for s in seeds]  # fmt: skip
    assert min(real_r) > 0.8, real_r
    assert np.mean(fake_r) < np.mean(real_r) - 0.4 and max(fake_r) < min(real_r), fake_r


def test_render_clip_is_deterministic_and_filmed():
    clip = plan(SYNTH)[0]
    a, b = render_clip(clip, SYNTH), render_clip(clip, SYNTH)
    assert a.frames.shape == (N_FRAMES, 64, 64, 3) and a.frames.dtype == np.uint8
    assert a.audio.shape == (N_SAMPLES,) and a.audio.dtype == np.float32
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert np.abs(np.diff(a.frames.astype(int), axis=0)).mean() > 0.5  # the face moves


# --- plan, config and split hygiene -----------------------------------------------------------


def test_default_plan_counts_and_split_hygiene():
    config = SynthAVConfig()
    clips = plan(config)
    counts = {s: sum(c.split == s for c in clips) for s in ("train", "val", "test", "test_ood")}
    assert counts == {"train": 240, "val": 40, "test": 160, "test_ood": 160}
    assert len({c.name for c in clips}) == len(clips)

    def of(splits, what):
        return {what(c) for c in clips if c.split in splits}

    for what in (lambda c: c.identity.id, lambda c: (c.identity.speaker.voice,
                                                      c.identity.speaker.variant)):  # fmt: skip
        train, test, ood = of({"train", "val"}, what), of({"test"}, what), of({"test_ood"}, what)
        assert not (train & test or train & ood or test & ood)
    sentences = [of({s}, lambda c: c.sentence.id) | of({s}, lambda c: c.driver.id if c.driver
                                                       else c.sentence.id)
                 for s in ("train", "val", "test", "test_ood")]  # fmt: skip
    assert all(not (a & b) for i, a in enumerate(sentences) for b in sentences[i + 1 :])
    assert len(of({"train", "val"}, lambda c: c.identity.id)) == 24
    assert len(of({"test"}, lambda c: c.identity.id)) == 16
    assert of({"test_ood"}, lambda c: c.identity.speaker.variant) <= set(config.ood_variants)
    assert not of({"train", "test"}, lambda c: c.identity.speaker.variant) & set(
        config.ood_variants
    )
    assert not set(config.backgrounds("train")) & set(config.backgrounds("test_ood"))
    for c in clips:
        assert (c.donor is not None) == (c.method.startswith("faceswap_blend"))
        assert c.donor is None or (c.donor.pool == c.identity.pool and c.donor != c.identity)
        assert (c.method in MANIPULATIONS and MANIPULATIONS[c.method].ood) == (
            c.split == "test_ood" and c.method != "real"
        )
    lipsync = [c for c in clips if c.method == LIPSYNC]
    assert any(c.driver for c in lipsync) and any(c.offset for c in lipsync)
    assert all(5 <= abs(c.offset) <= 10 for c in lipsync if not c.driver)


def test_config_checks_and_digest():
    assert SynthAVConfig().digest() == SynthAVConfig().digest()
    assert SynthAVConfig(seed=1).digest() != SynthAVConfig().digest()
    assert plan(replace(SYNTH, seed=1)) != plan(SYNTH)
    for bad in ({"n_identities": (1, 2, 2)}, {"n_real": (1, 1, 1)}, {"frame_generator": "pca_gauss"},
                {"spoofer_args": {"S02": {}}}, {"spoofer_args": {"S01": {"bogus": 1}}},
                {"ood_variants": ("whisper",)}, {"ood_backgrounds": ()}, {"speech": "festival"},
                {"n_identities": (100, 16, 16)}):  # fmt: skip
        with pytest.raises(ConfigError):
            SynthAVConfig(**bad)


# --- the written tree -------------------------------------------------------------------------


def test_metadata_round_trips_through_the_fakeavceleb_loader(tiny):
    records = read_fakeavceleb(tiny)  # also checks that every video exists
    table = read_clips_table(tiny)
    assert len(records) == len(table) == 19
    assert {r.type for r in records} == set(TYPES)
    for r in records:
        row = table[r.name]
        m = MANIPULATIONS.get(row["method"])
        assert r.type == (m.type if m else "RealVideo-RealAudio") == row["type"]
        assert r.method == (m.fakeavceleb if m else "real") and r.method in METHODS
        assert r.source == tiny / r.type / r.race / r.gender / r.identity / r.file
        assert r.label == int(m is not None) and r.category == TYPES[r.type][0]
        assert r.target1 == row["donor"] and r.identity == row["identity"]
        assert r.race.startswith("tone") and r.gender in ("men", "women")
    hygiene = {}
    for row in table.values():
        pool = "train" if row["split"] in ("train", "val") else row["split"]
        hygiene.setdefault(row["identity"], set()).add(pool)
    assert all(len(pools) == 1 for pools in hygiene.values())


def test_mp4_holds_h264_video_and_aac_audio(tiny):
    import av

    path = next(tiny.rglob("*.mp4"))
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.width, video.height, video.average_rate) == (64, 64, 25)
        assert audio.sample_rate == RATE and audio.layout.name == "mono"
        assert sum(1 for _ in container.decode(video=0)) == N_FRAMES
    frames, samples = read_av_clip(path, N_FRAMES, N_SAMPLES)
    assert frames.shape == (N_FRAMES, 64, 64, 3) and frames.dtype == np.uint8
    assert samples.shape == (N_SAMPLES,) and samples.dtype == np.float32


def test_written_audio_stays_aligned_with_the_rendered_one(tmp_path):
    rendered = render_clip(plan(SYNTH)[0], SYNTH)
    path = write_av_clip(tmp_path / "clip.mp4", rendered.frames, rendered.audio)
    frames, audio = read_av_clip(path, N_FRAMES, N_SAMPLES)
    assert pearson(audio, rendered.audio) > 0.95  # AAC's priming samples are dropped
    assert np.abs(frames.astype(int) - rendered.frames).mean() < 6


def test_a_rebuild_is_identical_and_a_complete_build_is_reused(tiny, tmp_path):
    again = build_av(SYNTH, str(tmp_path), workers=1, log=lambda _: None)
    for name in ("meta_data.csv", "clips.csv"):
        assert (again / name).read_bytes() == (tiny / name).read_bytes()
    for path in sorted(tiny.rglob("*.mp4")):
        first = read_av_clip(path, N_FRAMES, N_SAMPLES)
        second = read_av_clip(again / path.relative_to(tiny), N_FRAMES, N_SAMPLES)
        assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert build_av(SYNTH, str(tmp_path), log=lambda _: None) == again  # complete: reused


def test_unreadable_and_truncated_clips_name_the_file(tiny, tmp_path, fixture_writers):
    path = next(tiny.rglob("*.mp4"))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetFormatError, match=r"cut\.mp4"):
        read_av_clip(cut, N_FRAMES, N_SAMPLES)
    silent = fixture_writers["mp4"](tmp_path / "silent.mp4")  # video only
    with pytest.raises(DatasetFormatError, match=r"silent\.mp4.*streams \['video'\]"):
        read_av_clip(silent, N_FRAMES, N_SAMPLES)
    short = write_av_clip(tmp_path / "short.mp4", np.zeros((5, 16, 16, 3), np.uint8),
                          np.zeros(3200, np.float32))  # fmt: skip
    with pytest.raises(DatasetFormatError, match=r"short\.mp4: found 5 frames"):
        read_av_clip(short, N_FRAMES, N_SAMPLES)


def test_an_unfinished_build_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("OVERWRITE", raising=False)
    folder = cache_folder("av", SYNTH.digest(), str(tmp_path))
    folder.mkdir(parents=True)
    (folder / "meta_data.csv").write_text("half a build")
    with pytest.raises(ConfigError, match="unfinished build"):
        build_av(SYNTH, str(tmp_path), log=lambda _: None)
    assert (folder / "meta_data.csv").read_text() == "half a build"


# --- the DataModule ---------------------------------------------------------------------------


def test_datamodule_batches(tiny_root):
    from deepfake_bench.data.synth_av import NEW_REAL

    from shared.data.loader import Loader

    dm = SynthAVDataModule(SYNTH, data_root=str(tiny_root), loader=Loader(batch_size=4))
    dm.prepare_data()
    dm.setup("fit")
    assert dm.modality == "audio_visual" and dm.methods == list(METHOD_NAMES)
    assert dm.benchmark.digest() == SYNTH.digest() and dm.build_seconds is None  # was cached
    video, audio, kind, column = next(iter(dm.train_dataloader()))
    assert video.shape == (4, N_FRAMES, 3, 64, 64) and video.dtype == torch.uint8
    assert audio.shape == (4, N_SAMPLES) and audio.dtype == torch.float32
    assert kind.dtype == column.dtype == torch.int64
    expected_kind = {-1: 0, NEW_REAL: 0} | {
        k: TYPES[MANIPULATIONS[m].type][1] + 2 * TYPES[MANIPULATIONS[m].type][2]
        for k, m in enumerate(METHOD_NAMES)
    }
    seen = {}
    for name, loader in (("train", dm.train_dataloader()), ("val", dm.val_dataloader()),
                         ("test", dm.test_dataloader())):  # fmt: skip
        columns = [
            (int(c), int(k)) for batch in loader for c, k in zip(batch[3], batch[2], strict=True)
        ]
        assert all(expected_kind[c] == k for c, k in columns)
        seen[name] = sorted(c for c, _ in columns)
    assert seen["train"] == seen["val"] == [-1, 0, 1, 2, 3]
    assert seen["test"] == [NEW_REAL, -1, 0, 1, 2, 3, 4, 5, 6]
    videos, _, kinds, columns = dm.split("test_ood")
    assert videos.shape == (4, N_FRAMES, 3, 64, 64) and sorted(columns.tolist()) == [-2, 4, 5, 6]
    assert kinds.tolist() == [expected_kind[int(c)] for c in columns]
