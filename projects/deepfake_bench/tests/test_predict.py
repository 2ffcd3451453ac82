"""Single-file and external-dataset scoring with a trained checkpoint (video = mean of frames)."""

import json
from pathlib import Path

import numpy as np
import pytest
from deepfake_bench.data.deepfakebench_json import read_deepfakebench_json
from deepfake_bench.metrics import video_scores
from deepfake_bench.predict import load_rows, main, score_videos

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    args = ["--config", str(PROJECT / "configs/smoke.yaml"), "--trainer.limit_train_batches=1",
            f"--data.init_args.data_root={root}", "--data.init_args.benchmark.n_real=[16, 8, 8]",
            "--data.init_args.benchmark.n_fake=[8, 4, 8]"]  # fmt: skip
    summary = ReproCLI(PROJECT.name, "smoke", args=args).fit_and_test()
    return Path(summary["run_dir"]) / "checkpoints" / "last.ckpt"


@pytest.mark.slow
def test_predict_prints_a_probability_per_file(checkpoint, fixture_writers, tmp_path, capsys):
    image = fixture_writers["png"](tmp_path / "x.png", 100, size=40)
    video = fixture_writers["mp4"](tmp_path / "v.mp4")
    assert main([str(checkpoint), str(image), str(video), "--row", "conv_ae"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [Path(line.split("\t")[0]).name for line in lines] == ["x.png", "v.mp4"]
    assert all(0.0 <= float(line.split("\t")[1]) <= 1.0 for line in lines)
    assert main([str(checkpoint), str(image), "--row", "dcgan"]) == 2  # not a row of this run


@pytest.mark.slow
def test_external_biodeepav_scored_or_reported_absent(
    checkpoint, fixture_writers, tmp_path, capsys
):
    root = fixture_writers["biodeepav"](tmp_path / "BioDeepAV")
    assert main([str(checkpoint), "--dataset", "biodeepav", "--root", str(root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n_real"], report["n_fake"], report["dataset"]) == (1, 1, "biodeepav")
    assert main([str(checkpoint), "--dataset", "biodeepav", "--root", str(tmp_path / "no")]) == 0
    assert capsys.readouterr().out.strip() == f"not run: biodeepav not present at {tmp_path / 'no'}"


@pytest.mark.slow
def test_the_external_config_scores_every_row_from_data_root(
    checkpoint, fixture_writers, tmp_path, capsys, monkeypatch
):
    config = PROJECT / "configs" / "external_biodeepav.yaml"
    monkeypatch.setenv("DATA_ROOT", str(tmp_path))
    assert main([str(checkpoint), "--config", str(config)]) == 0
    assert (
        capsys.readouterr().out.strip()
        == f"not run: biodeepav not present at {tmp_path / 'biodeepav'}"
    )
    fixture_writers["biodeepav"](tmp_path / "biodeepav")
    assert main([str(checkpoint), "--config", str(config), "--frames", "2"]) == 0
    out, decoder, reports = capsys.readouterr().out.strip(), json.JSONDecoder(), []
    while out:
        report, end = decoder.raw_decode(out)
        reports.append(report)
        out = out[end:].strip()
    assert [r["row"] for r in reports] == ["upsample_nn", "pca_gauss", "conv_ae"]
    assert all((r["n_real"], r["n_fake"], r["dataset"]) == (1, 1, "biodeepav") for r in reports)
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: biodeepav\nframe: 4\n")
    assert main([str(checkpoint), "--config", str(bad)]) == 2
    assert "`" + str(bad) + "` is ['frame']" in capsys.readouterr().err


@pytest.mark.slow
def test_video_level_scores_equal_the_mean_of_frame_scores(checkpoint, fixture_writers, tmp_path):
    root = fixture_writers["deepfakebench_json"](tmp_path)
    records = read_deepfakebench_json(root / "Celeb-DF-v2.json", fixture_writers["label_dict"])
    _, [(_, detector)] = load_rows(checkpoint)
    labels, scores = score_videos(detector, records, size=32, frames=3)
    frame_ids, frame_labels, frame_scores = [], [], []
    for record in records:  # every frame scored alone, then grouped by video as DeepfakeBench
        for frame in record.source:
            frame_ids.append(record.name)
            frame_labels.append(record.label)
            frame_scores.append(
                score_videos(detector, [type(record)(record.name, record.label, (frame,))], 32, 1)[
                    1
                ][0]
            )
    _, grouped_labels, grouped = video_scores(frame_ids, frame_labels, frame_scores)
    assert np.array_equal(labels, grouped_labels)
    assert np.allclose(scores, grouped, atol=1e-6)


@pytest.mark.slow
def test_an_image_folder_dataset_is_scored_per_image(checkpoint, fixture_writers, tmp_path, capsys):
    root = fixture_writers["image_folders"](tmp_path / "cnndetection")
    assert main([str(checkpoint), "--dataset", "image_folders", "--root", str(root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n_real"], report["n_fake"]) == (3, 3) and 0 <= report["auc"] <= 1
