"""`make reproduce-deepfake_bench`: DFB-Synth's image track, every image detector, three sweeps.

0. ``python train.py`` itself (``configs/default.yaml``), seed 0, timed; first, so that on a
   fresh clone its time includes building DFB-Synth (``results/deepfake_bench/default_run/``).
1. ``configs/full.yaml``, seeds 0-2: per detector the 5x5 cross-generator AUC matrix, ID vs OOD
   with the drop and their bootstrap CIs, the same cells against a new real source, ID/OOD
   under JPEG, blur and resizing, and the survey's protocol in miniature: one more row trained
   on the "standard" generators pooled, read on seen and unseen generators against the
   training photos' reals and the new real source, beside the survey's BioDeepAV table.
2. Leave-one-generator-out (``configs/logo.yaml``), seed 0 (``results/deepfake_bench/logo/``).

Every number is the checkpoint selected on the training generators' validation AUC (``best``).
Both sweeps read one benchmark build (its seed is the config's, 0); the seed varies the
detectors' initialisation, augmentation and batch order. BioDeepAV itself is scored (by the
pooled row) only where it is present at ``<DATA_ROOT>/biodeepav``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from deepfake_bench.figures import (
    plot_heat_maps,
    plot_id_vs_ood,
    plot_results_panels,
    plot_robustness,
)
from deepfake_bench.predict import score_dataset
from shared.paths import data_root
from shared.provenance import relative_to_repo
from shared.results import CellView, PaperValue, Results
from shared.sweep import Arm, Metric, Records, Run, Sweep, run

GENERATORS = ("upsample_nn", "pca_gauss", "conv_ae", "dcgan", "ddpm")
PERTURBATIONS = ("jpeg90", "jpeg70", "jpeg50", "blur0.5", "blur1", "resize0.5")
STANDARD = "upsample_nn+pca_gauss+conv_ae"  # the biodeep_style row: the FF++ analogue
DETECTORS = {  # name -> the `detector` config of its arm (the CPU-scale builds)
    "spectrum_lr": "{name: spectrum_lr, args: {}}",
    "cnndet_lite": "{name: cnndet_lite, args: {stem_stride: 2}}",
    "f3net_lite": "{name: f3net_lite, args: {stem_stride: 2}}",
    "probe_lite": "{name: probe_lite, args: {}}",
}
CLOSED_FORM = {"spectrum_lr"}  # fitted before the first step: one epoch scores it
SETTING = "DFB-Synth image track (32 px, 5 generators, 400 real + 400 fake per column)"
SOURCE_SURVEY = "survey's BioDeepAV table, as quoted by DF-MoE Table 4 (secondary)"
SOURCE_DFB = "DeepfakeBench README, FF++ c23 frame AUC (primary)"
SURVEY = (  # ../shared/paper_numbers.md: (detector, BioDeepAV AUC, FF++ c23 frame AUC)
    ("Xception", 0.57, 0.9637),
    ("F3Net", 0.50, 0.9635),
    ("RECCE", 0.50, 0.9621),
    ("UCF", 0.49, 0.9705),
    ("StA", 0.62, None),
)


def arms(config: str, seeds: tuple[int, ...] | None = None) -> tuple[Arm, ...]:
    """One arm per detector on ``config``."""
    return tuple(
        Arm(
            name,
            (config,),
            (f"--model.init_args.detector={spec}",)
            + (("--trainer.max_epochs=1",) if name in CLOSED_FORM else ()),
            seeds=seeds,
        )
        for name, spec in DETECTORS.items()
    )


def _cell(cell: dict[str, Any], detector: str, protocol: str) -> dict[str, Any]:
    """A run's per-cell record (the module's ``cells-best.json``) as a :class:`Cell`'s parts."""
    train = "+".join(cell["train_generators"])
    coords = {
        "track": cell["track"], "protocol": protocol, "detector": detector, "train": train,
        "test": cell["test_generator"], "real_source": cell["real_source"],
        "perturbation": cell["perturbation"],
        "seen": "yes" if cell["test_generator"] in cell["train_generators"] else "no",
    }  # fmt: skip
    values = {k: float(v) for k, v in cell.items() if isinstance(v, int | float)}
    values.pop("seed", None)
    values.pop("wall_seconds", None)
    ci95 = {k.removesuffix("_ci95"): v for k, v in cell.items() if k.endswith("_ci95")}
    return {"coords": coords, "values": values, "ci95": ci95}


