"""DFB-Synth's audio track: espeak-ng speech, the spoofers S01-S04 and the ASVspoof-style tree."""

from __future__ import annotations

import re
import shutil
import zlib
from dataclasses import replace

import numpy as np
import pytest
from deepfake_bench.data.asvspoof import read_asvspoof2019_la, read_audio
from deepfake_bench.registry import SPOOFERS
from deepfake_bench.synth.audio import speech
from deepfake_bench.synth.audio.speech import (
    PITCHES,
    RATES,
    VARIANTS,
    VOICES,
    EspeakNotFoundError,
    Speaker,
    resample,
    sentence_bank,
    speaker_pools,
    trim_silence,
)
from deepfake_bench.synth.audio.spoofers import frame_pitch, griffin_lim, overlap_add
from deepfake_bench.synth.audio.tree import TINY, AudioTreeConfig, build_audio_tree, plan

from shared.errors import ConfigError

RATE = 16_000


def all_pole(formants: list[tuple[float, float]]) -> np.ndarray:
    """Denominator of a cascade of two-pole resonators at (frequency, bandwidth) in Hz."""
    a = np.array([1.0])
    for f, b in formants:
        r = np.exp(-np.pi * b / RATE)
        a = np.convolve(a, [1.0, -2 * r * np.cos(2 * np.pi * f / RATE), r * r])
    return a


VOWEL_A = [(700, 80), (1220, 90), (2600, 120)]
VOWEL_I = [(300, 60), (2300, 100), (3000, 120)]


def vowel(f0: float, formants: list[tuple[float, float]], n: int = 24_000) -> np.ndarray:
    """A steady vowel: a unit pulse train at ``f0`` through the formant filter, peak 0.9."""
    from scipy.signal import lfilter

    pulses = np.zeros(n)
    pulses[:: round(RATE / f0)] = 1.0
    y = lfilter([1.0], all_pole(formants), pulses)
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


def speechlike(seed: int, seconds: float = 1.2, f0: float = 120.0) -> np.ndarray:
    """A non-stationary speech-like signal: gliding-F0 pulses through a vowel filter under
    syllable bumps, then a noise 'fricative'; peak 0.9."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    contour = f0 * (1 + 0.25 * np.sin(np.linspace(0, np.pi, n) + rng.uniform(0, np.pi)))
    phase = np.cumsum(contour / RATE)
    pulses = np.diff(np.floor(phase), prepend=0.0)
    voiced = lfilter([1.0], all_pole(VOWEL_A if rng.random() < 0.5 else VOWEL_I), pulses)
    syllables = np.sin(np.linspace(0, 4 * np.pi, n)) ** 2
    x = voiced * syllables
    tail = n // 5
    x[n - tail :] += 0.3 * np.abs(x).max() * rng.standard_normal(tail)
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


def synthetic_speech(text: str, speaker: Speaker) -> np.ndarray:
    """A stand-in bona fide source for tree tests without espeak-ng: deterministic in
    (text, speaker), F0 from the speaker's pitch, about 0.4 s per word."""
    seed = zlib.crc32(f"{speaker.name}|{text}".encode())
    return speechlike(seed, 0.4 * len(text.split()) * 160 / speaker.rate, 80 + 1.5 * speaker.pitch)


def spectral_convergence(y: np.ndarray, magnitude: np.ndarray) -> float:
    """‖|STFT(y)| − S‖_F / ‖S‖_F at the spoofer's STFT (n_fft 512, hop 128)."""
    import librosa

    estimate = np.abs(librosa.stft(y, n_fft=512, hop_length=128))
    return float(np.linalg.norm(estimate - magnitude) / np.linalg.norm(magnitude))


def median_f0(x: np.ndarray) -> float:
    """YIN's median F0 (an estimator independent of the spoofers' own)."""
    import librosa

    f0 = librosa.yin(x.astype(np.float64), fmin=60, fmax=400, sr=RATE, frame_length=1024)
    return float(np.median(f0[4:-4]))


# --- the bona fide source -------------------------------------------------------------------


def test_sentence_bank_is_distinct_disjoint_and_seeded():
    banks = sentence_bank((5, 3, 4), seed=0)
    assert [len(b) for b in banks] == [5, 3, 4]
    texts = [s.text for b in banks for s in b]
    ids = [s.id for b in banks for s in b]
    assert len(set(texts)) == 12 and len(set(ids)) == 12
    assert all(4 <= len(t.split()) <= 9 for t in texts)
    assert sentence_bank((5, 3, 4), seed=0) == banks
    assert sentence_bank((5, 3, 4), seed=1) != banks


