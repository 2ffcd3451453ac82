"""The one training entry point every project's ``train.py`` calls.

``python train.py [--config configs/x.yaml] [--resume] [--threads N] [--KEY=VALUE ...]``: fit,
then test the last and the best-on-validation checkpoints, write
``runs/<project>/<config>/version_<N>/metrics.json`` and print both sets of test metrics with
the run folder. Without ``--config`` the project's ``configs/default.yaml`` is used.
``--help`` prints the flags and the arguments of the config's model and data classes.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

from jsonargparse import ArgumentError
from pytorch_lightning import LightningDataModule, LightningModule, Trainer
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger

from shared import runtime
from shared.checkpointing import RNGStateCallback, RunDir, resolve_run_dir
from shared.cli_help import config_arguments, explain_parse_error, help_text
from shared.cli_resume import check_resume_budget, check_resume_config, comparable_config
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.paths import runs_root
from shared.provenance import relative_to_repo
from shared.quiet import quiet_lightning

USER_ERRORS = (ConfigError, DatasetNotFoundError, DatasetFormatError)


class RunProgressBar(TQDMProgressBar):
    """Lightning's progress bar without the logger version (always the run folder's)."""

    def get_metrics(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, Any]:
        items = super().get_metrics(trainer, pl_module)
        items.pop("v_num", None)
        return items


class ReproCLI(LightningCLI):
    """LightningCLI with the repository's run layout, checkpointing and ``--resume``.

    The DataModule's ``num_classes`` is passed to the model's ``num_classes`` (the class count is
    stated once, by the data). ``instantiate=False`` only parses and resolves the config
    (:attr:`config`), for sweeps that key their records by it.
    """

    def __init__(
        self, project: str, config_name: str, *, instantiate: bool = True, **kwargs: Any
    ) -> None:
        self.project, self.config_name = project, config_name
        self.instantiate = instantiate
        self.run: RunDir | None = None
        super().__init__(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            run=False,
            seed_everything_default=0,
            auto_configure_optimizers=False,
            trainer_defaults={
                "accelerator": runtime.accelerator(),
                "precision": runtime.precision(),
                "devices": 1,
                "max_epochs": 15,
            },
            parser_kwargs={"exit_on_error": False},
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Continue the latest run of this config (refused if the config differs).",
        )
        parser.add_argument(
            "--threads", type=int | None, default=None, help="torch intra-op threads."
        )
        parser.link_arguments(
            "data.num_classes", "model.init_args.num_classes", apply_on="instantiate"
        )

    @property
    def config_dir(self) -> Path:
        return runs_root() / self.project / self.config_name

    def comparable_config(self) -> dict[str, Any]:
        """The resolved config as flat ``key: value`` pairs, run-control flags left out."""
        return comparable_config(self.parser.dump(self.config, skip_unset=False))

    def before_instantiate_classes(self) -> None:
        runtime.configure_threads(self.config.threads)
        runtime.seed_everything(self.config.seed_everything)
        if self.instantiate and self.config.resume:
            self.run = resolve_run_dir(self.config_dir, resume=True)
            check_resume_config(self.run.path / "config.yaml", self.comparable_config())

    def instantiate_classes(self) -> None:
        if self.instantiate:
            super().instantiate_classes()

    def after_instantiate_classes(self) -> None:
        if self.instantiate and self.config.resume:
            check_resume_budget(
                self.run.path / "config.yaml", self.comparable_config(), self.model, self.trainer
            )

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        if self.run is None:
            self.run = resolve_run_dir(self.config_dir, resume=False)
        self.save_config_kwargs = {"overwrite": self.config.resume}
        model = self.model
        config = {**self._get(self.config_init, "trainer", default={}), **kwargs}
        config["logger"] = CSVLogger(
            save_dir=runs_root() / self.project, name=self.config_name, version=self.run.version
        )
        self.best_checkpoint = ModelCheckpoint(  # the best epoch on validation (Lightning's
            # `save_last` would only refresh last.ckpt when a new best is saved, so "last" is its
            # own callback below)
            dirpath=self.run.checkpoints,
            filename="best-epoch{epoch:03d}",
            auto_insert_metric_name=False,
            monitor=getattr(model, "monitor", None),
            mode=getattr(model, "monitor_mode", "min"),
        )
        config["callbacks"] = [
            *(config.get("callbacks") or []),
            self.best_checkpoint,
            ModelCheckpoint(
                dirpath=self.run.checkpoints,
                filename="last",
                enable_version_counter=False,
            ),
            RNGStateCallback(),
        ]
        if config.get("enable_progress_bar") is not False:
            config["callbacks"].append(RunProgressBar())
        extra = [
            self._get(self.config_init, key) for key in self._parser(self.subcommand).callback_keys
        ]
        return self._instantiate_trainer(config, extra)

    def fit_and_test(self) -> dict[str, Any]:
        """Fit (resuming if asked), test last and best, write and return the run's metrics."""
        trainer, model, data = self.trainer, self.model, self.datamodule
        with warnings.catch_warnings():
            if self.run.resume_from:  # appending to the run's own folder is the point of --resume
                warnings.filterwarnings("ignore", message=".*exists and is not empty")
            trainer.fit(model, datamodule=data, ckpt_path=self.run.resume_from)
        last = trainer.test(model, datamodule=data, verbose=False)[0]
        checkpoint = self.best_checkpoint
        best_path = checkpoint.best_model_path if checkpoint else ""
        best = (
            trainer.test(model, datamodule=data, ckpt_path=best_path, verbose=False)[0]
            if best_path
            else last
        )
        summary = {
            "project": self.project,
            "config": self.config_name,
            "seed": self.config.seed_everything,
            "epochs": trainer.current_epoch,
            "last": last,
            "best": best,
            "best_checkpoint": Path(best_path).name if best_path else None,
            "best_val": float(checkpoint.best_model_score)
            if checkpoint and checkpoint.best_model_score is not None
            else None,
            "monitor": getattr(model, "monitor", None),
            "run_dir": str(self.run.path),
        }
        if trainer.is_global_zero:
            (self.run.path / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def config_name(argv: list[str]) -> str:
    """The run's name: the stem of the last config file applied (``default`` without one)."""
    names = config_arguments(argv)
    return Path(names[-1]).stem if names else "default"


def with_default_config(project_dir: Path, argv: list[str]) -> list[str]:
    """``argv`` with ``--config configs/default.yaml`` in front when it names no config."""
    if config_arguments(argv):
        return argv
    return ["--config", str(project_dir / "configs" / "default.yaml"), *argv]


def user_error(message: str) -> None:
    """Print one paragraph to stderr and exit with status 2 (a usage error, not a crash)."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(2)


def user_error_in_chain(error: BaseException) -> BaseException | None:
    """The ConfigError/dataset error behind ``error``, however deep a library wrapped it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, USER_ERRORS):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _epoch_of(checkpoint: str | None) -> str:
    """``best-epoch009.ckpt`` -> ``"epoch 10"`` (1-based, as the progress bar counts)."""
    digits = "".join(c for c in (checkpoint or "") if c.isdigit())
    return f"epoch {int(digits) + 1}" if digits else "no checkpoint"


