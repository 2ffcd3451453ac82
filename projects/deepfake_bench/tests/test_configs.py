"""Every config in configs/ is parsed by the repository CLI and run in-process, shrunk (a tiny
DFB-Synth build in the test's temporary folder)."""

import json
from pathlib import Path

import pytest
from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.perturbations import parse
from deepfake_bench.registry import DETECTORS

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]
TRAINING = [  # external_*.yaml are predict's (tests/test_predict.py)
    p for p in (PROJECT / "configs").rglob("*.yaml") if not p.name.startswith("external_")
]
CONFIGS = sorted(p for p in TRAINING if "synth_image" in p.read_text())  # the image track's
AUDIO_CONFIGS = sorted(p for p in TRAINING if "synth_audio" in p.read_text())
AV_CONFIGS = sorted(p for p in TRAINING if "synth_av" in p.read_text())
TINY_GENERATORS = (
    "{upsample_nn: {}, pca_gauss: {n_components: 4}, conv_ae: {steps: 1, width: 8},"
    " dcgan: {steps: 1, batch_size: 4, width: 8},"
    " ddpm: {steps: 1, timesteps: 4, sample_steps: 2, base: 8}}"
)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """One data root for the module: tests with the same tiny benchmark reuse its build."""
    return tmp_path_factory.mktemp("data")


def shrink(data_root: Path) -> list[str]:
    return [
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=1",
        "--trainer.enable_progress_bar=false",
        "--model.init_args.bootstrap=0",
        f"--data.init_args.data_root={data_root}",
        f"--data.init_args.benchmark.generator_args={TINY_GENERATORS}",
        "--data.init_args.benchmark.n_real=[16, 8, 8]",
        "--data.init_args.benchmark.n_fake=[8, 4, 8]",
        "--data.init_args.benchmark.n_novel_real=8",
        "--data.init_args.loader={batch_size: 8}",
    ]


def test_every_config_is_covered():
    assert {p.name for p in CONFIGS} >= {
        "default.yaml",
        "smoke.yaml",
        "logo.yaml",
        "robustness.yaml",
        "biodeep_style.yaml",
        "full.yaml",
    }
    assert (PROJECT / "configs" / "external_biodeepav.yaml").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_config_runs_shrunk(config, data_root):
    args = ["--config", str(config), *shrink(data_root)]
    if config.stem != "smoke":
        args.append("--model.init_args.detector.args={stem_stride: 2, widths: [8, 16]}")
    if config.stem in (
        "robustness",
        "full",
    ):  # every name of the config is valid; run one of each kind
        names = ReproCLI(PROJECT.name, config.stem, args=args, instantiate=False).config
        assert [parse(n) for n in names.model.init_args.test_perturbations] == [
            ("jpeg", 90), ("jpeg", 70), ("jpeg", 50), ("blur", 0.5), ("blur", 1), ("resize", 0.5),
        ]  # fmt: skip
        args.append("--model.init_args.test_perturbations=[jpeg50, blur1, resize0.5]")
    cli = ReproCLI(PROJECT.name, config.stem, args=args)
    summary = cli.fit_and_test()
    rows, columns = cli.model.row_names, cli.datamodule.generators
    for row in rows:
        for column in columns:
            assert 0.0 <= summary["last"][f"test/{row}/{column}/auc"] <= 1.0
    summaries = {
        "logo": {"test/auc_logo"},
        "biodeep_style": {f"test/{r}{rows[0]}/auc_{s}" for r in ("", "novel_real/")
                          for s in ("seen", "unseen")},
    }.get(config.stem, {"test/auc_id", "test/auc_drop"})  # fmt: skip
    if config.stem in ("robustness", "full"):
        summaries |= {f"test/{p}/auc_id" for p in ("jpeg50", "blur1", "resize0.5")}
    assert summaries <= set(summary["best"])
    cells = json.loads((Path(summary["run_dir"]) / "cells-best.json").read_text())
    # clean cells against each real set (the new one where the build has it), perturbed ones
    # against the training photos' reals only
    real_sources = 2 if cli.datamodule.benchmark.novel_real_sources else 1
    per_cell = real_sources + len(cli.model.test_perturbations)
    assert len(cells) == len(rows) * len(columns) * per_cell
    assert cells[0]["detector"] == cli.model.detector_name
    assert cells[0]["benchmark_hash"] == cli.datamodule.benchmark.digest()
    assert {"git_commit", "machine", "wall_seconds", "seed", "track", "real_source"} <= set(
        cells[0]
    )


