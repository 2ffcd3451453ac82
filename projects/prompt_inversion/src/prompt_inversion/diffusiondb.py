"""Readers of the two on-disk layouts: DiffusionDB's own and the official code's CSV layout.

DiffusionDB (``poloclub/diffusiondb``, 2M subset)::

    root/metadata.parquet                    one row per image, the 13 columns of METADATA_COLUMNS
    root/images/part-000001.zip              1,000 PNGs named by UUID + part-000001.json
    root/images/part-000002/                 ... or the same files unpacked into a folder

Each part's JSON maps an image file name to ``{"p": prompt, "se": seed, "c": cfg, "st": steps,
"sa": sampler}``. Only the parts present on disk are read (the parquet covers all 2,000).

The official layout (``CroitoruAlin/Reverse-Stable-Diffusion``)::

    root/diffusiondb.csv                     columns filepath, prompt (filepath relative to root)
    root/images_part1/images/<stem>.png ...
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, UnidentifiedImageError

from prompt_inversion.target import prompt_text
from shared.data.errors import DatasetFormatError, DatasetNotFoundError

SOURCE = (
    "https://huggingface.co/datasets/poloclub/diffusiondb (metadata.parquet, images/part-*.zip)"
)
LAYOUT = "metadata.parquet and images/part-NNNNNN.zip (or images/part-NNNNNN/ folders)"
CSV_LAYOUT = "diffusiondb.csv (columns filepath, prompt) and the image files it names"
PART = re.compile(r"^part-(\d{6})(\.zip)?$")

METADATA_COLUMNS: dict[str, pa.DataType] = {
    "image_name": pa.string(),
    "prompt": pa.string(),
    "part_id": pa.uint16(),
    "seed": pa.uint32(),
    "step": pa.uint16(),
    "cfg": pa.float32(),
    "sampler": pa.string(),
    "width": pa.uint16(),
    "height": pa.uint16(),
    "user_name": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "image_nsfw": pa.float32(),
    "prompt_nsfw": pa.float32(),
}
"""The 2M subset's ``metadata.parquet`` schema (DiffusionDB's data card)."""

PART_KEYS = ("p", "se", "c", "st", "sa")


@dataclass(frozen=True)
class Sample:
    """One image and its prompt: ``member`` is the file name inside the zip ``path``, or ``None``
    when ``path`` is the image file itself. ``prompt`` is ``None`` when missing."""

    stem: str
    prompt: str | None
    path: Path
    member: str | None = None


def read_image(sample: Sample, zips: dict[Path, zipfile.ZipFile] | None = None) -> Image.Image:
    """Decode the sample's image as RGB (``zips`` keeps open archives between calls)."""
    where = f"{sample.path}:{sample.member}" if sample.member else str(sample.path)
    try:
        if sample.member is None:
            with Image.open(sample.path) as image:
                return image.convert("RGB")
        archive = zips.get(sample.path) if zips is not None else None
        if archive is None:
            archive = zipfile.ZipFile(sample.path)
            if zips is not None:
                zips[sample.path] = archive
        with Image.open(io.BytesIO(archive.read(sample.member))) as image:
            return image.convert("RGB")
    except (OSError, KeyError, UnidentifiedImageError, zipfile.BadZipFile) as error:
        raise DatasetFormatError(
            where, f"an unreadable image ({error})", "a PNG/WebP image"
        ) from error


def _kind(data_type: pa.DataType) -> str:
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_floating(data_type):
        return "float"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_dictionary(data_type):
        return _kind(data_type.value_type)
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    return str(data_type)


def read_metadata(path: Path) -> pd.DataFrame:
    """``metadata.parquet`` as a DataFrame, after checking its 13 columns and their kinds."""
    if not path.is_file():
        raise DatasetNotFoundError(
            "DiffusionDB", path.parent, f"{LAYOUT} (missing: {path.name})", SOURCE
        )
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise DatasetFormatError(path, f"an unreadable file ({error})", "a parquet file") from error
    missing = [name for name in METADATA_COLUMNS if name not in schema.names]
    if missing:
        raise DatasetFormatError(
            path,
            f"columns {schema.names} (lacking {missing})",
            f"the columns {list(METADATA_COLUMNS)}",
        )
    wrong = {
        name: str(schema.field(name).type)
        for name, expected in METADATA_COLUMNS.items()
        if _kind(schema.field(name).type) != _kind(expected)
    }
    if wrong:
        expected = {name: str(METADATA_COLUMNS[name]) for name in wrong}
        raise DatasetFormatError(path, f"column types {wrong}", f"{expected}")
    return pq.read_table(path, columns=list(METADATA_COLUMNS)).to_pandas()


@dataclass(frozen=True)
class Part:
    """One part on disk: a zip or a folder, with its image names and its JSON entries."""

    part_id: int
    path: Path
    json_path: str
    names: frozenset[str]
    entries: dict[str, dict[str, Any]]

    @property
    def is_zip(self) -> bool:
        return self.path.suffix == ".zip"


