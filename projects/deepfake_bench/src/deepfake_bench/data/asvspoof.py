"""ASVspoof 2019 LA protocols, ASVspoof 2021 LA/DF keys, and their FLAC audio (16 kHz mono).

2019: ``ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,eval.trl}.txt`` with
``SPEAKER UTT_ID - ATTACK KEY`` lines, audio ``ASVspoof2019_LA_{train,dev,eval}/flac/<UTT_ID>.flac``.
2021: ``keys/{LA,DF}/CM/trial_metadata.txt`` with ``SPEAKER UTT CODEC TRANSMISSION ATTACK KEY TRIM
SUBSET [extra]`` lines (DF appends the vocoder type and more), audio
``ASVspoof2021_{LA,DF}_eval/flac/<UTT>.flac``. Labels follow the benchmark: bona fide 0, spoof 1.
A listed file missing on disk is an error, never a silent skip: a partial download would
otherwise change the test set without anyone noticing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.data.errors import DatasetFormatError, DatasetNotFoundError, require_dir
from shared.errors import ConfigError

SAMPLE_RATE = 16_000  # ASVspoof's, and every audio detector's and DFB-Synth's
KEYS = {"bonafide": 0, "spoof": 1}
SPLITS_2019 = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}
SPLIT_ALIASES = {"val": "dev", "test": "eval"}  # the benchmark's split names
LAYOUT_2019 = (
    "<root>/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,eval.trl}.txt and "
    "<root>/ASVspoof2019_LA_{train,dev,eval}/flac/<UTT_ID>.flac"
)
SOURCE_2019 = "https://datashare.ed.ac.uk/handle/10283/3336 (LA.zip)"
LAYOUT_2021 = (
    "<root>/keys/{LA,DF}/CM/trial_metadata.txt (the keys archive) and "
    "<root>/ASVspoof2021_{LA,DF}_eval/flac/<UTT>.flac"
)
SOURCE_2021 = "https://www.asvspoof.org/index2021.html (evaluation data and keys)"


@dataclass(frozen=True)
class Utterance:
    utterance: str
    label: int  # 1 = spoof
    path: Path
    speaker: str
    attack: str | None  # A01..A19; None for bona fide
    codec: str | None = None  # 2021 only
    transmission: str | None = None  # 2021 only (DF: the source corpus)
    trim: str | None = None  # 2021 only
    subset: str | None = None  # 2021 only: eval / progress / hidden ...
    vocoder: str | None = None  # 2021 DF only


def require_files(listing: Path, paths: Iterable[Path], hint: str) -> None:
    """One error for every file ``listing`` names that is absent: the count and the first few."""
    paths = list(paths)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        shown = ", ".join(str(p) for p in missing[:3])
        raise DatasetFormatError(
            listing,
            f"{len(missing)} of the {len(paths)} files it lists missing on disk (first: {shown})",
            f"every listed file present ({hint})",
        )


def _rows(path: Path, min_fields: int, max_fields: int | None, key_index: int, form: str
          ) -> Iterator[tuple[list[str], int]]:  # fmt: skip
    """The fields and 0/1 label of every non-empty line, checking field count and key."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < min_fields or (max_fields is not None and len(fields) > max_fields):
            raise DatasetFormatError(
                path, f"{len(fields)} fields on line {number} ({line.strip()!r})", form
            )
        if fields[key_index] not in KEYS:
            raise DatasetFormatError(
                path,
                f"key {fields[key_index]!r} on line {number}",
                f"'bonafide' or 'spoof' as field {key_index + 1}",
            )
        yield fields, KEYS[fields[key_index]]


def read_asvspoof2019_protocol(
    protocol: Path, audio_dir: Path, extension: str = ".flac", check_audio: bool = True
) -> list[Utterance]:
    """The utterances of an ASVspoof-2019-style protocol, audio at ``audio_dir/<UTT_ID><ext>``;
    serves the official tree and our own spoofed-audio builds alike."""
    protocol, audio_dir = Path(protocol), Path(audio_dir)
    if not protocol.is_file():
        raise DatasetNotFoundError(protocol.name, protocol.parent, LAYOUT_2019, SOURCE_2019)
    records = [
        Utterance(f[1], label, audio_dir / f"{f[1]}{extension}", f[0], f[3] if label else None)
        for f, label in _rows(protocol, 5, 5, 4, "5 fields `SPEAKER UTT_ID - ATTACK KEY`")
    ]
    if check_audio:
        require_files(protocol, (r.path for r in records), f"audio in {audio_dir}")
    return records


def read_asvspoof2019_la(root: Path, split: str = "eval", check_audio: bool = True
                         ) -> list[Utterance]:  # fmt: skip
    """The official LA partition ``split`` (train / dev / eval, or the aliases val / test)."""
    root = require_dir(Path(root), "ASVspoof 2019 LA", LAYOUT_2019, SOURCE_2019)
    name = SPLIT_ALIASES.get(split, split)
    if name not in SPLITS_2019:
        raise ConfigError("split", split, f"one of {sorted(SPLITS_2019) + sorted(SPLIT_ALIASES)}")
    protocol = root / "ASVspoof2019_LA_cm_protocols" / f"ASVspoof2019.LA.cm.{SPLITS_2019[name]}.txt"
    audio = root / f"ASVspoof2019_LA_{name}" / "flac"
    return read_asvspoof2019_protocol(protocol, audio, check_audio=check_audio)


def read_asvspoof2021(
    root: Path, track: str = "LA", subset: str | None = None, check_audio: bool = True
) -> list[Utterance]:
    """The evaluation trials of the 2021 ``track`` (LA or DF), optionally one ``subset`` only;
    ``check_audio=False`` reads the keys alone (enough to score a score file)."""
    if track not in ("LA", "DF"):
        raise ConfigError("track", track, "'LA' or 'DF'")
    root = require_dir(Path(root), f"ASVspoof 2021 {track}", LAYOUT_2021, SOURCE_2021)
    keys = root / "keys" / track / "CM" / "trial_metadata.txt"
    if not keys.is_file():
        raise DatasetNotFoundError(f"the {track} keys", keys.parent, LAYOUT_2021, SOURCE_2021)
    audio = root / f"ASVspoof2021_{track}_eval" / "flac"
    form = "at least 8 fields `SPEAKER UTT CODEC TRANSMISSION ATTACK KEY TRIM SUBSET`"
    records = [
        Utterance(
            f[1], label, audio / f"{f[1]}.flac", f[0], f[4] if label else None, codec=f[2],
            transmission=f[3], trim=f[6], subset=f[7],
            vocoder=f[8] if len(f) > 8 and f[8] != "-" else None,
        )
        for f, label in _rows(keys, 8, None, 5, form)
    ]  # fmt: skip
    if subset is not None:
        found = sorted({r.subset for r in records})
        records = [r for r in records if r.subset == subset]
        if not records:
            raise ConfigError("subset", subset, f"a subset of {keys}: {found}")
    if check_audio:
        require_files(keys, (r.path for r in records), f"audio in {audio}")
    return records


def read_audio(path: Path, expected_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples (channels averaged); an unreadable or truncated file, or another
    sample rate, is a DatasetFormatError naming the file (the detectors assume one rate)."""
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except soundfile.SoundFileError as error:
        raise DatasetFormatError(
            path, f"no decodable audio ({error})", "a FLAC/WAV file"
        ) from error
    if rate != expected_rate:
        raise DatasetFormatError(
            path, f"a sample rate of {rate} Hz", f"{expected_rate} Hz (resample it first)"
        )
    return samples.mean(axis=1, dtype=np.float32)
