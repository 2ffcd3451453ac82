"""Writes DFB-Synth's audio track as an ASVspoof-2019-LA-style tree, so one loader
(:func:`deepfake_bench.data.asvspoof.read_asvspoof2019_la`) serves ASVspoof and DFB-Synth.

``<root>/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,eval.trl}.txt`` hold
``SPEAKER UTT_ID - ATTACK KEY`` lines (``- bonafide`` / ``S01 spoof``), the audio is 16 kHz
FLAC at ``<root>/ASVspoof2019_LA_{train,dev,eval}/flac/<UTT_ID>.flac``. Next to them:
``config.json``, ``metadata.csv`` (every utterance's speaker tuple, sentence id and text, attack,
length in samples) and ``COMPLETE``, written last. Train and dev hold the seen attacks (S01, S02), eval
adds the unseen ones (S03, S04), as ASVspoof's eval does. Speakers and sentences never cross
splits (see :mod:`deepfake_bench.synth.audio.speech`); every spoof is made from a fresh bona
fide utterance of its split, never from a file of the bona fide set. Utterance ids
(``DFB_T_0000001``, ``DFB_D_...``, ``DFB_E_...``) are numbered after a seeded shuffle, so an
id says nothing about its label.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deepfake_bench import catalog  # noqa: F401  (fills the registries)
from deepfake_bench.data.asvspoof import SPLITS_2019
from deepfake_bench.registry import SPOOFERS
from deepfake_bench.synth.audio.speech import (
    SAMPLE_RATE,
    Sentence,
    Speaker,
    SpeechSource,
    check_waveform,
    espeak_speech,
    sentence_bank,
    speaker_pools,
)
from deepfake_bench.synth.cache import (
    build_pool,
    cache_folder,
    config_digest,
    mark_complete,
    reuse_or_clear,
)
from shared.errors import ConfigError

BUILD_VERSION = 1  # bump when the build's code changes what it writes
SPLITS = tuple(SPLITS_2019)  # train, dev, eval
ID_LETTERS = {"train": "T", "dev": "D", "eval": "E"}
FIELD = "data.init_args.benchmark"


@dataclass(frozen=True)
class AudioTreeConfig:
    """What the audio tree holds (counts per split: train, dev, eval).

    Args:
        n_bonafide: bona fide utterances per split.
        n_spoof: spoofed utterances per attack per split.
        seen_attacks: attacks of every split.
        unseen_attacks: attacks of eval only.
        spoofer_args: per-attack spoofer arguments (e.g. ``{"S01": {"n_iter": 8}}``).
        n_speakers: speakers per split (disjoint).
        n_sentences: sentences per split (disjoint).
        seed: the build's seed.
    """

    n_bonafide: tuple[int, int, int] = (240, 60, 120)
    n_spoof: tuple[int, int, int] = (240, 60, 120)
    seen_attacks: tuple[str, ...] = ("S01", "S02")
    unseen_attacks: tuple[str, ...] = ("S03", "S04")
    spoofer_args: dict[str, dict] = field(default_factory=dict)
    n_speakers: tuple[int, int, int] = (20, 10, 20)
    n_sentences: tuple[int, int, int] = (200, 60, 120)
    seed: int = 0

    def __post_init__(self) -> None:
        for name, least in (("n_bonafide", 0), ("n_spoof", 0), ("n_speakers", 1),
                            ("n_sentences", 1)):  # fmt: skip
            value = getattr(self, name)
            if len(value) != len(SPLITS) or min(value) < least:
                raise ConfigError(
                    f"{FIELD}.{name}", list(value), f"3 counts >= {least} (train, dev, eval)"
                )
        if both := sorted(set(self.seen_attacks) & set(self.unseen_attacks)):
            raise ConfigError(f"{FIELD}.unseen_attacks", both, "attacks not also seen in training")
        for attack in (*self.seen_attacks, *self.unseen_attacks):
            SPOOFERS.entry(attack)
        for attack, kwargs in self.spoofer_args.items():
            if attack not in (*self.seen_attacks, *self.unseen_attacks):
                raise ConfigError(f"{FIELD}.spoofer_args", attack, "an attack this config uses")
            SPOOFERS.build(attack, **kwargs)  # an unknown argument is a ConfigError now

    def attacks(self, split: str) -> tuple[str, ...]:
        return (*self.seen_attacks, *self.unseen_attacks) if split == "eval" else self.seen_attacks

    def digest(self) -> str:
        return config_digest(asdict(self), BUILD_VERSION)


TINY = AudioTreeConfig(
    n_bonafide=(2, 2, 2),
    n_spoof=(2, 2, 1),
    n_speakers=(2, 2, 2),
    n_sentences=(3, 3, 3),
    spoofer_args={"S01": {"n_iter": 8}, "S02": {"n_iter": 8}},
)
"""Six utterances per split (eval: 2 bona fide + one of each of the four attacks), for tests."""


@dataclass(frozen=True)
class Item:
    """One utterance to render: who says what, and through which attack (``None``: bona fide)."""

    split: str
    utterance: str
    speaker: Speaker
    sentence: Sentence
    attack: str | None
    seed: int

    @property
    def key(self) -> str:
        return "spoof" if self.attack else "bonafide"


def plan(config: AudioTreeConfig) -> list[Item]:
    """Every utterance of the tree, in protocol order; pure and seeded (no audio yet)."""
    speakers = speaker_pools(config.n_speakers, config.seed)
    sentences = sentence_bank(config.n_sentences, config.seed)
    items = []
    for s, split in enumerate(SPLITS):
        kinds = [None] * config.n_bonafide[s]
        for attack in config.attacks(split):
            kinds += [attack] * config.n_spoof[s]
        rng = np.random.default_rng([config.seed, 21, s])
        who = rng.integers(len(speakers[s]), size=len(kinds))
        what = rng.integers(len(sentences[s]), size=len(kinds))
        numbers = rng.permutation(len(kinds)) + 1
        split_items = [
            Item(split, f"DFB_{ID_LETTERS[split]}_{numbers[j]:07d}", speakers[s][who[j]],
                 sentences[s][what[j]], attack, config.seed * 10**7 + s * 10**6 + j)
            for j, attack in enumerate(kinds)
        ]  # fmt: skip
        items += sorted(split_items, key=lambda item: item.utterance)
    return items


def audio_path(root: Path, item: Item) -> Path:
    return root / f"ASVspoof2019_LA_{item.split}" / "flac" / f"{item.utterance}.flac"


def render(job: tuple[Path, Item, SpeechSource, dict]) -> int:
    """Synthesize (and spoof) one item and write its FLAC; its length in samples. A
    module-level function of one picklable argument, so a process pool can run it."""
    import soundfile

    path, item, source, kwargs = job
    wave = source(item.sentence.text, item.speaker)
    check_waveform(wave, f"bona fide source {getattr(source, '__name__', source)!r}")
    if item.attack is not None:
        wave = SPOOFERS.build(item.attack, **kwargs)(wave, item.seed)
    soundfile.write(str(path), wave, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return len(wave)


def build_audio_tree(
    root: Path,
    config: AudioTreeConfig | None = None,
    source: SpeechSource = espeak_speech,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Write the tree of ``config`` (default: the benchmark's) under ``root`` (absent or
        empty: nothing is overwritten silently).

        ``source`` makes the bona fide speech (espeak-ng by default; any picklable
        ``(text, speaker) -> waveform`` works, e.g. a synthetic one in tests); ``workers > 1`` renders
        in a process pool (the output is identical: every item carries its own seed; the pool spawns
    its workers, so ``source`` must be importable by name, as espeak-ng's is).
    """
    from tqdm import tqdm

    started = time.perf_counter()
    root, config = Path(root), config or AudioTreeConfig()
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(
            f"{root}: found a non-empty folder, expected an absent or empty one for the audio "
            "tree (delete it to rebuild; nothing is overwritten silently)"
        )
    items = plan(config)
    for split in SPLITS:
        (root / f"ASVspoof2019_LA_{split}" / "flac").mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    jobs = [(audio_path(root, i), i, source, config.spoofer_args.get(i.attack or "", {}))
            for i in items]  # fmt: skip
    bar = dict(total=len(jobs), desc="DFB-Synth audio", unit="utt", disable=not progress)
    if workers > 1:
        with build_pool(workers) as pool:
            lengths = list(tqdm(pool.map(render, jobs, chunksize=4), **bar))
    else:
        lengths = list(tqdm(map(render, jobs), **bar))
    write_protocols(root, items)
    write_metadata(root / "metadata.csv", items, lengths)
    mark_complete(root, time.perf_counter() - started, utterances=len(items))
    return root


