"""Bona fide speech for DFB-Synth's audio track: espeak-ng reading sentences of a seeded grammar.

"Bona fide" here means first-generation formant-synthesizer output; the spoofers re-synthesize it,
so the track measures the detection of vocoder artefacts, not human-vs-machine speech.

Split hygiene (train / dev / eval never share a speaker tuple or a sentence):

- speakers: the (voice, variant) pairs are shuffled once with the build's seed and dealt out
  to the splits, so no pair (let alone a whole (voice, variant, rate, pitch) tuple) is in two
  splits; each speaker then draws its own rate and pitch;
- sentences: one seeded bank of *distinct* texts is drawn and cut into consecutive blocks, one
  per split, so a text (and its id) occurs in exactly one split.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from deepfake_bench.data.asvspoof import SAMPLE_RATE

PEAK = 0.9  # every bona fide utterance is peak-normalised to this (loudness is no cue)

VOICES = (
    "en-us", "en-us-nyc", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
    "en-gb-x-gbcwmd", "en-029",
)  # fmt: skip
"""espeak-ng's own English voices (the ``mb-*`` MBROLA voices need the non-free mbrola)."""
VARIANTS = (
    *(f"f{i}" for i in range(1, 6)), *(f"m{i}" for i in range(1, 9)),
    "klatt", "klatt2", "klatt3", "klatt4",
)  # fmt: skip
"""Voiced variants only: ``whisper`` or ``croak`` have no clean F0 for the WORLD/LPC spoofers."""
RATES = (130, 190)  # words per minute, inclusive
PITCHES = (30, 70)  # espeak-ng's 0-99 pitch scale, inclusive

ESPEAK_MISSING = (
    "espeak-ng was not found on PATH; DFB-Synth's audio track synthesizes its bona fide speech "
    "with it. Install it with `apt-get install espeak-ng` (Debian/Ubuntu), or run `make setup` "
    "as root."
)

SpeechSource = Callable[[str, "Speaker"], np.ndarray]
"""``(text, speaker) -> float32 mono waveform at SAMPLE_RATE``: the pluggable bona fide source."""


class EspeakNotFoundError(FileNotFoundError):
    """espeak-ng is not installed; the message says how to install it."""

    def __init__(self) -> None:
        super().__init__(ESPEAK_MISSING)


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: an espeak-ng voice, a variant and a speaking rate and pitch."""

    voice: str
    variant: str
    rate: int
    pitch: int

    @property
    def name(self) -> str:
        """The protocol's SPEAKER field: the whole tuple, so hygiene is checkable from it."""
        return f"{self.voice}+{self.variant}-s{self.rate}-p{self.pitch}"


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str


# The grammar's word list: short, common, easy-to-pronounce words.
_NOUNS = (
    "baker", "river", "garden", "window", "teacher", "rabbit", "lantern", "sailor", "kitten",
    "farmer", "mirror", "pencil", "basket", "engine", "doctor", "island", "ladder", "parrot",
    "wagon", "violin", "tiger", "ribbon", "pilot", "jacket", "candle", "dragon", "hammer",
    "lemon", "market", "ticket",
)  # fmt: skip
_ADJECTIVES = (
    "quiet", "golden", "tiny", "heavy", "bright", "silver", "gentle", "rusty", "purple",
    "clever", "sleepy", "wooden", "famous", "narrow", "shiny", "ancient", "muddy", "lucky",
)  # fmt: skip
_VERBS = (  # (past tense, base form)
    ("found", "find"), ("carried", "carry"), ("painted", "paint"), ("followed", "follow"),
    ("opened", "open"), ("borrowed", "borrow"), ("cleaned", "clean"), ("dropped", "drop"),
    ("watched", "watch"), ("fixed", "fix"), ("hid", "hide"), ("sold", "sell"),
)  # fmt: skip
_MOTIONS = ("walked", "drifted", "hurried", "wandered", "rolled", "climbed", "danced", "waited")
_ADVERBS = ("slowly", "quietly", "early", "happily", "nearly", "suddenly", "often", "calmly")
_PREPOSITIONS = ("near", "behind", "under", "beside", "past", "across", "into", "around")
_PLACES = ("harbour", "station", "bridge", "village", "kitchen", "forest", "tower", "valley")
_NAMES = ("Anna", "Peter", "Maria", "Oscar", "Helen", "Victor", "Laura", "Simon", "Nora")
_NUMBERS = ("two", "three", "four", "five", "seven", "nine", "twelve")
_TIMES = ("today", "at noon", "last week", "on monday", "in spring", "at night")


def _sentence(rng: np.random.Generator) -> str:
    """One sentence of 4-9 words from one of five templates."""

    def pick(words: Sequence):
        return words[int(rng.integers(len(words)))]

    template = int(rng.integers(5))
    if template == 0:
        return f"the {pick(_ADJECTIVES)} {pick(_NOUNS)} {pick(_VERBS)[0]} the {pick(_NOUNS)}."
    if template == 1:
        return (
            f"{pick(_NAMES)} {pick(_VERBS)[0]} a {pick(_ADJECTIVES)} {pick(_NOUNS)} {pick(_TIMES)}."
        )
    if template == 2:
        return f"the {pick(_NOUNS)} {pick(_ADVERBS)} {pick(_MOTIONS)} {pick(_PREPOSITIONS)} the {pick(_PLACES)}."
    if template == 3:
        return f"did the {pick(_NOUNS)} {pick(_VERBS)[1]} the {pick(_ADJECTIVES)} {pick(_NOUNS)}?"
    return (
        f"we {pick(_VERBS)[0]} {pick(_NUMBERS)} {pick(_ADJECTIVES)} {pick(_NOUNS)}s {pick(_TIMES)}."
    )


