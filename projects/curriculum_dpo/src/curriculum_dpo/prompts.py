"""The official prompt sets by name (``data/prompts.py`` of the official code): the 45 animals
as ``"A photo of {a|an} {animal}"`` (aesthetic reward), the animals × three activities (text
alignment and human preference, the DDPO protocol), DrawBench's 200 prompts, and the colour
words of the embedded run.

DrawBench cannot be downloaded here, so it is read from a local copy: ``drawbench`` looks in the
Hugging Face caches (the hub repo ``shunk031/DrawBench``, or what ``datasets.load_dataset`` of it
left in the datasets cache, as the official code loads it), ``drawbench:<path>`` reads a copy by
path: the Imagen sheet's CSV (columns ``Prompts``, ``Category``), a parquet or ``.arrow`` file,
a ``save_to_disk`` folder, or a folder of such files (a hub snapshot). Rows stay in file order.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from shared.errors import ConfigError

ANIMALS = (
    "cat dog horse monkey rabbit zebra spider bird sheep deer cow goat lion tiger bear raccoon "
    "fox wolf lizard beetle ant butterfly fish shark whale dolphin squirrel mouse rat snake "
    "turtle frog chicken duck goose bee pig turkey fly llama camel bat gorilla hedgehog kangaroo"
).split()
ACTIVITIES = ("washing the dishes", "riding a bike", "playing chess")
COLOUR_RGB = {
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "yellow": (1.0, 1.0, 0.0),
}
COLOURS = tuple(COLOUR_RGB)


def article(word: str) -> str:
    """``an`` before a vowel sound, else ``a`` (what ``inflect`` picks for these animals)."""
    return "an" if word[0] in "aeiou" else "a"


def animals() -> list[str]:
    return [f"A photo of {article(a)} {a}" for a in ANIMALS]


def animal_activities() -> list[str]:
    return [f"{article(a)} {a} {activity}" for a in ANIMALS for activity in ACTIVITIES]


DRAWBENCH_REPO = "shunk031/DrawBench"
DRAWBENCH_SIZE = 200
DRAWBENCH_SHEET = (
    "https://docs.google.com/spreadsheets/d/1y7nAbmR4FREi6npB1u-Bo3GFdwdOPYJc617rBOxIRHY"
)
DRAWBENCH_PREFIX = "drawbench:"
_DATA_SUFFIXES = (".parquet", ".csv", ".arrow")
_SAVED_MARKERS = ("dataset_dict.json", "state.json")  # a save_to_disk DatasetDict / Dataset


def drawbench_locations() -> list[Path]:
    """Where ``drawbench`` looks: the hub cache's copy of the dataset repo, then the datasets
    cache folder that ``load_dataset("shunk031/DrawBench")`` writes."""
    from shared.hub import hub_cache_dir

    if "HF_DATASETS_CACHE" in os.environ:
        datasets_cache = Path(os.environ["HF_DATASETS_CACHE"]).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "~/.cache")
        home = os.environ.get("HF_HOME", f"{xdg}/huggingface")
        datasets_cache = Path(home).expanduser() / "datasets"
    owner, name = DRAWBENCH_REPO.split("/")
    return [
        hub_cache_dir() / f"datasets--{owner}--{name}",
        datasets_cache / f"{owner}___draw_bench",
    ]


def drawbench(path: str | os.PathLike | None = None, field: str = "data.prompts") -> list[str]:
    """The 200 DrawBench prompts from ``path``, or from the first cache location that has them."""
    if path is not None:
        location = Path(path).expanduser()
        if not location.exists():
            raise ConfigError(field, f"{DRAWBENCH_PREFIX}{path}", "an existing DrawBench copy")
        return _read_drawbench(location, field)
    looked = []
    for location in drawbench_locations():
        if _data_source(location) is not None:
            return _read_drawbench(location, field)
        looked.append(f"{location} ({'no data file in it' if location.exists() else 'absent'})")
    raise ConfigError(
        field,
        "drawbench",
        "a local copy of DrawBench",
        f"Looked in {' and '.join(looked)}. On a machine with internet run `huggingface-cli "
        f"download {DRAWBENCH_REPO} --repo-type dataset --revision refs/convert/parquet` (the "
        "main branch holds only the loading script DrawBench.py, which fetches the sheet) and "
        f"copy the folder datasets--shunk031--DrawBench into {drawbench_locations()[0].parent}; "
        f"or save the Imagen DrawBench sheet ({DRAWBENCH_SHEET}) as CSV and set `{field}` to "
        f"`{DRAWBENCH_PREFIX}<file.csv>`.",
    )


def _data_source(location: Path) -> Path | list[Path] | None:
    """A ``save_to_disk`` folder or file as is; else the data files of the first folder (in
    path order: one snapshot, one datasets-cache version) that holds any."""
    if location.is_file() or any((location / f).is_file() for f in _SAVED_MARKERS):
        return location
    if not location.is_dir():
        return None
    for suffix in _DATA_SUFFIXES:
        files = sorted(location.rglob(f"*{suffix}"))
        if files:
            return sorted(f for f in files if f.parent == files[0].parent)
    return None


def _read_drawbench(location: Path, field: str) -> list[str]:
    source = _data_source(location)
    if source is None:
        raise ConfigError(
            field,
            f"{DRAWBENCH_PREFIX}{location}",
            f"a DrawBench copy: a {'/'.join(_DATA_SUFFIXES)} file, a save_to_disk folder, or a "
            "folder holding such files",
        )
    files = source if isinstance(source, list) else [source]
    prompts = [p for f in files for p in _prompt_column(f, field)]
    if len(prompts) != DRAWBENCH_SIZE:
        raise ConfigError(
            field,
            f"{DRAWBENCH_PREFIX}{location}",
            f"DrawBench's {DRAWBENCH_SIZE} prompts",
            f"Read {len(prompts)} from {', '.join(map(str, files))}.",
        )
    return prompts


def _prompt_column(path: Path, field: str) -> list[str]:
    """The ``prompts`` column (any case: the sheet says ``Prompts``) of one file or folder."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns, rows = reader.fieldnames or [], list(reader)
        table = {c: [row[c] for row in rows] for c in columns}
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path).to_pydict()
    else:
        import datasets

        if path.is_dir():
            loaded = datasets.load_from_disk(str(path))
            if isinstance(loaded, datasets.DatasetDict):
                if "test" not in loaded:
                    raise ConfigError(
                        field,
                        f"{DRAWBENCH_PREFIX}{path}",
                        "a DatasetDict with a `test` split",
                        f"It has {sorted(loaded)}.",
                    )
                loaded = loaded["test"]  # the official code reads the test split
        else:
            loaded = datasets.Dataset.from_file(str(path))
        table = loaded.to_dict()
    column = next((c for c in table if c.lower() == "prompts"), None)
    if column is None:
        raise ConfigError(
            field,
            f"{DRAWBENCH_PREFIX}{path}",
            "a `prompts` (or the sheet's `Prompts`) column",
            f"Its columns are {list(table)}.",
        )
    prompts = table[column]
    bad = next((i for i, p in enumerate(prompts) if not isinstance(p, str) or not p), None)
    if bad is not None:
        raise ConfigError(
            field,
            f"{DRAWBENCH_PREFIX}{path}",
            "a non-empty prompt in every row",
            f"Row {bad} of `{column}` is {prompts[bad]!r}.",
        )
    return prompts


PROMPT_SETS = {
    "animals": animals,
    "animal_activities": animal_activities,
    "drawbench": drawbench,
    "colours": lambda: list(COLOURS),
}


def resolve_prompts(prompts: str | list[str], field: str = "data.prompts") -> list[str]:
    """A named prompt set, ``drawbench:<path>`` (a DrawBench copy by path), or the list itself."""
    if isinstance(prompts, str):
        if prompts.startswith(DRAWBENCH_PREFIX):
            return drawbench(prompts.removeprefix(DRAWBENCH_PREFIX), field)
        if prompts not in PROMPT_SETS:
            raise ConfigError(
                field,
                prompts,
                f"a prompt list, one of {sorted(PROMPT_SETS)} or `{DRAWBENCH_PREFIX}<path>`",
            )
        if prompts == "drawbench":
            return drawbench(field=field)
        return PROMPT_SETS[prompts]()
    if not prompts:
        raise ConfigError(field, prompts, "at least one prompt")
    return list(prompts)