def _summaries(best: dict[str, float], detector: str) -> list[dict[str, Any]]:
    """The square matrix's ID / OOD / drop per perturbation (and the clean one's CIs)."""
    out = []
    for perturbation in ("none", *PERTURBATIONS):
        prefix = "test/" if perturbation == "none" else f"test/{perturbation}/"
        values = {k: best[prefix + k] for k in ("auc_id", "auc_ood", "auc_drop")}
        ci95 = {}
        if perturbation == "none":
            ci95 = {k: [best[f"test/{k}_ci95_low"], best[f"test/{k}_ci95_high"]] for k in values}
        coords = {"protocol": "summary", "detector": detector, "perturbation": perturbation}
        out.append({"coords": coords, "values": values, "ci95": ci95})
    return out


def biodeepav_root() -> Path:
    return data_root() / "biodeepav"


def biodeepav_cells(run: Run) -> list[dict[str, Any]]:
    """The run's detector scored on BioDeepAV (video level, 32 frames), where it is present."""
    detector = run.module.detectors[run.module.row_names.index(STANDARD)].eval()
    metrics = score_dataset(detector, "biodeepav", biodeepav_root(), frames=32)
    if metrics is None:
        return []
    coords = {"protocol": "external", "detector": run.arm.key, "train": STANDARD,
              "test": "BioDeepAV", "real_source": "BioDeepAV", "perturbation": "none"}  # fmt: skip
    ci95 = {k.removesuffix("_ci95"): v for k, v in metrics.items() if k.endswith("_ci95")}
    values = {k: float(v) for k, v in metrics.items() if not k.endswith("_ci95")}
    return [{"coords": coords, "values": values, "ci95": ci95}]


def measure_for(protocol: str):
    """``measure`` of a sweep: its runs' per-cell records (for the matrix also the summaries
    and, where it is present, BioDeepAV)."""

    def measure(run: Run) -> dict[str, Any]:
        cells = json.loads((run.run_dir / "cells-best.json").read_text())
        found = [_cell(c, run.arm.key, protocol) for c in cells]
        if protocol == "matrix":
            run.load_checkpoint("best")
            found += _summaries(run.summary["best"], run.arm.key) + biodeepav_cells(run)
        return {"cells": found}

    return measure


def biodeep_metric(real: str, seen: str) -> Metric:
    """The pooled row's AUC on its seen or unseen generators against either real set."""
    prefix = "best/test/" + ("novel_real/" if real == "new" else "")
    where = "new real source" if real == "new" else "training photos' reals"
    return Metric(
        f"{prefix}{STANDARD}/auc_{seen}", f"pooled row: AUC {seen} generators, {where} (%)", 100
    )


BIODEEP_METRICS = tuple(biodeep_metric(r, s) for r in ("train", "new") for s in ("seen", "unseen"))
MATRIX_METRICS = (
    Metric("best/test/auc_id", "AUC, seen generator (ID, %)", 100),
    Metric("best/test/auc_ood", "AUC, unseen generators (OOD, %)", 100),
    Metric("best/test/auc_drop", "AUC drop ID - OOD (points)", 100, (-100.0, 100.0)),
    Metric("best/test/novel_real/auc_id", "AUC ID, new real source (%)", 100),
    Metric("best/test/novel_real/auc_ood", "AUC OOD, new real source (%)", 100),
    *BIODEEP_METRICS,
)