def sentence_bank(counts: Sequence[int], seed: int) -> list[list[Sentence]]:
    """``len(counts)`` disjoint lists of distinct sentences (one per split), ids ``sent0000``..."""
    rng = np.random.default_rng([seed, 11])
    texts: dict[str, None] = {}  # insertion-ordered set
    total, attempts = sum(counts), 0
    while len(texts) < total:
        texts[_sentence(rng)] = None
        attempts += 1
        if attempts > 50 * total:
            raise ValueError(f"the sentence grammar cannot yield {total} distinct sentences")
    bank = [Sentence(f"sent{i:04d}", text) for i, text in enumerate(texts)]
    edges = np.cumsum([0, *counts])
    return [bank[a:b] for a, b in pairwise(edges)]


def speaker_pools(counts: Sequence[int], seed: int) -> list[list[Speaker]]:
    """``len(counts)`` speaker lists (one per split) that share no (voice, variant) pair."""
    pairs = [(v, w) for v in VOICES for w in VARIANTS]
    if sum(counts) > len(pairs):
        raise ValueError(
            f"{sum(counts)} speakers asked for, expected at most {len(pairs)} "
            f"(one per (voice, variant) pair: {len(VOICES)} voices x {len(VARIANTS)} variants)"
        )
    rng = np.random.default_rng([seed, 12])
    order = rng.permutation(len(pairs))
    pools, start = [], 0
    for count in counts:
        pools.append([
            Speaker(*pairs[k], int(rng.integers(RATES[0], RATES[1] + 1)),
                    int(rng.integers(PITCHES[0], PITCHES[1] + 1)))
            for k in order[start : start + count]
        ])  # fmt: skip
        start += count
    return pools


def check_waveform(x: np.ndarray, what: str, min_samples: int = 1) -> float:
    """The peak of ``x`` if it is non-silent, finite, 1-D float audio of at least
    ``min_samples`` samples, else a ValueError naming ``what`` (a source or a spoofer)."""
    x = np.asarray(x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating) or len(x) < min_samples:
        raise ValueError(
            f"{what}: found a {x.dtype} waveform of shape {x.shape}, expected 1-D float mono "
            f"audio of at least {min_samples} samples"
        )
    peak = float(np.abs(x).max()) if np.all(np.isfinite(x)) else float("nan")
    if not peak > 0:
        raise ValueError(f"{what}: found a silent or non-finite waveform (peak {peak})")
    return peak


def espeak_path() -> str:
    """The espeak-ng executable, or an :class:`EspeakNotFoundError` saying how to install it."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise EspeakNotFoundError()
    return path


def resample(x: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """``x`` from ``rate`` to ``target`` Hz with a polyphase filter (22,050 -> 16,000: 320/441)."""
    from scipy.signal import resample_poly

    g = math.gcd(rate, target)
    return resample_poly(x, target // g, rate // g).astype(np.float32)


def trim_silence(x: np.ndarray, margin: float = 0.05, floor: float = 1e-3) -> np.ndarray:
    """``x`` without leading/trailing silence (below ``floor`` x its peak) beyond ``margin``
    seconds: espeak-ng appends ~0.35 s of silence, which would be most of a short clip."""
    loud = np.flatnonzero(np.abs(x) > floor * np.abs(x).max())
    pad = int(margin * SAMPLE_RATE)
    return x[max(loud[0] - pad, 0) : loud[-1] + pad + 1]


def espeak_speech(text: str, speaker: Speaker) -> np.ndarray:
    """``text`` read by espeak-ng as ``speaker``: float32 mono at 16 kHz, silence trimmed,
    peak-normalised to :data:`PEAK` (the default :data:`SpeechSource`)."""
    import soundfile

    command = [espeak_path(), "--stdout", "-v", f"{speaker.voice}+{speaker.variant}",
               "-s", str(speaker.rate), "-p", str(speaker.pitch), text]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"espeak-ng failed (return code {done.returncode}) on {command[1:]}: "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    header = done.stdout[:12]
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise RuntimeError(
            f"espeak-ng wrote {len(done.stdout)} bytes starting {header!r} for {command[1:]}, "
            "expected a RIFF/WAVE stream"
        )
    samples, rate = soundfile.read(io.BytesIO(done.stdout), dtype="float32", always_2d=True)
    x = samples.mean(axis=1)
    if not np.any(x):
        raise RuntimeError(f"espeak-ng wrote only silence for {command[1:]}")
    x = trim_silence(resample(x, rate))
    return (x * (PEAK / np.abs(x).max())).astype(np.float32)
