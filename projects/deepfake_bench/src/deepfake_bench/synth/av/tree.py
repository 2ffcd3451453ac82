"""Builds DFB-Synth's audio-visual track as a FakeAVCeleb v1.2 tree, cached by the config's hash.

``<data_root>/deepfake_bench/av/<hash>/`` holds ``config.json``, the clips at
``<type>/<race>/<gender>/<identity>/<file>.mp4`` (2 s, 25 fps, 64 px, H.264 + AAC 16 kHz),
``meta_data.csv`` exactly as FakeAVCeleb ships it (so :func:`read_fakeavceleb` reads the build as
it reads the real data), ``clips.csv`` with what FakeAVCeleb leaves out (split, DFB-Synth
method, speaker, sentence, lip-sync driver) and ``COMPLETE`` (the build's duration), written
last; caching as in :mod:`deepfake_bench.synth.cache`.

Splits and hygiene. Identities (a face and a speaker tuple) come in three disjoint pools:
train, test and OOD. ``train`` and ``val`` share the train pool (val: the same people saying
other sentences, as a held-out check of fitting, not of identity generalisation); ``test`` uses
the test pool, ``test_ood`` the OOD pool, whose reals are a new real source: held-out
background photos and espeak-ng voice variants never used in-distribution (festival is not
installed). The four sentence blocks are disjoint, speakers are dealt once, and a face swap's
donor comes from the clip's own pool, so no identity, speaker or sentence crosses splits. The
frame generator of ``gen_frames`` is fitted on real *train* frames only, read back from their
mp4s.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from deepfake_bench import catalog  # noqa: F401  (fills the registries)
from deepfake_bench.data.av_clips import read_av_clip, write_av_clip
from deepfake_bench.data.fakeavceleb import TYPES, FakeAVCelebRecord, write_fakeavceleb_metadata
from deepfake_bench.registry import GENERATORS, SPOOFERS
from deepfake_bench.synth.audio.speech import (
    VARIANTS,
    VOICES,
    Sentence,
    Speaker,
    check_waveform,
    espeak_speech,
    sentence_bank,
    speaker_pools,
)
from deepfake_bench.synth.av import face as renderer
from deepfake_bench.synth.av.face import N_FRAMES, N_SAMPLES, SAMPLE_RATE, SIZE, Face
from deepfake_bench.synth.av.manipulations import (
    FACESWAP,
    GEN_FRAMES,
    LIPSYNC,
    MANIPULATIONS,
    Manipulation,
    faceswap_blend,
    gen_frames,
    lipsync_offset,
    lipsync_shift,
)
from deepfake_bench.synth.cache import (
    build_pool,
    cache_folder,
    config_digest,
    mark_complete,
    reuse_or_clear,
)
from deepfake_bench.synth.generators.base import ImageGenerator
from deepfake_bench.synth.real_sources import SOURCES, sample_patches
from shared.errors import ConfigError
from shared.registry import Registry

AV_BUILD_VERSION = 1  # bump when the build's code changes what it writes
SPLITS = ("train", "val", "test", "test_ood")
POOLS = ("train", "test", "ood")  # identity pools
POOL_OF = {"train": "train", "val": "train", "test": "test", "test_ood": "ood"}
REAL = "real"
FIELD = "data.init_args.benchmark"
BACKGROUND_SCALES = (64, 128, 192)  # background crop sizes before area-downsampling to 64 px

SPEECH_SOURCES: Registry[Callable[[str, Speaker], np.ndarray]] = Registry(
    "speech source", f"{FIELD}.speech"
)
"""Bona fide speech by name: ``(text, speaker) -> float32 16 kHz waveform`` (the registered
function itself is the entry's builder). Tests register a synthetic one."""
SPEECH_SOURCES.register("espeak", espeak_speech)


@dataclass(frozen=True)
class SynthAVConfig:
    """What the AV track holds (its hash names the cache folder).

    Args:
        n_identities: identities per pool (train, test, OOD), each at least 2 (face-swap donors).
        n_real: real clips per split (train, val, test, test_ood).
        n_fake: clips per method per split (ID methods in train/val/test, OOD ones in test_ood).
        n_sentences: sentences per split (disjoint blocks), each at least 2.
        ood_backgrounds: photos held out as backgrounds of the OOD reals (the rest: ID).
        ood_variants: espeak-ng voice variants of the OOD speakers only.
        frame_generator: the registered image-to-image generator of ``gen_frames``.
        generator_args: its builder arguments.
        spoofer_args: per-attack spoofer arguments (``{"S01": {"n_iter": 8}}``).
        speech: the registered bona fide speech source.
        seed: the build's seed.
    """

    n_identities: tuple[int, int, int] = (24, 16, 16)
    n_real: tuple[int, int, int, int] = (48, 8, 32, 40)
    n_fake: tuple[int, int, int, int] = (48, 8, 32, 40)
    n_sentences: tuple[int, int, int, int] = (120, 24, 80, 80)
    ood_backgrounds: tuple[str, ...] = ("chelsea", "rocket", "china")
    ood_variants: tuple[str, ...] = ("klatt", "klatt2", "klatt3", "klatt4")
    frame_generator: str = "conv_ae"
    generator_args: dict[str, Any] = field(default_factory=lambda: {"steps": 1000})
    spoofer_args: dict[str, dict] = field(default_factory=dict)
    speech: str = "espeak"
    seed: int = 0

    def __post_init__(self) -> None:
        for name, size, least in (("n_identities", 3, 2), ("n_real", 4, 0), ("n_fake", 4, 0),
                                  ("n_sentences", 4, 2)):  # fmt: skip
            value = getattr(self, name)
            if len(value) != size or min(value) < least:
                raise ConfigError(f"{FIELD}.{name}", list(value), f"{size} counts >= {least}")
        for name, chosen, every in (("ood_backgrounds", self.ood_backgrounds, SOURCES),
                                    ("ood_variants", self.ood_variants, VARIANTS)):  # fmt: skip
            if set(chosen) - set(every) or not chosen or len(set(chosen)) >= len(every):
                raise ConfigError(
                    f"{FIELD}.{name}", list(chosen), f"a non-empty proper subset of {list(every)}"
                )
        id_pairs, ood_pairs = (len(VOICES) * n for n in self.variant_counts)
        if (
            self.n_identities[0] + self.n_identities[1] > id_pairs
            or self.n_identities[2] > ood_pairs
        ):
            raise ConfigError(
                f"{FIELD}.n_identities", list(self.n_identities),
                f"at most {id_pairs} ID (train + test) and {ood_pairs} OOD identities (one "
                "espeak-ng (voice, variant) pair each)",
            )  # fmt: skip
        generator = GENERATORS.build(self.frame_generator, **self.generator_args)
        if not generator.needs_sources:
            raise ConfigError(
                f"{FIELD}.frame_generator", self.frame_generator,
                "an image-to-image generator (one that transforms given frames: conv_ae, "
                "upsample_nn, upsample_bilinear)",
            )  # fmt: skip
        attacks = {m.attack for m in MANIPULATIONS.values()} - {None}
        for attack, kwargs in self.spoofer_args.items():
            if attack not in attacks:
                raise ConfigError(f"{FIELD}.spoofer_args", attack, f"one of {sorted(attacks)}")
            SPOOFERS.build(attack, **kwargs)
        SPEECH_SOURCES.entry(self.speech)

    @property
    def variant_counts(self) -> tuple[int, int]:
        return len(VARIANTS) - len(set(self.ood_variants)), len(set(self.ood_variants))

    def backgrounds(self, split: str) -> tuple[str, ...]:
        if split == "test_ood":
            return self.ood_backgrounds
        return tuple(s for s in SOURCES if s not in self.ood_backgrounds)

    def methods(self, split: str) -> tuple[str, ...]:
        """The methods with clips in ``split`` (ID ones, or OOD ones in ``test_ood``)."""
        ood = split == "test_ood"
        return tuple(name for name, m in MANIPULATIONS.items() if m.ood == ood)

    def digest(self) -> str:
        return config_digest(asdict(self), AV_BUILD_VERSION)


TINY = SynthAVConfig(
    n_identities=(2, 2, 2), n_real=(1, 1, 1, 1), n_fake=(1, 1, 1, 1), n_sentences=(2, 2, 2, 2),
    generator_args={"steps": 2, "width": 8}, spoofer_args={"S01": {"n_iter": 4}},
)  # fmt: skip
"""19 clips (one per method per split), for tests."""
SMOKE = SynthAVConfig(
    n_identities=(6, 4, 4), n_real=(8, 2, 8, 8), n_fake=(8, 2, 8, 8), n_sentences=(24, 6, 16, 16),
    generator_args={"steps": 30}, spoofer_args={"S01": {"n_iter": 8}},
)  # fmt: skip
"""8 clips per method and split (122 clips), the smoke tier."""


@dataclass(frozen=True)
class Identity:
    """A person of the benchmark: a face and a voice, in one pool."""

    id: str
    pool: str
    face: Face
    speaker: Speaker

    @property
    def race(self) -> str:
        """FakeAVCeleb's race folder: here the skin-tone bin of the face (tone1..tone5)."""
        return self.face.tone_label

    @property
    def gender(self) -> str:
        """FakeAVCeleb's gender folder, from the voice variant (f*: women, else men)."""
        return "women" if self.speaker.variant.startswith("f") else "men"


@dataclass(frozen=True)
class Clip:
    """One clip to render; ``donor`` (face swap) and ``driver`` / ``offset`` (lip sync from
    another sentence, or the own one ``offset`` frames off) only where the method uses them."""

    split: str
    method: str  # "real" or a MANIPULATIONS name
    identity: Identity
    sentence: Sentence
    number: int
    seed: int
    donor: Identity | None = None
    driver: Sentence | None = None
    offset: int = 0

    @property
    def manipulation(self) -> Manipulation | None:
        return MANIPULATIONS.get(self.method)

    @property
    def type(self) -> str:
        return self.manipulation.type if self.manipulation else "RealVideo-RealAudio"

    @property
    def name(self) -> str:
        """The clip's path below the root (FakeAVCeleb's record name)."""
        i = self.identity
        return f"{self.type}/{i.race}/{i.gender}/{i.id}/{self.number:05d}.mp4"

    def record(self, root: Path) -> FakeAVCelebRecord:
        i, m = self.identity, self.manipulation
        return FakeAVCelebRecord(
            name=self.name, label=int(m is not None), source=root / self.name,
            dataset="DFB-Synth-AV", identity=i.id, target1=self.donor.id if self.donor else "-",
            target2="-", method=m.fakeavceleb if m else REAL, category=TYPES[self.type][0],
            type=self.type, race=i.race, gender=i.gender, file=f"{self.number:05d}.mp4",
        )  # fmt: skip


def identities(config: SynthAVConfig) -> dict[str, list[Identity]]:
    """The three disjoint identity pools. Speakers: espeak-ng's (voice, variant) pairs dealt once
    (:func:`speaker_pools`), the OOD pool from the OOD variants only."""
    every = speaker_pools((len(VOICES) * len(VARIANTS),), config.seed)[0]
    id_speakers = [s for s in every if s.variant not in config.ood_variants]
    ood_speakers = [s for s in every if s.variant in config.ood_variants]
    n_train, n_test, n_ood = config.n_identities
    speakers = {"train": id_speakers[:n_train], "test": id_speakers[n_train : n_train + n_test],
                "ood": ood_speakers[:n_ood]}  # fmt: skip
    pools, number = {}, 0
    for pool in POOLS:
        pools[pool] = []
        for speaker in speakers[pool]:
            look = renderer.sample_face(np.random.default_rng([config.seed, 31, number]))
            pools[pool].append(Identity(f"id{number:05d}", pool, look, speaker))
            number += 1
    return pools


def plan(config: SynthAVConfig) -> list[Clip]:
    """Every clip of the build, pure and seeded (nothing rendered yet); file numbers follow a
    seeded shuffle, so a number says nothing about the label."""
    pools = identities(config)
    sentences = dict(zip(SPLITS, sentence_bank(config.n_sentences, config.seed), strict=True))
    clips = []
    for s, split in enumerate(SPLITS):
        methods = [REAL] * config.n_real[s]
        for name in config.methods(split):
            methods += [name] * config.n_fake[s]
        rng = np.random.default_rng([config.seed, 32, s])
        people, texts = pools[POOL_OF[split]], sentences[split]
        order = rng.permutation(len(people))
        for j, method in enumerate(methods):
            identity = people[order[j % len(people)]]  # identities take turns
            k = int(rng.integers(len(texts)))
            clip = Clip(split, method, identity, texts[k], number=0,
                        seed=config.seed * 10**7 + s * 10**6 + j)  # fmt: skip
            video = clip.manipulation.video if clip.manipulation else None
            if video == FACESWAP:
                others = [p for p in people if p is not identity]
                clip = replace(clip, donor=others[int(rng.integers(len(others)))])
            elif video == LIPSYNC:
                if rng.random() < 0.5:  # another sentence's envelope drives the lips
                    other = texts[(k + 1 + int(rng.integers(len(texts) - 1))) % len(texts)]
                    clip = replace(clip, driver=other)
                else:
                    clip = replace(clip, offset=lipsync_offset(rng))
            clips.append(clip)
    numbers = np.random.default_rng([config.seed, 33]).permutation(len(clips))
    return [replace(c, number=int(n)) for c, n in zip(clips, numbers, strict=True)]


@dataclass(frozen=True)
class Rendered:
    """A rendered clip: uint8 (T, H, W, 3) frames, float32 (S,) audio, and the mouth-opening
    series (T,) that drove the lips."""

    frames: np.ndarray
    audio: np.ndarray
    mouth: np.ndarray


def place(wave: np.ndarray, lead: int, n: int = N_SAMPLES) -> np.ndarray:
    """``wave`` after ``lead`` samples of silence, cut or zero-padded to ``n`` samples."""
    out = np.zeros(n, np.float32)
    body = wave[: max(n - lead, 0)]
    out[lead : lead + len(body)] = body
    return out


def speak(config: SynthAVConfig, sentence: Sentence, speaker: Speaker) -> np.ndarray:
    source = SPEECH_SOURCES.entry(config.speech).builder
    wave = source(sentence.text, speaker)
    check_waveform(wave, f"bona fide speech source {config.speech!r}")
    return wave


def render_clip(clip: Clip, config: SynthAVConfig) -> Rendered:
    """Speak, animate, manipulate and film one clip (``gen_frames`` excepted: it needs the
    fitted generator, see :func:`build_av`). Seeded by ``clip.seed`` alone."""
    rng = np.random.default_rng(clip.seed)
    m, face = clip.manipulation, clip.identity.face
    lead = int(rng.integers(0, int(0.15 * SAMPLE_RATE)))
    wave = speak(config, clip.sentence, clip.identity.speaker)[: N_SAMPLES - lead]  # what plays
    bona_fide = place(wave, lead)
    envelope = renderer.audio_envelope(bona_fide)
    track = renderer.talking_track(face, envelope, rng)
    if m is not None and m.video == LIPSYNC:
        if clip.driver is not None:
            spoken = speak(config, clip.driver, clip.identity.speaker)
            envelope = renderer.audio_envelope(place(spoken, lead))
        track = lipsync_shift(track, face, envelope, clip.offset, rng)
    background = sample_patches(config.backgrounds(clip.split), 1, rng, SIZE,
                                BACKGROUND_SCALES)[0][0]  # fmt: skip
    frames = renderer.render(face, background, track)
    if m is not None and m.video == FACESWAP:
        donor = replace(
            clip.donor.face, head=face.head, hair=face.hair, hair_style=face.hair_style
        )  # the target keeps head shape and hair
        frames = faceswap_blend(frames, renderer.render(donor, background, track), face, track,
                                rng)  # fmt: skip
    video = renderer.camera(frames, rng, float(rng.uniform(1.5, 4.0)), int(rng.integers(65, 91)))
    audio = bona_fide
    if m is not None and m.attack is not None:
        spoofer = SPOOFERS.build(m.attack, **config.spoofer_args.get(m.attack, {}))
        audio = place(spoofer(wave, clip.seed), lead)
    audio = audio + rng.normal(0, rng.uniform(5e-4, 2e-3), len(audio))  # the microphone's floor
    return Rendered(video, np.clip(audio, -1, 1).astype(np.float32), track.mouth)


def _job(args: tuple[Path, Clip, SynthAVConfig]) -> Rendered | None:
    """Render one clip and write it, or hand it back when its frames await the generator."""
    root, clip, config = args
    rendered = render_clip(clip, config)
    if clip.manipulation is not None and clip.manipulation.video == GEN_FRAMES:
        return rendered
    write_av_clip(root / clip.name, rendered.frames, rendered.audio)
    return None


def _single_threaded_opencv() -> None:
    import cv2

    cv2.setNumThreads(1)


def fit_frame_generator(config: SynthAVConfig, root: Path, clips: list[Clip]) -> ImageGenerator:
    """The ``gen_frames`` generator fitted on 32 px crops of the real *train* frames, as read
    back from their mp4s (fully convolutional, it then maps whole 64 px frames)."""
    frames = np.concatenate([read_av_clip(root / c.name, N_FRAMES, N_SAMPLES)[0] for c in clips
                             if c.split == "train" and c.method == REAL])  # fmt: skip
    rng = np.random.default_rng([config.seed, 34])
    tops, lefts = rng.integers(0, SIZE - 32 + 1, (2, len(frames)))
    crops = np.stack([f[t : t + 32, u : u + 32] for f, t, u in zip(frames, tops, lefts,
                                                                    strict=True)])  # fmt: skip
    generator = GENERATORS.build(config.frame_generator, **config.generator_args)
    return generator.fit(crops, seed=config.seed)


def build_av(config: SynthAVConfig | None = None, root: str | None = None, workers: int = 2,
             log: Callable[[str], Any] = print) -> Path:  # fmt: skip
    """The AV benchmark's folder, built now (``workers`` processes) if not complete yet; the
    output does not depend on ``workers`` (every clip carries its own seed)."""
    config = config or SynthAVConfig()
    folder = cache_folder("av", config.digest(), root)
    if reuse_or_clear(folder, FIELD):  # the same config builds the same files
        return folder
    started = time.perf_counter()
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    clips = plan(config)
    jobs = [(folder, clip, config) for clip in clips]
    log(f"DFB-Synth AV: rendering {len(clips)} clips in {workers} process(es) into {folder}")
    if workers > 1:
        with build_pool(workers, _single_threaded_opencv) as pool:
            results = list(pool.map(_job, jobs, chunksize=2))
    else:
        results = list(map(_job, jobs))
    waiting = [(c, r) for c, r in zip(clips, results, strict=True) if r is not None]
    if waiting:
        log(f"DFB-Synth AV: fitting {config.frame_generator} on the real train frames")
        generator = fit_frame_generator(config, folder, clips)
        for clip, rendered in waiting:
            frames = gen_frames(rendered.frames, generator, seed=clip.seed)
            write_av_clip(folder / clip.name, frames, rendered.audio)
    write_fakeavceleb_metadata(folder, [clip.record(folder) for clip in clips])
    write_clips_table(folder / "clips.csv", clips)
    mark_complete(folder, time.perf_counter() - started, clips=len(clips))
    return folder


CLIP_COLUMNS = ("name", "split", "method", "type", "identity", "pool", "donor", "speaker",
                "sentence_id", "text", "driver_sentence_id", "offset_frames", "seed")  # fmt: skip


def write_clips_table(path: Path, clips: list[Clip]) -> None:
    """One row per clip with what meta_data.csv leaves out (splits, our method names, hygiene)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CLIP_COLUMNS)
        for c in clips:
            writer.writerow((c.name, c.split, c.method, c.type, c.identity.id, c.identity.pool,
                             c.donor.id if c.donor else "-", c.identity.speaker.name,
                             c.sentence.id, c.sentence.text, c.driver.id if c.driver else "-",
                             c.offset, c.seed))  # fmt: skip


def read_clips_table(folder: Path) -> dict[str, dict[str, str]]:
    """``clips.csv`` of a build: clip name -> its row."""
    with open(Path(folder) / "clips.csv", newline="") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}