def matrix_figures(results: Results, records: Records, out: Path) -> list[Path]:
    detectors = [arm.key for arm in records.sweep.arms]
    return [
        plot_heat_maps(results.cells, detectors, GENERATORS, out / "matrices.png"),
        plot_id_vs_ood(results.cells, detectors, out / "id_vs_ood.png"),
        plot_robustness(results.cells, detectors, PERTURBATIONS, out / "robustness.png"),
        plot_results_panels(
            results, [m.label for m in BIODEEP_METRICS], out / "biodeep_style.png",
            f"Trained on {STANDARD}: seen vs unseen generators, old vs new reals",
        ),
    ]  # fmt: skip


def ci_notes(records: Records) -> list[str]:
    """Per detector and seed: ID, OOD and drop with their 95 % bootstrap CIs."""
    notes = [
        "spectrum_lr is fitted in closed form on a fixed benchmark build, so its seeds give the "
        "same numbers (its std is 0 by construction, not by agreement)."
    ]
    for arm in records.sweep.arms:
        for seed in records.sweep.seeds_of(arm):
            v = records[arm.key, seed].values
            parts = [
                f"{label} {100 * v[f'best/test/{k}']:.1f} [{100 * v[f'best/test/{k}_ci95_low']:.1f}, "
                f"{100 * v[f'best/test/{k}_ci95_high']:.1f}]"
                for label, k in (("ID", "auc_id"), ("OOD", "auc_ood"), ("drop", "auc_drop"))
            ]
            notes.append(
                f"{arm.key} seed {seed}, AUC (%) with 95 % bootstrap CI: " + ", ".join(parts)
            )
    return notes


def survey_notes(records: Records) -> list[str]:
    """The survey's table as ../shared/paper_numbers.md records it, and whether BioDeepAV was
    scored (it is, where it is present at ``<DATA_ROOT>/biodeepav``)."""
    rows = "; ".join(
        f"{name} {auc:.2f}" + (f" (FF++ c23 {ident:.4f})" if ident else "")
        for name, auc, ident in SURVEY
    )
    scored = any(
        c["coords"]["protocol"] == "external"
        for record in records.by_key.values()
        for c in record.extras.get("cells", [])
    )
    return [
        f"Survey (not reproduced: other data and detectors): BioDeepAV AUC of FF++-trained "
        f"detectors, {SOURCE_SURVEY}: {rows}; the in-distribution FF++ c23 frame AUCs are the "
        "DeepfakeBench README's. Our analogue of that drop: the pooled row's 'AUC seen "
        "generators, training photos' reals' vs its 'AUC unseen generators, new real source'; "
        "f3net_lite's paper cells are F3Net's (another setting: no difference is computed).",
        "BioDeepAV: scored by each detector's pooled row in cells.json (protocol 'external')."
        if scored
        else f"BioDeepAV: not run: BioDeepAV not present at {relative_to_repo(biodeepav_root())} "
        "(nor DeepfakeBench's checkpoints, which cannot be downloaded here).",
    ]


def all_notes(records: Records) -> list[str]:
    return ci_notes(records) + survey_notes(records)


COMMON_NOTES = (
    "DFB-Synth is a synthetic analogue built here (real patches of 11 photos bundled with "
    "scikit-image and scikit-learn; fakes of five generators fitted on the training photos' "
    "patches; see the project README), not BioDeepAV: these numbers say how the detectors "
    "generalise across these generators, not what they score on BioDeepAV.",
    "Checkpoint selection: one epoch per run, by the mean over rows of each row's AUC on its "
    "own training generators' validation fakes (no test data).",
)


def view(title: str, rows: str, columns: str, metric: str, **where: str) -> CellView:
    return CellView(title, rows, columns, metric, tuple(where.items()), scale=100)


