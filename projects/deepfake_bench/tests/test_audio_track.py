"""The audio track end to end on a tiny tree: the protocol's datasets, the DataModule, the matrix
module on attacks (per-attack cells), and predict on files, datasets and score files."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from deepfake_bench.data.asvspoof import read_asvspoof2019_la
from deepfake_bench.data.protocol_sets import Labelled, PairedTrain
from deepfake_bench.data.synth_audio import AudioTreeDataModule, fixed_length
from deepfake_bench.predict import main
from deepfake_bench.score_files import read_scores_against_key
from deepfake_bench.synth.audio.tree import AudioTreeConfig
from deepfake_bench.synth.cache import reuse_or_clear

from shared.cli import ReproCLI
from shared.data.loader import Loader
from shared.errors import ConfigError

PROJECT = Path(__file__).resolve().parents[1]


def test_fixed_length_repeats_short_and_cuts_long_utterances():
    assert fixed_length(torch.tensor([1.0, 2, 3]), 7).tolist() == [1, 2, 3, 1, 2, 3, 1]
    assert fixed_length(torch.arange(5.0), 3).tolist() == [0, 1, 2]


def test_labelled_indexes_reals_fakes_and_novel_reals_in_order():
    reals, fakes = (
        torch.tensor([[10.0], [11]]),
        [torch.tensor([[20.0]]), torch.tensor([[30.0], [31]])],
    )
    data = Labelled(reals, fakes, novel=torch.tensor([[40.0]]))
    items = [data[i] for i in range(len(data))]
    assert [float(x) for x, _, _ in items] == [10, 11, 20, 30, 31, 40]
    assert [float(y) for _, y, _ in items] == [0, 0, 1, 1, 1, 0]
    assert [int(g) for _, _, g in items] == [-1, -1, 0, 1, 1, -2]
    with pytest.raises(IndexError):
        data[6]


def test_paired_train_cycles_fakes_and_zero_fills_an_absent_generator():
    data = PairedTrain(
        torch.tensor([[1.0], [2], [3]]), [torch.tensor([[7.0], [8]]), torch.zeros(0, 1)]
    )
    real, fakes = data[2]
    assert float(real) == 3 and fakes.tolist() == [[7.0], [0.0]]  # fake 2 mod 2 = 0


def test_audio_config_digest_names_the_build():
    assert AudioTreeConfig().digest() == AudioTreeConfig().digest()
    assert AudioTreeConfig().digest() != AudioTreeConfig(seed=1).digest()


def test_cache_reuses_complete_builds_and_refuses_unfinished_ones(tmp_path, monkeypatch):
    folder = tmp_path / "build"
    assert reuse_or_clear(folder, "data.init_args.benchmark") is False  # absent
    folder.mkdir()
    (folder / "half.flac").write_bytes(b"")
    monkeypatch.delenv("OVERWRITE", raising=False)
    with pytest.raises(ConfigError, match="unfinished build; `OVERWRITE=1` rebuilds it"):
        reuse_or_clear(folder, "data.init_args.benchmark")
    monkeypatch.setenv("OVERWRITE", "1")
    assert reuse_or_clear(folder, "data.init_args.benchmark") is False and not folder.exists()
    folder.mkdir()
    (folder / "COMPLETE").write_text("{}")
    assert reuse_or_clear(folder, "data.init_args.benchmark") is True


def test_datamodule_reads_an_asvspoof_tree_by_attack(tiny_audio_tree):
    data = AudioTreeDataModule(
        root=str(tiny_audio_tree), max_samples=8000, loader=Loader(batch_size=4)
    )
    data.setup("fit")
    assert data.generators == ["S01", "S02", "S03", "S04"]  # from the protocols
    reals, fakes = data.split("train")
    assert reals.shape == (6, 8000) and [len(f) for f in fakes] == [3, 3, 0, 0]
    waves, _, _ = next(iter(data.test_dataloader()))
    assert waves.dtype == torch.float32 and waves.shape == (4, 8000)
    test = [data.test_dataloader().dataset[i] for i in range(18)]
    assert [int(c) for _, _, c in test] == [-1] * 6 + [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert len(data.benchmark.digest()) == 12  # the protocols' hash, in every record


def audio_args(tree: Path, detector: str, rows: str) -> list[str]:
    return ["--config", str(PROJECT / "configs/audio.yaml"), f"--data.init_args.root={tree}",
            "--data.init_args.max_samples=8000", "--data.init_args.loader={batch_size: 4}",
            "--trainer.max_epochs=1", "--trainer.limit_train_batches=1",
            "--trainer.enable_progress_bar=false", "--model.init_args.bootstrap=0",
            f"--model.init_args.detector={detector}", f"--model.init_args.train_generators={rows}"]  # fmt: skip


GMM = "{name: lfcc_gmm, args: {n_components: 2, max_iter: 5, crop: 4000}}"


@pytest.fixture(scope="module")
def audio_run(tiny_audio_tree):
    cli = ReproCLI(PROJECT.name, "audio", args=audio_args(tiny_audio_tree, GMM, "[[S01, S02]]"))
    return cli, cli.fit_and_test()


@pytest.mark.slow
def test_audio_matrix_reports_every_attack_of_the_pooled_row(audio_run):
    cli, summary = audio_run
    best = summary["best"]
    for attack in ("S01", "S02", "S03", "S04"):
        assert 0.0 <= best[f"test/S01+S02/{attack}/eer"] <= 1.0
        assert (
            best[f"test/S01+S02/{attack}/n_fake"] == 3
            and best[f"test/S01+S02/{attack}/n_real"] == 6
        )
    assert {"test/S01+S02/auc_seen", "test/S01+S02/auc_unseen"} <= set(best)
    cells = json.loads((Path(summary["run_dir"]) / "cells-best.json").read_text())
    assert [c["test_generator"] for c in cells] == ["S01", "S02", "S03", "S04"]
    assert {c["track"] for c in cells} == {"audio"}
    assert cells[0]["benchmark_hash"] == cli.datamodule.benchmark.digest()


@pytest.mark.slow
def test_a_row_on_an_eval_only_attack_is_refused(tiny_audio_tree):
    cli = ReproCLI(PROJECT.name, "audio", args=audio_args(tiny_audio_tree, GMM, "[S03]"))
    with pytest.raises(ConfigError, match=r"train_generators.*\['S03'\].*eval-only attack"):
        cli.fit_and_test()


@pytest.mark.slow
def test_predict_scores_audio_files_and_writes_asvspoof_score_files(
    audio_run, tiny_audio_tree, tmp_path, capsys
):
    _, summary = audio_run
    checkpoint = Path(summary["run_dir"]) / "checkpoints" / "last.ckpt"
    flac = next((tiny_audio_tree / "ASVspoof2019_LA_eval" / "flac").glob("*.flac"))
    assert main([str(checkpoint), str(flac)]) == 0
    path, probability = capsys.readouterr().out.strip().split("\t")
    assert path == str(flac) and 0.0 <= float(probability) <= 1.0
    assert main([str(checkpoint), str(tmp_path / "x.png")]) == 2  # an image for an audio model

    scores = tmp_path / "scores.txt"
    args = [str(checkpoint), "--dataset", "asvspoof2019_la", "--root", str(tiny_audio_tree)]
    assert main([*args, "--scores", str(scores)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(k for k in report if k.startswith("eer/")) == [f"eer/S0{i}" for i in range(1, 5)]
    key = {u.utterance: u.label for u in read_asvspoof2019_la(tiny_audio_tree, "eval")}
    labels, ours = read_scores_against_key(scores, key, check_sign=False)
    from deepfake_bench.metrics import eer

    assert eer(labels, ours)[0] == pytest.approx(report["eer"])  # the file is ASVspoof-signed
    assert main([*args, "--scores", str(scores)]) == 2  # never overwritten
    assert "does not exist yet" in capsys.readouterr().err
    assert np.isfinite(ours).all()
