"""MAVOS-DD (Croitoru et al., 2025): a Hugging Face ``datasets.save_to_disk`` folder of videos.

One table with at least ``video_path`` (relative to the folder), ``label`` (real / fake),
``split`` (train / validation / test), ``language``, ``generative_method`` and the two booleans
``open_set_model`` (fakes of generators unseen in training) and ``open_set_language`` (languages
unseen in training). The test splits follow the MAVOS-DD evaluation code: in-domain = test rows
with neither flag; open-set model adds the rows flagged for model only; open-set language adds
those flagged for language only; open-set full is every test row. Labels: real 0, fake 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deepfake_bench.data.asvspoof import require_files
from deepfake_bench.data.videos import VideoRecord
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError

COLUMNS = ("video_path", "label", "split", "language", "generative_method", "open_set_model",
           "open_set_language")  # fmt: skip
FLAGS = ("open_set_model", "open_set_language")
LABELS = {"real": 0, "fake": 1}
IN_DOMAIN, MODEL, LANGUAGE, BOTH = (False, False), (True, False), (False, True), (True, True)
# split -> (its `split` value, the (open_set_model, open_set_language) pairs it takes)
SPLITS = {
    "train": ("train", {IN_DOMAIN, MODEL, LANGUAGE, BOTH}),
    "validation": ("validation", {IN_DOMAIN, MODEL, LANGUAGE, BOTH}),
    "in_domain": ("test", {IN_DOMAIN}),
    "open_set_model": ("test", {IN_DOMAIN, MODEL}),
    "open_set_language": ("test", {IN_DOMAIN, LANGUAGE}),
    "open_set_full": ("test", {IN_DOMAIN, MODEL, LANGUAGE, BOTH}),
}
LAYOUT = f"<root>/ (datasets.save_to_disk, columns {', '.join(COLUMNS)}) and <root>/<video_path>"
SOURCE = "https://huggingface.co/datasets/unibuc-cs/MAVOS-DD"


@dataclass(frozen=True, kw_only=True)
class MavosRecord(VideoRecord):
    split: str
    language: str
    generator: str  # "generative_method"; "real" for real videos
    open_set_model: bool
    open_set_language: bool


def read_mavos_dd(root: Path, split: str = "open_set_full", check_videos: bool = True
                  ) -> list[MavosRecord]:  # fmt: skip
    """The videos of ``split`` (train, validation, in_domain or an open-set test split)."""
    import datasets

    if split not in SPLITS:
        raise ConfigError("split", split, f"one of {list(SPLITS)}")
    root = Path(root)
    try:
        table = datasets.load_from_disk(str(root))
    except FileNotFoundError as error:
        raise DatasetNotFoundError("MAVOS-DD", root, LAYOUT, SOURCE) from error
    if not isinstance(table, datasets.Dataset):
        raise DatasetFormatError(root, "a DatasetDict", "one Dataset saved with save_to_disk")
    if missing := [c for c in COLUMNS if c not in table.column_names]:
        raise DatasetFormatError(root, f"no column {', '.join(missing)}", f"columns {COLUMNS}")
    if wrong := [c for c in FLAGS if getattr(table.features[c], "dtype", None) != "bool"]:
        raise DatasetFormatError(
            root, f"non-boolean {', '.join(wrong)} ({table.features})", "bool columns"
        )
    value, flags = SPLITS[split]
    rows = table.select_columns(list(COLUMNS)).to_dict()
    records = []
    for i, path in enumerate(rows["video_path"]):
        if rows["split"][i] != value or (rows[FLAGS[0]][i], rows[FLAGS[1]][i]) not in flags:
            continue
        label = rows["label"][i]
        if label not in LABELS:
            raise DatasetFormatError(root, f"label {label!r} in row {i}", f"one of {list(LABELS)}")
        records.append(MavosRecord(
            name=path, label=LABELS[label], source=root / path, dataset="MAVOS-DD", split=value,
            language=rows["language"][i], generator=rows["generative_method"][i],
            open_set_model=rows[FLAGS[0]][i], open_set_language=rows[FLAGS[1]][i],
        ))  # fmt: skip
    if check_videos:
        require_files(root, (r.source for r in records), f"videos under {root}")
    return records
