"""DrawBench read from a local copy in each real on-disk format: the Imagen sheet's CSV, the hub's
parquet conversion in the hub cache, the datasets cache that ``load_dataset`` leaves, and a
``save_to_disk`` folder; a missing or wrong copy is a clear error."""

import csv
from pathlib import Path

import pytest
from curriculum_dpo.prompts import resolve_prompts

from shared.errors import ConfigError

CATEGORIES = ["Colors", "Conflicting", "Counting", "DALL-E", "Descriptions", "Misspellings"]


def sheet(count: int = 200) -> tuple[list[str], list[str]]:
    """Prompts with the sheet's awkward characters (commas, quotes) and their categories."""
    prompts = [
        f'A sign that says "{i}", in red.' if i % 7 == 0 else f"prompt {i}" for i in range(count)
    ]
    return prompts, [CATEGORIES[i % len(CATEGORIES)] for i in range(count)]


def write_sheet_csv(path: Path, count: int = 200, header=("Prompts", "Category")) -> list[str]:
    """The sheet's CSV export (gviz ``out:csv`` quotes every field)."""
    prompts, categories = sheet(count)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(zip(prompts, categories, strict=True))
    return prompts


@pytest.fixture
def caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    hub, datasets_cache = tmp_path / "hub", tmp_path / "datasets"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(datasets_cache))
    return hub, datasets_cache


def test_the_sheet_csv_by_path(tmp_path: Path) -> None:
    prompts = write_sheet_csv(tmp_path / "DrawBench.csv")
    read = resolve_prompts(f"drawbench:{tmp_path / 'DrawBench.csv'}")
    assert read == prompts and len(read) == 200
    assert read[7] == 'A sign that says "7", in red.' and read[1] == "prompt 1"


def test_the_hub_parquet_conversion_in_the_hub_cache(caches: tuple[Path, Path]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    repo = caches[0] / "datasets--shunk031--DrawBench"
    main = repo / "snapshots" / ("a" * 40)  # the main branch: the loading script only
    main.mkdir(parents=True)
    (main / "DrawBench.py").write_text("# loading script\n")
    converted = repo / "snapshots" / ("b" * 40) / "default" / "test"
    converted.mkdir(parents=True)
    prompts, categories = sheet()
    table = pa.table({"prompts": prompts, "category": [CATEGORIES.index(c) for c in categories]})
    pq.write_table(table, converted / "0000.parquet")
    assert resolve_prompts("drawbench") == prompts


def test_the_datasets_cache_of_load_dataset(caches: tuple[Path, Path]) -> None:
    import datasets
    from datasets.arrow_writer import ArrowWriter

    folder = caches[1] / "shunk031___draw_bench" / "default" / "1.0.0" / ("c" * 16)
    folder.mkdir(parents=True)
    prompts, categories = sheet()
    features = datasets.Features(
        {"prompts": datasets.Value("string"), "category": datasets.ClassLabel(names=CATEGORIES)}
    )
    with ArrowWriter(path=str(folder / "draw_bench-test.arrow"), features=features) as writer:
        for prompt, category in zip(prompts, categories, strict=True):
            writer.write({"prompts": prompt, "category": CATEGORIES.index(category)})
        writer.finalize()
    assert resolve_prompts("drawbench") == prompts


def test_a_save_to_disk_folder_reads_its_test_split(tmp_path: Path) -> None:
    import datasets

    prompts, categories = sheet()
    test = datasets.Dataset.from_dict({"prompts": prompts, "category": categories})
    datasets.DatasetDict({"test": test}).save_to_disk(str(tmp_path / "drawbench"))
    assert resolve_prompts(f"drawbench:{tmp_path / 'drawbench'}") == prompts
    datasets.DatasetDict({"train": test}).save_to_disk(str(tmp_path / "no_test"))
    with pytest.raises(ConfigError, match=r"a DatasetDict with a `test` split.*\['train'\]"):
        resolve_prompts(f"drawbench:{tmp_path / 'no_test'}")


def test_a_missing_copy_says_where_it_looked_and_how_to_get_it(caches: tuple[Path, Path]) -> None:
    main = caches[0] / "datasets--shunk031--DrawBench" / "snapshots" / ("a" * 40)
    main.mkdir(parents=True)
    (main / "DrawBench.py").write_text("# loading script\n")
    with pytest.raises(ConfigError) as error:
        resolve_prompts("drawbench")
    message = str(error.value)
    assert "Config field `data.prompts` is 'drawbench'" in message
    assert f"{caches[0] / 'datasets--shunk031--DrawBench'} (no data file in it)" in message
    assert f"{caches[1] / 'shunk031___draw_bench'} (absent)" in message
    assert "huggingface-cli download shunk031/DrawBench --repo-type dataset" in message
    assert "drawbench:<file.csv>" in message
    with pytest.raises(ConfigError, match="an existing DrawBench copy"):
        resolve_prompts(f"drawbench:{caches[0] / 'nowhere.csv'}")


def test_a_wrong_copy_is_refused(tmp_path: Path) -> None:
    write_sheet_csv(tmp_path / "short.csv", count=199)
    with pytest.raises(ConfigError, match=r"DrawBench's 200 prompts\. Read 199 from .*short\.csv"):
        resolve_prompts(f"drawbench:{tmp_path / 'short.csv'}")
    write_sheet_csv(tmp_path / "renamed.csv", header=("Prompt", "Category"))
    with pytest.raises(ConfigError, match=r"Its columns are \['Prompt', 'Category'\]"):
        resolve_prompts(f"drawbench:{tmp_path / 'renamed.csv'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"a DrawBench copy: a \.parquet/\.csv/\.arrow file"):
        resolve_prompts(f"drawbench:{tmp_path / 'empty'}")