def cached_audio_tree(
    config: AudioTreeConfig, data_root: str | None = None, workers: int = 1
) -> Path:
    """The tree of ``config`` under ``<data_root>/deepfake_bench/audio/<hash>/``, built now
    with espeak-ng unless complete (caching as in :mod:`deepfake_bench.synth.cache`)."""
    folder = cache_folder("audio", config.digest(), data_root)
    if not reuse_or_clear(folder, FIELD):
        build_audio_tree(folder, config, workers=workers)
    return folder


def write_protocols(root: Path, items: Iterable[Item]) -> None:
    """The three ``SPEAKER UTT_ID - ATTACK KEY`` protocol files."""
    folder = root / "ASVspoof2019_LA_cm_protocols"
    folder.mkdir(parents=True, exist_ok=True)
    lines: dict[str, list[str]] = {split: [] for split in SPLITS}
    for i in items:
        lines[i.split].append(f"{i.speaker.name} {i.utterance} - {i.attack or '-'} {i.key}")
    for split, rows in lines.items():
        (folder / f"ASVspoof2019.LA.cm.{SPLITS_2019[split]}.txt").write_text("\n".join(rows) + "\n")


def write_metadata(path: Path, items: Iterable[Item], lengths: Iterable[int]) -> None:
    """One CSV row per utterance with what the protocol leaves out (split-hygiene checks)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("utterance", "split", "speaker", "voice", "variant", "rate", "pitch",
                         "sentence_id", "text", "attack", "key", "samples"))  # fmt: skip
        for i, samples in zip(items, lengths, strict=True):
            s = i.speaker
            writer.writerow((i.utterance, i.split, s.name, s.voice, s.variant, s.rate, s.pitch,
                             i.sentence.id, i.sentence.text, i.attack or "-", i.key,
                             samples))  # fmt: skip
