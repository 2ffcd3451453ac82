"""Every loader on a tiny fixture in its official layout; bad input is a clear error."""

import json

import numpy as np
import pytest
from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.data.biodeepav import read_biodeepav
from deepfake_bench.data.deepfakebench_json import read_deepfakebench_json
from deepfake_bench.data.image_folders import discover_folders, load_records, read_manifest
from deepfake_bench.data.videos import read_video, uniform_indices
from deepfake_bench.registry import DATASETS, MODALITIES

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.testing.registry import registry_cases

TESTED_ELSEWHERE = {
    "asvspoof2019_la",
    "asvspoof2021_la",
    "asvspoof2021_df",
    "fakeavceleb",
    "mavos_dd",
}


@pytest.mark.parametrize(
    "entry", [c for c in registry_cases(DATASETS) if c.id not in TESTED_ELSEWHERE]
)
def test_every_dataset_reads_its_fixture(entry, dataset_fixture):
    """The image and video datasets (the audio and audio-visual ones: test_audio_av_loaders)."""
    assert entry.metadata["modality"] in MODALITIES
    assert {"layout", "source", "splits"} <= set(entry.metadata)
    records = entry.builder(**dataset_fixture(entry.name))
    assert {r.label for r in records} == {0, 1}


def test_image_folders_with_and_without_category_level(fixture_writers, tmp_path):
    records = discover_folders(fixture_writers["image_folders"](tmp_path))
    by = {(r.generator, r.label): r for r in records}
    assert len(records) == 6 and {g for g, _ in by} == {"progan", "stylegan"}
    assert by["stylegan", 0].path.name == "a.PNG"  # extensions in any case
    assert load_records(records).shape == (6, 16, 16, 3)
    assert load_records(records, size=8).shape == (6, 8, 8, 3)


def test_flat_real_fake_folders(fixture_writers, tmp_path):
    fixture_writers["png"](tmp_path / "real" / "x.jpg", 5)
    fixture_writers["png"](tmp_path / "fake" / "y.png", 250)
    records = discover_folders(tmp_path)
    assert [(r.label, r.path.name) for r in records] == [(0, "x.jpg"), (1, "y.png")]


def test_unreadable_image_names_the_file(fixture_writers, tmp_path):
    root = fixture_writers["image_folders"](tmp_path)
    broken = root / "test" / "progan" / "1_fake" / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(DatasetFormatError, match=r"broken\.png"):
        load_records(discover_folders(root))


def test_manifest_reads_paths_labels_and_sources(dataset_fixture):
    records = read_manifest(**dataset_fixture("dfb_manifest"))
    assert [(r.label, r.generator, r.source_id) for r in records] == [
        (0, "real", "coffee"), (1, "dcgan", "-"),
    ]  # fmt: skip
    with pytest.raises(DatasetNotFoundError, match=r"manifest\.csv"):
        read_manifest(records[0].path.parent / "nowhere")


@pytest.mark.parametrize("dataset", ["FaceForensics++", "Celeb-DF-v2"])
def test_deepfakebench_json_with_and_without_compression(dataset, fixture_writers, tmp_path):
    root = fixture_writers["deepfakebench_json"](tmp_path)
    records = read_deepfakebench_json(root / f"{dataset}.json", fixture_writers["label_dict"])
    assert sorted(r.label for r in records) == [0, 1]
    assert all(len(r.source) == 3 and r.source[0].is_file() for r in records)
    assert read_video(records[0], n_frames=2).shape == (2, 16, 16, 3)


def test_deepfakebench_json_unknown_label_and_missing_frames(fixture_writers, tmp_path):
    root = fixture_writers["deepfakebench_json"](tmp_path)
    with pytest.raises(DatasetFormatError, match="'FF-DF'"):
        read_deepfakebench_json(root / "FaceForensics++.json", {"FF-real": 0})
    content = json.loads((root / "FaceForensics++.json").read_text())
    video = content["FaceForensics++"]["FF-DF"]["test"]["c23"]["000_003"]
    video["frames"].append("ff/000_003/999.png")
    (root / "FaceForensics++.json").write_text(json.dumps(content))
    with pytest.raises(DatasetFormatError, match=r"999\.png"):
        read_deepfakebench_json(root / "FaceForensics++.json", fixture_writers["label_dict"])


def test_ucf_style_labels_above_one_fold_to_fake(fixture_writers, tmp_path):
    root = fixture_writers["deepfakebench_json"](tmp_path)
    labels = {"FF-real": 0, "FF-DF": 3}
    records = read_deepfakebench_json(root / "FaceForensics++.json", labels)
    assert sorted(r.label for r in records) == [0, 1]


@pytest.mark.parametrize("raw", [True, False], ids=["mp4", "frames"])
def test_biodeepav_raw_and_preprocessed(raw, fixture_writers, tmp_path):
    records = read_biodeepav(fixture_writers["biodeepav"](tmp_path, raw=raw))
    assert [(r.name, r.label) for r in records] == [("real_0", 0), ("fake_0", 1)]
    frames = read_video(records[0], n_frames=3)
    assert frames.shape[0] == 3 and frames.dtype == np.uint8


def test_biodeepav_is_test_only_and_missing_is_clear(fixture_writers, tmp_path):
    root = fixture_writers["biodeepav"](tmp_path)
    with pytest.raises(ConfigError, match="test-only"):
        read_biodeepav(root, split="train")
    with pytest.raises(DatasetNotFoundError, match=r"huggingface\.co"):
        read_biodeepav(tmp_path / "elsewhere")


def test_undecodable_video_names_the_file(fixture_writers, tmp_path):
    from deepfake_bench.data.videos import VideoRecord

    path = tmp_path / "bad.mp4"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(DatasetFormatError, match=r"bad\.mp4"):
        read_video(VideoRecord("bad", 1, path))


def test_uniform_frame_indices():
    assert uniform_indices(33, 5).tolist() == [0, 8, 16, 24, 32]
    assert uniform_indices(3, 8).tolist() == [0, 1, 2]  # fewer frames: all of them