def test_speaker_pools_share_no_voice_variant_pair():
    pools = speaker_pools((6, 4, 5), seed=0)
    pairs = [{(s.voice, s.variant) for s in pool} for pool in pools]
    assert [len(p) for p in pairs] == [6, 4, 5]
    assert not (pairs[0] & pairs[1] or pairs[0] & pairs[2] or pairs[1] & pairs[2])
    for s in (s for pool in pools for s in pool):
        assert s.voice in VOICES and s.variant in VARIANTS and not s.voice.startswith("mb")
        assert RATES[0] <= s.rate <= RATES[1] and PITCHES[0] <= s.pitch <= PITCHES[1]
    assert Speaker("en-gb", "f3", 150, 40).name == "en-gb+f3-s150-p40"
    with pytest.raises(ValueError, match=f"at most {len(VOICES) * len(VARIANTS)}"):
        speaker_pools((100, 100, 0), seed=0)


def test_resample_maps_22050_to_16000_and_keeps_frequency():
    t = np.arange(22_050) / 22_050
    y = resample(np.sin(2 * np.pi * 1000 * t), 22_050)
    assert y.dtype == np.float32 and len(y) == 16_000  # one second stays one second
    assert np.argmax(np.abs(np.fft.rfft(y))) == 1000  # 1 Hz bins: the tone is still at 1 kHz


def test_trim_silence_keeps_a_50_ms_margin():
    x = np.zeros(10_000, np.float32)
    x[3000:5000] = 0.5
    trimmed = trim_silence(x)
    assert len(trimmed) == 2000 + 2 * 800  # 0.05 s = 800 samples each side
    assert trimmed[800] == 0.5 and trimmed[799] == 0.0


