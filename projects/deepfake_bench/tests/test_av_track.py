"""The audio-visual track end to end on a tiny build: configs/av.yaml through the CLI (the
ID / OOD summaries and per-method cells), and predict on its mp4s and on the build read as
FakeAVCeleb."""

import json
from pathlib import Path

import pytest
from deepfake_bench.predict import main
from deepfake_bench.synth.av.manipulations import METHOD_NAMES
from deepfake_bench.synth.av.tree import SPEECH_SOURCES

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]
TINY_BUILD = [  # one clip per method and split, speech without espeak-ng
    "--data.init_args.benchmark={n_identities: [2, 2, 2], n_real: [2, 1, 2, 2],"
    " n_fake: [1, 1, 1, 1], n_sentences: [2, 2, 2, 2], generator_args: {steps: 2, width: 8},"
    " spoofer_args: {S01: {n_iter: 4}}, speech: tone}",
    "--data.init_args.build_workers=1",
]


@pytest.fixture(scope="module")
def av_run(tmp_path_factory, tone_source):
    root = tmp_path_factory.mktemp("av")
    args = ["--config", str(PROJECT / "configs/av.yaml"), *TINY_BUILD,
            f"--data.init_args.data_root={root}", "--trainer.max_epochs=1",
            "--trainer.enable_progress_bar=false", "--model.init_args.bootstrap=0",
            "--model.init_args.detector={name: av_late_fusion, args: {video_args: "
            "{frame_args: {widths: [8, 16], stem_stride: 2}}, audio_args: {widths: [4, 4, 4],"
            " pool_after: [0, 1]}}}"]  # fmt: skip
    cli = ReproCLI(PROJECT.name, "av", args=args)
    return cli, cli.fit_and_test()


@pytest.fixture(scope="module")
def tone_source(tone_speech_source):
    if "tone" not in SPEECH_SOURCES:
        SPEECH_SOURCES.register("tone", tone_speech_source)


@pytest.mark.slow
def test_av_config_reports_id_ood_and_every_method(av_run):
    cli, summary = av_run
    best = summary["best"]
    assert {"test/auc_id", "test/auc_ood", "test/auc_ood_train_reals", "test/auc_drop"} <= set(best)
    for method in METHOD_NAMES:
        assert 0.0 <= best[f"test/in_distribution/{method}/auc"] <= 1.0
    cells = json.loads((Path(summary["run_dir"]) / "cells-best.json").read_text())
    assert {c["track"] for c in cells} == {"audio_visual"}
    assert {(c["test_generator"], c["real_source"]) for c in cells} == {
        (m, s) for m in METHOD_NAMES for s in ("training_source", "novel")
    }
    assert cells[0]["benchmark_hash"] == cli.datamodule.benchmark.digest()


@pytest.mark.slow
def test_predict_scores_a_talking_head_and_the_build_as_fakeavceleb(av_run, capsys):
    cli, summary = av_run
    checkpoint = Path(summary["run_dir"]) / "checkpoints" / "last.ckpt"
    clip = next(cli.datamodule.folder.rglob("*.mp4"))
    assert main([str(checkpoint), str(clip)]) == 0
    path, probability = capsys.readouterr().out.strip().split("\t")
    assert path == str(clip) and 0.0 <= float(probability) <= 1.0
    root = str(cli.datamodule.folder)
    assert main([str(checkpoint), "--dataset", "fakeavceleb", "--root", root]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["row"] == "in_distribution" and report["n_real"] + report["n_fake"] > 0
    assert main([str(checkpoint), "--dataset", "biodeepav", "--root", root]) == 2  # video only


@pytest.mark.slow
def test_the_av_smoke_tier_builds_with_espeak_and_scores_every_method(tmp_path, require_espeak):
    """configs/smoke_av.yaml as CI runs it: 8 clips per method, espeak-ng speech."""
    require_espeak()
    args = ["--config", str(PROJECT / "configs/smoke_av.yaml"),
            f"--data.init_args.data_root={tmp_path}"]  # fmt: skip
    best = ReproCLI(PROJECT.name, "smoke_av", args=args).fit_and_test()["best"]
    assert [best[f"test/in_distribution/{m}/n_fake"] for m in METHOD_NAMES] == [8] * 7
    assert best["test/in_distribution/lipsync_shift/n_real"] == 8
