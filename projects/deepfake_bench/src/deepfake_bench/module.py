"""The cross-generator protocol as one LightningModule: one independent detector per row.

Row r is fitted on real-train vs the fakes of its training generator(s) only (a string: one
generator, the matrix's row; a list: those generators pooled, e.g. leave-one-out). All rows
see the same real batches and train side by side; their parameters are disjoint, so one Adam
over all of them is the same as one Adam per row. Before the first step, each detector's
:meth:`~deepfake_bench.detectors.base.Detector.prepare` gets the row's whole training split
(closed-form fits; real-only pretraining is done once, shared by the rows and cached beside
the benchmark build).

Validation scores each row on its *own* generator(s) only (``val/auc_id``, the checkpoint
monitor): no test generator, no test data is used for selection. Test scores every row on
every generator's column against the same real test set: ``test/<row>/<column>/<metric>`` for
every cell, ``test/auc_id``, ``test/auc_ood``, ``test/auc_drop`` (spec §5) over the square part,
``test/logo/<generator>/auc`` and ``test/auc_logo`` for leave-one-out rows; with ``bootstrap``
the 95 % CIs of every clean cell's AUC and EER and of ``auc_id``, ``auc_ood``, ``auc_drop``
(``test/auc_id_ci95_low`` ...); with ``test_perturbations`` the same summaries as
``test/<perturbation>/...`` (robustness, without CIs); with a new real source in the data
(BioDeepAV-style) every clean cell again against it, as ``test/novel_real/...``; per row ``auc_seen`` / ``auc_unseen``; and the
per-cell records in the run folder (``cells-last.json``, ``cells-best.json``).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepfake_bench import catalog  # noqa: F401  (fills the registries)
from deepfake_bench.perturbations import parse, perturb
from deepfake_bench.protocols import (
    NOVEL_REAL,
    REAL,
    logo_aucs,
    matrix_cells,
    seen_unseen,
    square_summary,
    summary_bootstrap,
    validation_aucs,
)
from deepfake_bench.registry import DETECTORS
from shared.errors import ConfigError
from shared.machine import describe_machine
from shared.optim import OptimizerCallable
from shared.provenance import code_paths, head_commit, tree_dirty


@dataclass(frozen=True)
class DetectorSpec:
    """A detector by its name in ``DETECTORS`` and its builder's arguments.

    Args:
        name: ``spectrum_lr``, ``cnndet_lite``, ``f3net_lite``, ``probe_lite``, ...
        args: keyword arguments of that builder (e.g. ``{size: full}`` for the original).
    """

    name: str = "cnndet_lite"
    args: dict[str, Any] = field(default_factory=dict)

    def build(self) -> nn.Module:
        return DETECTORS.build(self.name, **self.args)


def adam(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)


def trainable_optimizer(module: pl.LightningModule) -> torch.optim.Optimizer:
    """``module.optimizer`` over its trainable parameters; a closed-form detector gets one too
    and steps it without gradients (a no-op), so that Lightning counts its steps and writes its
    checkpoints."""
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise ConfigError(
            "model.init_args.detector", module.detector_name, "a detector with parameters"
        )
    return module.optimizer(params)


class CrossGeneratorMatrix(pl.LightningModule):
    """Args:
    detector: the detector every row trains (one copy per row).
    train_generators: the rows: a generator name, or a list of names pooled into one row.
    optimizer: the optimiser over every row's trainable parameters.
    threshold: the decision threshold on P(fake) for accuracy (DeepfakeBench: 0.5).
    bootstrap: stratified bootstrap resamples for the test cells' 95 % CIs (0: none).
    test_perturbations: the robustness protocol: every test image also scored perturbed
        (``jpeg90``, ``blur0.5``, ``resize0.5``, ...; :mod:`deepfake_bench.perturbations`).
    """

    monitor, monitor_mode = "val/auc_id", "max"

    def __init__(
        self,
        detector: DetectorSpec = DetectorSpec(),
        train_generators: list[str | list[str]] | None = None,
        optimizer: OptimizerCallable = adam,
        threshold: float = 0.5,
        bootstrap: int = 0,
        test_perturbations: list[str] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(detector, dict):  # as a checkpoint's hyperparameters hold it
            detector = DetectorSpec(**detector)
        self.save_hyperparameters(ignore=["optimizer"])
        self.detector_name, self.detector_args = detector.name, dict(detector.args)
        rows = train_generators or ["upsample_nn", "pca_gauss", "conv_ae", "dcgan", "ddpm"]
        self.rows = [[r] if isinstance(r, str) else list(r) for r in rows]
        self.row_names = ["+".join(r) for r in self.rows]
        self.detectors = nn.ModuleList(detector.build() for _ in self.rows)
        self.optimizer, self.threshold, self.bootstrap = optimizer, threshold, bootstrap
        self.test_perturbations = list(test_perturbations or [])
        for name in self.test_perturbations:
            parse(name)
        self.automatic_optimization = False
        self.augment_rng = torch.Generator().manual_seed(0)
        self._started = time.monotonic()
        self._outputs: dict[str, list[tuple[Tensor, Tensor, Tensor]]] = {}

    # ---------------------------------------------------------------- setup

    def row_indices(self) -> list[list[int]]:
        """Each row's generators as indices into the data's generator list."""
        columns = self.trainer.datamodule.generators
        for row in self.rows:
            for name in row:
                if name not in columns:
                    raise ConfigError(
                        "model.init_args.train_generators", name, f"one of the data's {columns}"
                    )
        return [[columns.index(n) for n in row] for row in self.rows]

    def setup(self, stage: str) -> None:
        """The data's modality must be the detector's (an image detector cannot read audio)."""
        self.detectors[0].check_modality(getattr(self.trainer.datamodule, "modality", "image"))

    def on_fit_start(self) -> None:
        self._started = time.monotonic()
        self.augment_rng.manual_seed(int(torch.randint(2**31, (1,))))
        reals, fakes = self.trainer.datamodule.split("train")
        for row in self.rows:
            if empty := [
                n for n in row if not len(fakes[self.trainer.datamodule.generators.index(n)])
            ]:
                raise ConfigError(
                    "model.init_args.train_generators", empty,
                    "generators with fakes in the data's training split (an eval-only attack "
                    "cannot train a row)",
                )  # fmt: skip
        shared = self.cached_preparation()
        for detector, indices in zip(self.detectors, self.row_indices(), strict=True):
            if getattr(detector, "real_only_preparation", False) and shared is not None:
                detector.load_preparation(shared)
                continue
            detector.prepare(reals, torch.cat([fakes[k] for k in indices]))
            if getattr(detector, "real_only_preparation", False):
                shared = detector.preparation_state()
                self.cache_preparation(shared)

    def preparation_file(self) -> Path | None:
        """Where a real-only preparation (``probe_lite``'s encoder) is cached: beside the
        benchmark it was fitted on, keyed by the detector's settings and the run's seed."""
        folder = getattr(self.trainer.datamodule, "folder", None)
        if folder is None or not getattr(self.detectors[0], "real_only_preparation", False):
            return None
        spec = json.dumps([self.detector_name, self.detector_args, torch.initial_seed()],
                          sort_keys=True, default=str)  # fmt: skip
        return Path(folder) / "prepared" / f"{hashlib.sha256(spec.encode()).hexdigest()[:12]}.pt"

    def cached_preparation(self) -> dict[str, Tensor] | None:
        path = self.preparation_file()
        return torch.load(path, weights_only=True) if path and path.is_file() else None

    def cache_preparation(self, state: dict[str, Tensor]) -> None:
        if (path := self.preparation_file()) and not path.exists():
            path.parent.mkdir(exist_ok=True)
            torch.save(state, path)

    def configure_optimizers(self):
        return trainable_optimizer(self)

    # ---------------------------------------------------------------- training

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        reals, fakes = batch  # (B, 3, H, W), (B, K, 3, H, W)
        losses = []
        for detector, indices in zip(self.detectors, self.row_indices(), strict=True):
            fake = fakes[:, indices].flatten(0, 1)
            images = detector.augment(torch.cat([reals, fake]).cpu(), self.augment_rng)
            labels = torch.cat([torch.zeros(len(reals)), torch.ones(len(fake))])
            weights = torch.cat(  # class-balanced: reals and fakes weigh half each
                [
                    torch.full((len(reals),), 0.5 / len(reals)),
                    torch.full((len(fake),), 0.5 / len(fake)),
                ]
            )
            logits = detector(images.to(self.device))
            bce = F.binary_cross_entropy_with_logits(logits, labels.to(logits), reduction="none")
            losses.append((bce * weights.to(bce)).sum())
        loss = torch.stack(losses).sum()
        optimizer = self.optimizers()
        optimizer.zero_grad()
        if self.detectors[0].trains_by_gradient:
            self.manual_backward(loss)
        optimizer.step()  # without gradients (closed form): changes nothing, counts the step
        self.log("train/loss", loss / len(losses), prog_bar=True, batch_size=len(reals))
        return loss / len(losses)

    # ---------------------------------------------------------------- evaluation

    def _score(self, batch: tuple[Tensor, Tensor, Tensor], perturbations=("",)) -> None:
        images, labels, generators = batch
        for name in perturbations:
            inputs = perturb(images.cpu(), name).to(images.device) if name else images
            probs = torch.stack([d.predict_proba(inputs) for d in self.detectors], 1)
            self._outputs.setdefault(name, []).append(
                (probs.float().cpu(), labels.cpu(), generators.cpu())
            )

    def validation_step(self, batch, batch_idx: int) -> None:
        self._score(batch)

    def test_step(self, batch, batch_idx: int) -> None:
        self._score(batch, ("", *self.test_perturbations))

    def _gather(self, name: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probs, labels, generators = (
            torch.cat(t).double().numpy() for t in zip(*self._outputs.pop(name), strict=True)
        )
        return probs, labels, generators.astype(int)

    def on_validation_epoch_end(self) -> None:
        probs, labels, generators = self._gather()
        if self.trainer.sanity_checking:  # a few batches: not every row's classes are in them
            return
        values = validation_aucs(probs, labels, generators, self.row_indices(), self.row_names)
        for name, value in zip(self.row_names, values, strict=True):
            self.log(f"val/{name}/auc", value)
        self.log("val/auc_id", float(np.mean(values)), prog_bar=True)

    def on_test_epoch_end(self) -> None:
        columns = self.trainer.datamodule.generators
        cells = []
        for perturbation in ("", *self.test_perturbations):
            scores = self._gather(perturbation)
            novel = not perturbation and (scores[2] == NOVEL_REAL).any()
            bootstrap = 0 if perturbation else self.bootstrap  # CIs of the clean cells only
            for real in [REAL, NOVEL_REAL] if novel else [REAL]:
                found = matrix_cells(
                    *scores, self.rows, columns, self.threshold, bootstrap, real=real
                )
                prefix = "test/" + (f"{perturbation}/" if perturbation else "")
                self.log_cells(found, columns, prefix + ("novel_real/" if real != REAL else ""))
                cells += [{"perturbation": perturbation or "none", **c} for c in found]
            if not perturbation and (
                ci := summary_bootstrap(*scores, self.rows, columns, bootstrap)
            ):
                for key, (low, high) in ci.items():
                    self.log(f"test/{key}_ci95_low", low)
                    self.log(f"test/{key}_ci95_high", high)
        self.write_cells(cells)

    def log_cells(self, cells: list[dict], columns: list[str], prefix: str) -> None:
        """Every clean cell's metrics, and the summaries of every (perturbed) matrix."""
        for row, (seen, unseen) in seen_unseen(cells).items():
            self.log(f"{prefix}{row}/auc_seen", seen)
            if unseen is not None:
                self.log(f"{prefix}{row}/auc_unseen", unseen)
        if prefix == "test/":
            for cell in cells:
                where = f"{prefix}{'+'.join(cell['train_generators'])}/{cell['test_generator']}"
                for key, value in cell.items():
                    if isinstance(value, (int, float)):
                        self.log(f"{where}/{key}", float(value))
        if (summary := square_summary(cells, self.row_names, columns)) is not None:
            self.log(f"{prefix}auc_id", summary.in_distribution)
            self.log(f"{prefix}auc_ood", summary.out_of_distribution)
            self.log(f"{prefix}auc_drop", summary.drop)
        if held_out := logo_aucs(cells, columns):
            for generator, value in held_out.items():
                self.log(f"{prefix}logo/{generator}/auc", value)
            self.log(f"{prefix}auc_logo", float(np.mean(list(held_out.values()))))

    def write_cells(self, cells: list[dict]) -> None:
        write_cells(self.trainer, self.detector_name, cells, self._started)


def write_cells(trainer: pl.Trainer, detector: str, cells: list[dict], started: float) -> None:
    """The per-cell records beside metrics.json: spec §10's fields (the config hash is the
    benchmark's; ``wall_seconds`` counts from ``started``, the start of fitting)."""
    log_dir = trainer.log_dir
    if not log_dir or not trainer.is_global_zero:
        return
    data = trainer.datamodule
    provenance = {
        "benchmark_hash": data.benchmark.digest(),
        "git_commit": head_commit(),
        "git_dirty": tree_dirty(code_paths("deepfake_bench")),
        "machine": describe_machine(),
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    records = [
        {"track": data.modality, "detector": detector, "seed": int(data.benchmark.seed),
         **cell, **provenance}
        for cell in cells
    ]  # fmt: skip
    # the CLI tests the last weights, then the best-on-validation checkpoint
    done = (Path(log_dir) / "cells-last.json").exists()
    target = Path(log_dir) / ("cells-best.json" if done else "cells-last.json")
    target.write_text(json.dumps(records, indent=1) + "\n")