def format_summary(summary: dict[str, Any]) -> str:
    """The end-of-run report: test metrics of the last and the best-on-validation checkpoint."""
    best_val = summary.get("best_val")
    selected = f"{summary.get('monitor')} {best_val:.4f}" if best_val is not None else "no monitor"
    columns = (
        f"last (epoch {summary['epochs']})",
        f"best-val ({_epoch_of(summary['best_checkpoint'])}, {selected})",
    )
    keys = sorted(set(summary["last"]) | set(summary["best"]))
    width = max([len(k) for k in keys] + [6])
    lines = [
        f"Test metrics, seed {summary['seed']}:",
        f"  {'metric':<{width}}  {columns[0]:<16}  {columns[1]}",
    ]
    for key in keys:
        last, best = summary["last"].get(key), summary["best"].get(key)
        show = lambda v: "" if v is None else f"{v:.4f}"  # noqa: E731
        lines.append(f"  {key:<{width}}  {show(last):<16}  {show(best)}")
    run_dir = relative_to_repo(Path(summary["run_dir"]))
    lines.append(f"Run folder: {run_dir} (metrics.json, metrics.csv, config.yaml, checkpoints/)")
    return "\n".join(lines)


def main(project_dir: str | Path, args: list[str] | None = None) -> dict[str, Any] | None:
    """Run a project's training from its command line (or ``args``); return the run's metrics."""
    project_dir = Path(project_dir).resolve()
    argv = list(sys.argv[1:] if args is None else args)
    if "-h" in argv or "--help" in argv:
        print(help_text(project_dir, argv))
        return None
    argv = [("--help" if arg == "--help-all" else arg) for arg in argv]
    argv = with_default_config(project_dir, argv)
    try:
        with quiet_lightning():
            cli = ReproCLI(project_dir.name, config_name(argv), args=argv)
            summary = cli.fit_and_test()
    except ArgumentError as error:
        user_error(
            f"the configuration was rejected: {explain_parse_error(error)} Check the keys and "
            "values against `python train.py --help` (the model's and data's arguments) or "
            "`--print_config` (every key with its value)."
        )
    except Exception as error:
        if (cause := user_error_in_chain(error)) is None:
            raise
        user_error(str(cause))
    if summary and cli.trainer.is_global_zero:
        print(format_summary(summary), flush=True)
    return summary
