"""The reproduction end to end on a tiny benchmark: two detectors, one seed, both sweeps."""

from __future__ import annotations

import dataclasses
import json

import pytest
from deepfake_bench import reproduce

from shared.results import load_results
from shared.sweep import run
from shared.testing.sweeps import shrunk

TINY = (
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--model.init_args.bootstrap=5",
    "--data.init_args.loader.batch_size=8",
    "--data.init_args.benchmark.n_real=[32, 16, 16]",
    "--data.init_args.benchmark.n_fake=[16, 8, 16]",
    "--data.init_args.benchmark.n_novel_real=16",
    "--data.init_args.benchmark.generator_args={pca_gauss: {n_components: 8}, conv_ae: {steps: 2, "
    "width: 8}, dcgan: {steps: 2, batch_size: 8, width: 8}, ddpm: {steps: 2, timesteps: 10, "
    "sample_steps: 3, base: 8}}",
)
FAST = ("spectrum_lr", "cnndet_lite")
TINY_AUDIO = (
    "--trainer.max_epochs=1",
    "--model.init_args.bootstrap=5",
    "--data.init_args.benchmark.n_bonafide=[6, 4, 6]",
    "--data.init_args.benchmark.n_spoof=[3, 2, 3]",
    "--data.init_args.benchmark.n_speakers=[2, 2, 2]",
    "--data.init_args.benchmark.n_sentences=[6, 4, 6]",
    "--data.init_args.benchmark.spoofer_args={S01: {n_iter: 4}, S02: {n_iter: 4}}",
    "--data.init_args.build_workers=1",
)
TINY_AV = (
    "--trainer.max_epochs=1",
    "--model.init_args.bootstrap=5",
    "--data.init_args.benchmark={n_identities: [2, 2, 2], n_real: [2, 1, 2, 2], n_fake: [1, 1, 1,"
    " 1], n_sentences: [2, 2, 2, 2], generator_args: {steps: 2, width: 8}, spoofer_args: {S01:"
    " {n_iter: 4}}}",
    "--data.init_args.build_workers=1",
)


def run_fast(sweep, fast: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """``sweep`` with only the ``fast`` arms (and their views), one seed, ``overrides`` added."""
    arms = tuple(a for a in sweep.arms if a.key in fast)
    views = tuple(v for v in sweep.views if dict(v.where).get("detector", fast[0]) in fast)
    run(shrunk(dataclasses.replace(sweep, arms=arms, views=views), overrides=overrides))


def test_every_arm_names_an_existing_config_and_the_paper_cells_exist():
    labels = {m.label for m in reproduce.MATRIX.metrics}
    assert reproduce.SWEEPS[0] is reproduce.DEFAULT_RUN  # first: it times the benchmark build
    assert reproduce.DEFAULT_RUN.arms[0].configs == ("default.yaml",)
    tracks = {
        reproduce.AUDIO.name: reproduce.AUDIO_DETECTORS,
        reproduce.AV.name: reproduce.AV_DETECTORS,
    }
    for sweep in reproduce.SWEEPS:
        if sweep is not reproduce.DEFAULT_RUN:
            assert [a.key for a in sweep.arms] == list(tracks.get(sweep.name, reproduce.DETECTORS))
        for arm in sweep.arms:
            assert all((sweep.project_dir / "configs" / c).is_file() for c in arm.configs)
    for (setting, method, label), value in reproduce.MATRIX.paper.items():
        assert (setting, method) == (reproduce.SETTING, "f3net_lite") and label in labels
        assert value.source  # both come from ../shared/paper_numbers.md with their source
    assert [v.value for v in reproduce.MATRIX.paper.values()] == [96.35, 50.0]


@pytest.mark.slow
def test_the_reproduction_writes_tables_cells_views_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    for sweep in (reproduce.DEFAULT_RUN, reproduce.MATRIX, reproduce.LOGO):
        run_fast(sweep, FAST, TINY)
    out = tmp_path / "deepfake_bench"
    timed = load_results(out / "default_run" / "results.json")
    assert timed.rows[-1].metric.startswith("DFB-Synth build") and timed.rows[-1].ours.mean > 0
    results = load_results(out / "results.json")
    assert [(r.method, r.metric) for r in results.rows] == [
        (d, m.label) for d in FAST for m in reproduce.MATRIX_METRICS
    ]
    assert all(0 <= r.ours.values[0] <= 100 for r in results.rows if "drop" not in r.metric)
    # per detector: 6 rows x 5 columns clean against either real set, x 6 perturbations
    # against the training photos' reals, and 7 ID/OOD summaries
    per_detector = 6 * 5 * 2 + 6 * 5 * 6 + 7
    assert len(results.cells) == 2 * per_detector
    clean = [c for c in results.cells if c.coords.get("real_source") == "training_source"
             and c.coords["perturbation"] == "none" and c.coords["protocol"] == "matrix"]  # fmt: skip
    assert all(set(c.ci95) == {"auc", "eer"} for c in clean)
    assert all(c.run["git_commit"] and c.run["config_hash"] for c in results.cells)
    cells = json.loads((out / "cells.json").read_text())
    assert len(cells) == len(results.cells)
    table = (out / "results.md").read_text()
    assert "### cnndet_lite: AUC (%), train x test generator" in table
    assert "| train \\ test | upsample_nn | pca_gauss | conv_ae | dcgan | ddpm |" in table
    assert "spectrum_lr seed 0, AUC (%) with 95 % bootstrap CI: ID" in table
    assert f"not run: BioDeepAV not present at {tmp_path}" not in table  # DATA_ROOT, not results
    assert "BioDeepAV: not run: BioDeepAV not present at" in table
    for name in ("matrices", "id_vs_ood", "robustness", "biodeep_style"):
        assert (out / f"{name}.png").stat().st_size > 0
    logo = load_results(out / "logo" / "results.json")
    assert [r.method for r in logo.rows] == list(FAST) and (out / "logo" / "logo.png").is_file()
    assert "### AUC (%) on the held-out generator" in (out / "logo" / "results.md").read_text()


@pytest.mark.slow
def test_the_audio_and_av_sweeps_write_per_attack_and_per_method_tables(
    tmp_path, monkeypatch, require_espeak
):
    require_espeak()
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path / "results"))
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "data"))
    run_fast(reproduce.AUDIO, ("lfcc_gmm",), TINY_AUDIO)
    run_fast(reproduce.AV, ("sync_lite",), TINY_AV)
    out = tmp_path / "results" / "deepfake_bench"
    audio = load_results(out / "audio" / "results.json")
    assert [r.metric for r in audio.rows] == [m.label for m in reproduce.AUDIO_METRICS]
    # 5 rows (4 attacks and the pooled S01+S02) x 4 eval attacks
    assert len(audio.cells) == 5 * 4
    table = (out / "audio" / "results.md").read_text()
    assert "### EER (%) per eval attack, trained on S01+S02" in table
    assert "### lfcc_gmm: EER (%), training attack x eval attack" in table
    for name in ("per_spoofer_eer", "per_spoofer_auc", "per_attack_eer"):
        assert (out / "audio" / f"{name}.png").stat().st_size > 0
    av = load_results(out / "av" / "results.json")
    assert [r.metric for r in av.rows] == [m.label for m in reproduce.AV_METRICS]
    assert len(av.cells) == 7 * 2  # every method against either real set
    assert (
        "### AUC (%) per method against the new real source"
        in (out / "av" / "results.md").read_text()
    )
    assert (out / "av" / "av_methods.png").stat().st_size > 0