def test_missing_espeak_says_how_to_install(monkeypatch):
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    with pytest.raises(EspeakNotFoundError, match=r"apt-get install espeak-ng.*make setup"):
        speech.espeak_speech("hello there", Speaker("en-us", "m1", 160, 50))


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             ("", pytest.skip.Exception)])  # fmt: skip
def test_require_espeak_fails_under_ci_and_skips_otherwise(
    monkeypatch, ci, outcome, require_espeak
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install espeak-ng"):
        require_espeak()


@pytest.fixture(scope="module")
def espeak_utterance(require_espeak) -> np.ndarray:
    require_espeak()
    return speech.espeak_speech(
        "the quiet baker carried seven lemons", Speaker("en-gb-x-rp", "m3", 160, 50)
    )


def test_espeak_utterance_is_16k_mono_and_deterministic(espeak_utterance):
    x = espeak_utterance
    assert x.dtype == np.float32 and x.ndim == 1
    # six words at 160 wpm ≈ 2.25 s (measured 2.25 s, median F0 106 Hz); audio at the wrong
    # rate (e.g. resample_poly(x, 160, 441), which gives 8 kHz) halves the one, doubles the other
    assert 1.6 < len(x) / RATE < 3.2
    assert np.abs(x).max() == pytest.approx(speech.PEAK)
    assert 80 < median_f0(x) < 140
    again = speech.espeak_speech(
        "the quiet baker carried seven lemons", Speaker("en-gb-x-rp", "m3", 160, 50)
    )
    np.testing.assert_array_equal(again, x)


def test_griffin_lim_on_espeak_converges_without_copying(espeak_utterance):
    import librosa

    x = espeak_utterance.astype(np.float64)
    magnitude = np.abs(librosa.stft(x, n_fft=512, hop_length=128))
    rng = np.random.default_rng
    sc8 = spectral_convergence(griffin_lim(magnitude, len(x), 8, 512, 128, rng(0)), magnitude)
    y = griffin_lim(magnitude, len(x), 32, 512, 128, rng(0))
    sc32 = spectral_convergence(y, magnitude)
    # measured over 8 espeak utterances x 2 seeds: 0.16-0.21 at 8, 0.05-0.11 at 32
    assert sc32 < 0.15 and sc8 < 0.3 and sc32 < 0.7 * sc8
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.5  # the phase is new: not a copy


# --- the spoofers --------------------------------------------------------------------------


def test_griffin_lim_spectral_convergence_on_a_two_tone_chirp():
    import librosa

    t = np.arange(2 * RATE) / RATE
    x = 0.5 * np.sin(2 * np.pi * (200 * t + 75 * t**2)) + 0.3 * np.sin(
        2 * np.pi * (1500 * t - 50 * t**2)
    )
    magnitude = np.abs(librosa.stft(x, n_fft=512, hop_length=128))
    rng = np.random.default_rng
    sc = {n: spectral_convergence(griffin_lim(magnitude, len(x), n, 512, 128, rng(0)), magnitude)
          for n in (8, 32)}  # fmt: skip
    # measured over 4 seeds: 0.19-0.22 after 8 iterations, 0.07-0.09 after 32 (random init ≈ 0.5)
    assert sc[32] < 0.15 and sc[8] < 0.3 and sc[32] < 0.6 * sc[8]


@pytest.mark.parametrize("attack", list(SPOOFERS))
def test_spoofer_contract(attack):
    x = speechlike(seed=3)
    spoofer = SPOOFERS.build(attack)
    y = spoofer(x, seed=7)
    assert y.dtype == np.float32 and y.shape == x.shape and np.all(np.isfinite(y))
    assert np.abs(y).max() == pytest.approx(np.abs(x).max(), rel=1e-6)
    np.testing.assert_array_equal(spoofer(x, seed=7), y)
    assert not np.array_equal(spoofer(x, seed=8), y)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.5  # a new waveform, not a copy of the source


@pytest.mark.parametrize(
    ("bad", "found"),
    [
        (np.zeros((2, 2048), np.float32), r"shape \(2, 2048\)"),
        (np.ones(2048, np.int16), "int16"),
        (np.ones(100, np.float32), r"shape \(100,\)"),
        (np.zeros(2048, np.float32), "silent"),
        (np.full(2048, np.nan, np.float32), "non-finite"),
    ],
)
def test_spoofer_rejects_bad_input_naming_what_it_found(bad, found):
    with pytest.raises(ValueError, match=rf"spoofer S01 input: found .*{found}"):
        SPOOFERS.build("S01")(bad, seed=0)


def test_world_keeps_the_f0_of_a_pulse_train_and_applies_its_scale():
    x = vowel(125.0, VOWEL_A)
    assert median_f0(x) == pytest.approx(125.0, rel=0.01)
    assert median_f0(SPOOFERS.build("S03", f0_scale=None)(x, 0)) == pytest.approx(125, rel=0.02)
    assert median_f0(SPOOFERS.build("S03", f0_scale=(1.2, 1.2))(x, 0)) == pytest.approx(
        150.0, rel=0.02
    )


def test_lpc_noise_keeps_the_spectral_envelope_and_f0():
    from scipy.signal import welch

    def log_spectral_distance(p: np.ndarray, q: np.ndarray) -> float:
        """RMS dB difference of the Welch spectra over 62.5 Hz-4 kHz."""
        f, a = welch(p, RATE, nperseg=256)
        _, b = welch(q, RATE, nperseg=256)
        band = (f > 0) & (f <= 4000)
        return float(np.sqrt(np.mean((10 * np.log10(a[band] / b[band])) ** 2)))

    x = vowel(125.0, VOWEL_A)
    y = SPOOFERS.build("S04")(x, seed=0)
    other = log_spectral_distance(x, vowel(125.0, VOWEL_I))
    # measured: 0.44 dB over 5 seeds; another vowel is 16.6 dB away
    assert log_spectral_distance(x, y) < 2.0 < 10.0 < other
    assert median_f0(y) == pytest.approx(125.0, rel=0.02)


def test_frame_pitch_finds_the_lag_of_a_pulse_train_and_rejects_noise():
    import librosa
    from scipy.signal import get_window

    window = get_window("hann", 512)
    pulses = np.zeros(4096)
    pulses[::128] = 1.0  # 16 kHz / 128 = 125 Hz
    noise = np.random.default_rng(0).standard_normal(4096)
    frames = (
        np.concatenate(
            [librosa.util.frame(s, frame_length=512, hop_length=256) for s in (pulses, noise)],
            axis=1,
        )
        * window[:, None]
    )
    f0, periodicity = frame_pitch(frames, window, RATE, 70.0, 400.0)
    count = frames.shape[1] // 2
    np.testing.assert_array_equal(f0[:count], 125.0)
    assert periodicity[:count].min() > 0.9 and periodicity[count:].max() < 0.5


def test_overlap_add_sums_the_overlapping_halves():
    frames = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])  # two frames of 4
    np.testing.assert_array_equal(overlap_add(frames, hop=2), [1, 1, 3, 3, 2, 2])


# --- the tree ------------------------------------------------------------------------------


def test_config_rejects_unknown_or_overlapping_attacks():
    with pytest.raises(ConfigError, match="S09"):
        AudioTreeConfig(seen_attacks=("S01", "S09"))
    with pytest.raises(ConfigError, match="n_iters"):
        AudioTreeConfig(spoofer_args={"S01": {"n_iters": 8}})
    with pytest.raises(ConfigError, match="not also seen"):
        AudioTreeConfig(seen_attacks=("S01", "S03"))
    with pytest.raises(ConfigError, match="n_bonafide"):
        AudioTreeConfig(n_bonafide=(1, 2))