def find_parts(images: Path) -> dict[int, Path]:
    """``part_id -> zip or folder`` under ``images/`` (a folder wins over a zip of the same id)."""
    parts: dict[int, Path] = {}
    for entry in sorted(images.iterdir()):
        match = PART.match(entry.name)
        if match and (entry.is_dir() or (entry.is_file() and match.group(2))):
            part_id = int(match.group(1))
            if part_id not in parts or entry.is_dir():
                parts[part_id] = entry
    return parts


def read_part(part_id: int, path: Path) -> Part:
    """The part's image names and its JSON, checked against each other."""
    stem = f"part-{part_id:06d}"
    json_name = f"{stem}.json"
    if path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = set(archive.namelist())
                raw = archive.read(json_name) if json_name in members else None
        except zipfile.BadZipFile as error:
            raise DatasetFormatError(
                path, f"an unreadable zip ({error})", "a zip archive"
            ) from error
        json_where = f"{path}:{json_name}"
    else:
        members = {p.name for p in path.iterdir() if p.is_file()}
        raw = (path / json_name).read_bytes() if json_name in members else None
        json_where = str(path / json_name)
    if raw is None:
        raise DatasetFormatError(path, f"no {json_name}", f"{json_name} beside the images")
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise DatasetFormatError(json_where, f"invalid JSON ({error})", "a JSON object") from error
    if not isinstance(entries, dict):
        raise DatasetFormatError(
            json_where, type(entries).__name__, "an object keyed by image file name"
        )
    names = frozenset(m for m in members if m != json_name and not m.endswith("/"))
    absent = sorted(set(entries) - names)
    if absent:
        raise DatasetFormatError(
            json_where,
            f"{len(absent)} image name(s) the part lacks (e.g. {absent[:3]})",
            f"every name it lists to be an image of {path.name}",
        )
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not set(PART_KEYS) <= set(entry):
            raise DatasetFormatError(
                json_where, f"entry {name}: {entry!r}", f"an object with keys {PART_KEYS}"
            )
    return Part(part_id, path, json_where, names, entries)


def read_diffusiondb(root: Path) -> list[Sample]:
    """Every image of the parts under ``root/images`` with its prompt (part by part, in parquet
    order within a part).

    The parquet's rows of a part must all have their image in that part, and the part's JSON must
    agree with the parquet on the prompt; either mismatch names the file.
    """
    images = root / "images"
    if not images.is_dir():
        raise DatasetNotFoundError("DiffusionDB", root, LAYOUT, SOURCE)
    metadata_path = root / "metadata.parquet"
    metadata = read_metadata(metadata_path)
    parts = find_parts(images)
    if not parts:
        raise DatasetNotFoundError("DiffusionDB", images, f"{LAYOUT} (no part found)", SOURCE)
    wanted = metadata[metadata["part_id"].isin(list(parts))]
    by_part = {int(k): rows for k, rows in wanted.groupby("part_id", sort=False)}
    samples: list[Sample] = []
    for part_id, path in parts.items():
        part = read_part(part_id, path)
        rows = by_part.get(part_id)
        if rows is None:
            raise DatasetFormatError(
                metadata_path, f"no row with part_id {part_id}", f"the rows of {path.name}"
            )
        lacking = sorted(set(rows["image_name"]) - part.names)
        if lacking:
            raise DatasetFormatError(
                path,
                f"{len(lacking)} image(s) of metadata.parquet missing (e.g. {lacking[:3]})",
                f"every image_name of part_id {part_id}",
            )
        for name, prompt in zip(rows["image_name"], rows["prompt"], strict=True):
            listed = part.entries.get(name)
            if listed is None:
                raise DatasetFormatError(part.json_path, f"no entry for {name}", "one per image")
            if not _same_prompt(listed["p"], prompt):
                raise DatasetFormatError(
                    part.json_path,
                    f"prompt {listed['p']!r} for {name}",
                    f"the prompt of metadata.parquet, {prompt!r}",
                )
            member = name if part.is_zip else None
            where = path if part.is_zip else path / name
            samples.append(Sample(Path(name).stem, prompt_text(prompt), where, member))
    return samples


def read_official_csv(root: Path, csv_name: str = "diffusiondb.csv") -> list[Sample]:
    """The official layout: ``filepath, prompt`` rows, paths relative to ``root``."""
    path = root / csv_name
    if not path.is_file():
        raise DatasetNotFoundError("DiffusionDB (official CSV layout)", root, CSV_LAYOUT, SOURCE)
    table = pd.read_csv(path)
    if not {"filepath", "prompt"} <= set(table.columns):
        raise DatasetFormatError(path, f"columns {list(table.columns)}", "columns filepath, prompt")
    samples = []
    for filepath, prompt in zip(table["filepath"], table["prompt"], strict=True):
        image = root / str(filepath)
        if not image.is_file():
            raise DatasetFormatError(
                path, f"a row naming {filepath}, which does not exist", "existing image files"
            )
        samples.append(Sample(image.stem, prompt_text(prompt), image))
    return samples


def _same_prompt(a: Any, b: Any) -> bool:
    return prompt_text(a) == prompt_text(b)