@pytest.mark.parametrize("config", AUDIO_CONFIGS, ids=lambda p: p.stem)
def test_audio_configs_train_rows_on_attacks_their_data_trains_on(config):
    """Run on a tiny tree in test_audio_track.py; here: every row's attacks have training data."""
    cli = ReproCLI(PROJECT.name, config.stem, args=["--config", str(config)], instantiate=False)
    model, data = cli.config.model.init_args, cli.config.data.init_args
    assert data.max_samples >= model.detector.args.get("crop", 16_000)
    rows = [[r] if isinstance(r, str) else r for r in model.train_generators]
    if data.root:  # the official tree: A01-A06 train, A07-A19 eval only
        assert data.root.endswith("ASVspoof2019_LA") and rows == [[f"A0{i}" for i in range(1, 7)]]
    else:
        assert all(set(r) <= set(data.benchmark.seen_attacks) for r in rows)


@pytest.mark.parametrize("config", AV_CONFIGS, ids=lambda p: p.stem)
def test_av_configs_train_on_in_distribution_methods_of_their_build(config):
    """Run on a tiny build in test_av_track.py; here: the row is the ID methods (its default)."""
    from deepfake_bench.av_module import ID_METHODS

    cli = ReproCLI(PROJECT.name, config.stem, args=["--config", str(config)], instantiate=False)
    model = cli.config.model.init_args
    assert model.detector.name == "av_late_fusion"
    assert (model.train_methods or ID_METHODS) == ID_METHODS


def test_every_training_config_is_of_one_track():
    assert len(CONFIGS) + len(AUDIO_CONFIGS) + len(AV_CONFIGS) == len(TRAINING)


def test_default_config_is_the_image_matrix_of_cnndet_lite():
    cli = ReproCLI(PROJECT.name, "default", args=["--config", str(PROJECT / "configs/default.yaml")],
                   instantiate=False)  # fmt: skip
    config = cli.config
    model, data = config.model.init_args, config.data.init_args
    assert model.detector.name == "cnndet_lite"
    assert model.train_generators == list(data.benchmark.generators)
    assert list(data.benchmark.generators) == ["upsample_nn", "pca_gauss", "conv_ae", "dcgan",
                                               "ddpm"]  # fmt: skip
    assert model.optimizer.class_path == "torch.optim.Adam"
    assert list(data.benchmark.n_real) == [1200, 200, 400]
    assert list(data.benchmark.n_fake) == [600, 100, 400]


@pytest.mark.slow
def test_probe_encoder_is_pretrained_once_and_cached_beside_the_benchmark(data_root):
    args = ["--config", str(PROJECT / "configs/smoke.yaml"), *shrink(data_root),
            "--model.init_args.detector={name: probe_lite, args: {width: 8, pretrain_steps: 2}}"]  # fmt: skip
    first = ReproCLI(PROJECT.name, "smoke", args=args)
    first_summary = first.fit_and_test()
    cached = list((first.datamodule.folder / "prepared").glob("*.pt"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    second = ReproCLI(PROJECT.name, "smoke", args=args).fit_and_test()
    assert cached[0].stat().st_mtime_ns == stamp
    assert second["last"] == first_summary["last"]


def image_detectors() -> list:
    """Every image detector but smoke.yaml's own (``test_config_runs_shrunk`` runs that one)."""
    return [pytest.param(n, id=n) for n in DETECTORS
            if DETECTORS.entry(n).metadata["modality"] == "image" and n != "cnndet_lite"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", image_detectors())
def test_every_image_detector_runs_the_smoke_matrix(name, data_root):
    kwargs = json.dumps(dict(DETECTORS.entry(name).test_kwargs))
    args = ["--config", str(PROJECT / "configs/smoke.yaml"), *shrink(data_root),
            f"--model.init_args.detector={{name: {name}, args: {kwargs}}}"]  # fmt: skip
    summary = ReproCLI(PROJECT.name, "smoke", args=args).fit_and_test()
    assert 0.0 <= summary["last"]["test/auc_id"] <= 1.0


@pytest.mark.slow
def test_a_validation_split_without_fakes_is_one_clear_error(tmp_path, capsys):
    from shared.cli import main

    args = ["--config", str(PROJECT / "configs/smoke.yaml"), *shrink(tmp_path),
            "--data.init_args.benchmark.n_fake=[8, 0, 8]"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(PROJECT, args)
    assert exit_info.value.code == 2
    assert "split 'val', generator 'upsample_nn': only real items" in capsys.readouterr().err