CLEAN = {"perturbation": "none"}
MATRIX_VIEWS = (
    *(
        view(f"{d}: AUC (%), train x test generator", "train", "test", "auc",
             protocol="matrix", detector=d, real_source="train_photos", **CLEAN)
        for d in DETECTORS
    ),
    view("ID AUC (%) under test-time perturbations", "detector", "perturbation", "auc_id",
         protocol="summary"),
    view("OOD AUC (%) under test-time perturbations", "detector", "perturbation", "auc_ood",
         protocol="summary"),
    *(
        view(f"Pooled row ({STANDARD}): AUC (%) per test generator, {label}", "detector",
             "test", "auc", protocol="matrix", train=STANDARD, real_source=source, **CLEAN)
        for source, label in (("train_photos", "training photos' reals"),
                              ("novel", "new real source"))
    ),
)  # fmt: skip


def percent(value: float, source: str) -> PaperValue:
    return PaperValue(round(100 * value, 2), source)


MATRIX = Sweep(
    project="deepfake_bench",
    title="Cross-generator matrix, ID vs OOD, robustness and the survey's protocol on DFB-Synth",
    setting=SETTING,
    arms=arms("full.yaml"),
    seeds=(0, 1, 2),
    metrics=MATRIX_METRICS,
    measure=measure_for("matrix"),
    figures=matrix_figures,
    notes=(
        *COMMON_NOTES,
        "Matrix rows: the training generator; columns: the test generator; every column uses "
        "the same 400 real test patches (3 held-out photos). New real source: 400 patches of 7 "
        f"grayscale photos, never trained on. The pooled row trains on {STANDARD} (the FF++ "
        "analogue); dcgan and ddpm are its unseen generators.",
    ),
    record_notes=all_notes,
    views=MATRIX_VIEWS,
    paper={  # F3Net's FF++ frame AUC and BioDeepAV AUC, in %
        (SETTING, "f3net_lite", BIODEEP_METRICS[0].label): percent(SURVEY[1][2], SOURCE_DFB),
        (SETTING, "f3net_lite", BIODEEP_METRICS[3].label): percent(SURVEY[1][1], SOURCE_SURVEY),
    },
)

LOGO_METRIC = Metric("best/test/auc_logo", "AUC on the held-out generator, mean (%)", 100)


def logo_figures(results: Results, records: Records, out: Path) -> list[Path]:
    title = "Leave-one-generator-out: mean AUC on the held-out generator"
    return [plot_results_panels(results, [LOGO_METRIC.label], out / "logo.png", title)]


LOGO = Sweep(
    project="deepfake_bench",
    name="deepfake_bench/logo",
    title="Leave-one-generator-out on DFB-Synth's image track",
    setting=SETTING,
    arms=arms("logo.yaml"),
    seeds=(0,),
    metrics=(LOGO_METRIC,),
    measure=measure_for("logo"),
    figures=logo_figures,
    notes=(
        *COMMON_NOTES,
        "Row j trains on every generator but the j-th (fakes pooled, balanced per generator) "
        "and is read on the one it left out; seed 0 only.",
    ),
    views=(
        view(
            "AUC (%) on the held-out generator",
            "detector",
            "test",
            "auc",
            protocol="logo",
            seen="no",
            real_source="train_photos",
            **CLEAN,
        ),
    ),
)


def build_time(run: Run) -> dict[str, Any]:
    """How long this run spent building DFB-Synth (0 when it found the build cached)."""
    return {"build_s": run.datamodule.build_seconds or 0.0}


DEFAULT_RUN = Sweep(
    project="deepfake_bench",
    name="deepfake_bench/default_run",
    title="`python train.py`: cnndet_lite's 5x5 matrix (configs/default.yaml), timed",
    setting=SETTING,
    arms=(Arm("cnndet_lite", ("default.yaml",)),),
    seeds=(0,),
    metrics=(
        *MATRIX_METRICS[:3],
        Metric("build_s", "DFB-Synth build within this run (s; 0: found cached)", 1, (0, 3600)),
    ),
    measure=build_time,
    notes=(
        "The first sweep of the reproduction: on a fresh clone its run builds the benchmark, "
        "so its wall time (the timing section of the project README) is what a first "
        "`python train.py` takes; one seed.",
    ),
)

SWEEPS = (DEFAULT_RUN, MATRIX, LOGO)


def main() -> int:
    for sweep in SWEEPS:
        run(sweep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
