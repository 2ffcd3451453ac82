"""FakeAVCeleb v1.2 (Khalid et al., NeurIPS 2021 D&B): ``<root>/meta_data.csv`` and its videos.

The official header names 9 columns ``source,target1,target2,method,category,type,race,gender,
path`` but its rows carry 10 fields: the file name, then the folder
(``...,00109.mp4,FakeAVCeleb/RealVideo-RealAudio/African/men/id00076``). Rows are read by
position, so the 9-name header, a 10-name one (``...,filename,path`` or a trailing comma) and
9-field rows (no folder) all parse. Videos live at ``<root>/<type>/<race>/<gender>/<source>/
<file>``. ``type`` fixes the labels: video and audio fake or not, fused = either, and a 4-way
class = video + 2 * audio (fake = 1 throughout). Our AV generator writes this same file.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deepfake_bench.data.asvspoof import require_files
from deepfake_bench.data.videos import VideoRecord
from shared.data.errors import DatasetFormatError, DatasetNotFoundError, require_dir

ATTRIBUTES = ("source", "target1", "target2", "method", "category", "type", "race", "gender")
HEADER = (*ATTRIBUTES, "path")  # the official header (one name short of its rows)
TYPES = {  # type -> (category, video fake, audio fake)
    "RealVideo-RealAudio": ("A", 0, 0),
    "RealVideo-FakeAudio": ("B", 0, 1),
    "FakeVideo-RealAudio": ("C", 1, 0),
    "FakeVideo-FakeAudio": ("D", 1, 1),
}
METHODS = ("real", "rtvc", "faceswap", "fsgan", "wav2lip", "faceswap-wav2lip", "fsgan-wav2lip")
LAYOUT = "<root>/meta_data.csv and <root>/<type>/<race>/<gender>/<source>/<file>.mp4"
SOURCE = "https://github.com/DASH-Lab/FakeAVCeleb (request form for v1.2)"


@dataclass(frozen=True, kw_only=True)
class FakeAVCelebRecord(VideoRecord):
    """A video (``source`` is its mp4, as for every VideoRecord; the CSV's ``source`` column is
    ``identity``) with its metadata; ``label`` is the fused label."""

    identity: str
    target1: str
    target2: str
    method: str
    category: str
    type: str
    race: str
    gender: str
    file: str

    @property
    def video_label(self) -> int:
        return TYPES[self.type][1]

    @property
    def audio_label(self) -> int:
        return TYPES[self.type][2]

    @property
    def four_way(self) -> int:
        """0 real, 1 fake video only, 2 fake audio only, 3 both."""
        return self.video_label + 2 * self.audio_label


def _folder(values: dict[str, str]) -> tuple[str, ...]:
    return values["type"], values["race"], values["gender"], values["source"]


def _record(root: Path, values: dict[str, str], file: str) -> FakeAVCelebRecord:
    folder = _folder(values)
    return FakeAVCelebRecord(
        name="/".join((*folder, file)),
        label=max(TYPES[values["type"]][1:]),
        source=root.joinpath(*folder, file),
        dataset="FakeAVCeleb",
        identity=values["source"],
        file=file,
        **{k: values[k] for k in ATTRIBUTES if k != "source"},
    )


def _check_row(path: Path, number: int, values: dict[str, str], folder: str | None) -> None:
    """Type, method and category are known and agree; a folder column matches them."""
    checks = (
        ("type", values["type"] in TYPES, f"one of {sorted(TYPES)}"),
        ("method", values["method"] in METHODS, f"one of {list(METHODS)}"),
    )
    for column, ok, expected in checks:
        if not ok:
            raise DatasetFormatError(
                path, f"{column} {values[column]!r} on line {number}", expected
            )
    category = TYPES[values["type"]][0]
    if values["category"] != category:
        raise DatasetFormatError(
            path, f"category {values['category']!r} on line {number}",
            f"{category!r}, the category of type {values['type']}",
        )  # fmt: skip
    if folder is not None and PurePosixPath(folder).parts[-4:] != _folder(values):
        raise DatasetFormatError(
            path, f"folder {folder!r} on line {number}",
            "a folder ending in <type>/<race>/<gender>/<source> of the same row",
        )  # fmt: skip


def read_fakeavceleb(root: Path, check_videos: bool = True) -> list[FakeAVCelebRecord]:
    """Every video of ``<root>/meta_data.csv``, in file order."""
    root = require_dir(Path(root), "FakeAVCeleb v1.2", LAYOUT, SOURCE)
    path = root / "meta_data.csv"
    if not path.is_file():
        raise DatasetNotFoundError("meta_data.csv", root, LAYOUT, SOURCE)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(rows[0][:8]) != ATTRIBUTES or len(rows[0]) not in (9, 10):
        raise DatasetFormatError(
            path, f"header {rows[0] if rows else 'nothing'} on line 1",
            f"{','.join(HEADER)} (9 names, or 10 with the file column)",
        )  # fmt: skip
    records = []
    for number, fields in enumerate(rows[1:], start=2):
        if not fields:
            continue
        if len(fields) not in (9, 10):
            raise DatasetFormatError(
                path, f"{len(fields)} fields on line {number}",
                "9 or 10 fields (8 attributes, the file name and optionally its folder)",
            )  # fmt: skip
        values = dict(zip(ATTRIBUTES, fields, strict=False))
        _check_row(path, number, values, fields[9] if len(fields) == 10 else None)
        records.append(_record(root, values, fields[8]))
    if check_videos:
        require_files(path, (r.source for r in records), f"videos under {root}")
    return records


def write_fakeavceleb_metadata(root: Path, records: Sequence[FakeAVCelebRecord]) -> Path:
    """``<root>/meta_data.csv`` exactly as v1.2 ships it: the 9-name header, 10-field rows."""
    path = Path(root) / "meta_data.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for r in records:
            attributes = (r.identity, r.target1, r.target2, r.method, r.category, r.type,
                          r.race, r.gender)  # fmt: skip
            folder = "/".join(("FakeAVCeleb", r.type, r.race, r.gender, r.identity))
            writer.writerow((*attributes, r.file, folder))
    return path