def test_default_plan_counts_ids_and_split_hygiene():
    items = plan(AudioTreeConfig())
    for split, bonafide, per_attack, attacks in [
        ("train", 240, 240, {"S01", "S02"}), ("dev", 60, 60, {"S01", "S02"}),
        ("eval", 120, 120, {"S01", "S02", "S03", "S04"}),
    ]:  # fmt: skip
        mine = [i for i in items if i.split == split]
        found = {a: sum(i.attack == a for i in mine) for a in {i.attack for i in mine}}
        assert found == {None: bonafide, **dict.fromkeys(attacks, per_attack)}
        letter = split[0].upper()
        assert all(re.fullmatch(rf"DFB_{letter}_\d{{7}}", i.utterance) for i in mine)
    assert len({i.utterance for i in items}) == len(items)
    for a, b in [("train", "dev"), ("train", "eval"), ("dev", "eval")]:
        for key in (lambda i: i.speaker, lambda i: i.sentence.id, lambda i: i.sentence.text):
            assert not {key(i) for i in items if i.split == a} & {
                key(i) for i in items if i.split == b
            }
    assert len({i.seed for i in items}) == len(items)
    assert plan(AudioTreeConfig()) == items


@pytest.fixture(scope="module")
def tiny_tree(tmp_path_factory):
    return build_audio_tree(
        tmp_path_factory.mktemp("audio") / "tree", TINY, source=synthetic_speech, progress=False
    )


def test_tree_reads_back_with_the_asvspoof_loader(tiny_tree):
    import csv

    rows = csv.DictReader((tiny_tree / "metadata.csv").read_text().splitlines())
    samples = {row["utterance"]: int(row["samples"]) for row in rows}
    expected = {
        "train": {None: 2, "S01": 2, "S02": 2},
        "dev": {None: 2, "S01": 2, "S02": 2},
        "eval": {None: 2, "S01": 1, "S02": 1, "S03": 1, "S04": 1},
    }
    for split, counts in expected.items():
        records = read_asvspoof2019_la(tiny_tree, split)
        assert {a: sum(r.attack == a for r in records) for a in counts} == counts
        assert len(records) == 6
        assert all(r.label == (r.attack is not None) for r in records)
        for r in records:
            audio = read_audio(r.path)  # raises unless 16 kHz
            assert len(audio) == samples[r.utterance]
            assert 0.85 < np.abs(audio).max() < 0.95  # PCM_16 of a 0.9 peak
    line = (tiny_tree / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.train.trn.txt"
            ).read_text().splitlines()[0].split()  # fmt: skip
    assert line[2] == "-" and (line[3], line[4]) in {("-", "bonafide"), ("S01", "spoof"),
                                                     ("S02", "spoof")}  # fmt: skip
    assert (tiny_tree / "COMPLETE").is_file()


def test_tree_refuses_a_non_empty_folder(tiny_tree):
    with pytest.raises(FileExistsError, match="non-empty"):
        build_audio_tree(tiny_tree, TINY, source=synthetic_speech, progress=False)


@pytest.mark.slow
def test_spawned_workers_give_the_same_espeak_audio_as_one_process(tmp_path, require_espeak):
    """The pool spawns its workers (a forked child of a process that ran torch can hang)."""
    require_espeak()
    config = replace(TINY, n_bonafide=(1, 1, 1), n_spoof=(1, 1, 1), unseen_attacks=("S04",))
    serial = build_audio_tree(tmp_path / "serial", config, progress=False)
    pooled = build_audio_tree(tmp_path / "pooled", config, workers=2, progress=False)
    for r in (r for split in ("train", "dev", "eval") for r in read_asvspoof2019_la(serial, split)):
        np.testing.assert_array_equal(
            read_audio(pooled / r.path.relative_to(serial)), read_audio(r.path)
        )


def test_world_without_pyworld_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyworld", None)  # makes `import pyworld` fail
    with pytest.raises(ImportError, match=r"S03 \(world\) needs pyworld.*setuptools<81"):
        SPOOFERS.build("S03")(vowel(125.0, VOWEL_A), seed=0)


@pytest.mark.slow
def test_the_audio_smoke_tier_builds_with_espeak_and_scores_both_attacks(tmp_path, require_espeak):
    """configs/smoke_audio.yaml end to end: espeak-ng speech, S01 and S04, lfcc_gmm."""
    from pathlib import Path

    from shared.cli import ReproCLI

    require_espeak()
    project = Path(__file__).resolve().parents[1]
    args = ["--config", str(project / "configs/smoke_audio.yaml"),
            f"--data.init_args.data_root={tmp_path}"]  # fmt: skip
    cli = ReproCLI(project.name, "smoke_audio", args=args)
    best = cli.fit_and_test()["best"]
    assert [best[f"test/S01/{a}/n_fake"] for a in ("S01", "S04")] == [12, 12]
    assert best["test/S01/S01/auc"] > 0.5  # the seen attack, 24 bona fide vs 12 spoofs
    tree = cli.datamodule.folder
    assert tree.parent.name == "audio" and (tree / "COMPLETE").is_file()
    assert len(read_asvspoof2019_la(tree, "eval")) == 48
