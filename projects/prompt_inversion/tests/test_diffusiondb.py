"""The DiffusionDB reader on fixtures in the real format, and its errors on bad input."""

import json
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prompt_inversion.diffusiondb import (
    METADATA_COLUMNS,
    read_diffusiondb,
    read_image,
    read_official_csv,
)
from prompt_inversion.testing import SCHEMA, write_diffusiondb

from shared.data.errors import DatasetFormatError, DatasetNotFoundError


def test_the_schema_is_the_data_cards():
    assert {f.name: f.type for f in SCHEMA} == METADATA_COLUMNS


@pytest.mark.parametrize("folders", [False, True], ids=["zips", "folders"])
def test_round_trip_parquet_json_and_members(tmp_path, folders):
    root = tmp_path / "db"
    rows = write_diffusiondb(root, folders=folders)
    samples = read_diffusiondb(root)
    assert [s.stem + ".png" for s in samples] == [r["image_name"] for r in rows]
    assert [s.prompt for s in samples] == [r["prompt"] for r in rows]
    for sample, row in zip(samples, rows, strict=True):
        part = f"part-{row['part_id']:06d}"
        if folders:
            assert sample.path == root / "images" / part / row["image_name"]
        else:
            assert (sample.path.name, sample.member) == (f"{part}.zip", row["image_name"])
            entries = json.loads(zipfile.ZipFile(sample.path).read(f"{part}.json"))
            assert entries[row["image_name"]]["p"] == sample.prompt
    image = read_image(samples[0])
    assert image.size == (32, 32) and image.getpixel((16, 16)) == (255, 0, 0)  # "a red circle"


def test_a_missing_prompt_reads_as_none(tmp_path):
    root = tmp_path / "db"
    write_diffusiondb(root, prompts={2: None})
    assert read_diffusiondb(root)[2].prompt is None


def test_an_image_missing_from_a_part_names_the_zip(diffusiondb):
    root, rows = diffusiondb
    zip_path = root / "images" / "part-000001.zip"
    with zipfile.ZipFile(zip_path) as archive:
        kept = {n: archive.read(n) for n in archive.namelist() if n != rows[0]["image_name"]}
    entries = json.loads(kept["part-000001.json"])
    del entries[rows[0]["image_name"]]
    kept["part-000001.json"] = json.dumps(entries).encode()
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, data in kept.items():
            archive.writestr(name, data)
    with pytest.raises(DatasetFormatError, match=r"part-000001.zip.*1 image.*missing"):
        read_diffusiondb(root)


def test_a_part_json_naming_files_the_zip_lacks(diffusiondb):
    root, _ = diffusiondb
    zip_path = root / "images" / "part-000002.zip"
    with zipfile.ZipFile(zip_path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    entries = json.loads(files["part-000002.json"])
    entries["ghost.png"] = {"p": "x", "se": 1, "c": 7.0, "st": 50, "sa": "k_lms"}
    files["part-000002.json"] = json.dumps(entries).encode()
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(DatasetFormatError, match=r"part-000002.zip:part-000002.json.*ghost.png"):
        read_diffusiondb(root)


def test_a_parquet_without_the_expected_columns(diffusiondb):
    root, _ = diffusiondb
    table = pq.read_table(root / "metadata.parquet").drop_columns(["cfg", "user_name"])
    pq.write_table(table, root / "metadata.parquet")
    with pytest.raises(
        DatasetFormatError, match=r"metadata.parquet.*lacking \['cfg', 'user_name'\]"
    ):
        read_diffusiondb(root)


def test_a_parquet_column_of_the_wrong_kind(diffusiondb):
    root, _ = diffusiondb
    frame = pq.read_table(root / "metadata.parquet").to_pandas()
    frame["seed"] = frame["seed"].astype(str)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / "metadata.parquet")
    with pytest.raises(DatasetFormatError, match=r"seed"):
        read_diffusiondb(root)


def test_no_dataset_says_where_it_looked(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"metadata.parquet"):
        read_diffusiondb(tmp_path)


def test_a_json_prompt_disagreeing_with_the_parquet(diffusiondb):
    root, _ = diffusiondb
    frame = pq.read_table(root / "metadata.parquet").to_pandas()
    frame.loc[0, "prompt"] = "something else"
    pq.write_table(
        pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False), root / "metadata.parquet"
    )
    with pytest.raises(DatasetFormatError, match=r"part-000001.json.*something else"):
        read_diffusiondb(root)


def test_the_official_csv_layout(tmp_path):
    root = tmp_path / "official"
    (root / "images_part1" / "images").mkdir(parents=True)
    for stem in ("a1", "b2"):
        (root / "images_part1" / "images" / f"{stem}.png").write_bytes(b"")
    pd.DataFrame(
        {
            "filepath": ["images_part1/images/a1.png", "images_part1/images/b2.png"],
            "prompt": ["a cat", None],
        }
    ).to_csv(root / "diffusiondb.csv", index=False)
    samples = read_official_csv(root)
    assert [(s.stem, s.prompt) for s in samples] == [("a1", "a cat"), ("b2", None)]
    (root / "images_part1" / "images" / "b2.png").unlink()
    with pytest.raises(DatasetFormatError, match=r"diffusiondb.csv.*b2.png"):
        read_official_csv(root)
