"""The one training entry point every project's ``train.py`` calls.

``python train.py [--config configs/x.yaml] [--resume] [--threads N] [key=value overrides]``:
fit, then test the last and the best-on-validation checkpoints, then write
``runs/<project>/<config>/version_<N>/metrics.json``. Without ``--config`` the project's
``configs/default.yaml`` is used.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from jsonargparse import ArgumentError
from pytorch_lightning import LightningDataModule, LightningModule, Trainer
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger

from shared import runtime
from shared.checkpointing import RNGStateCallback, RunDir, resolve_run_dir
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.paths import runs_root

USER_ERRORS = (ConfigError, DatasetNotFoundError, DatasetFormatError)


class ReproCLI(LightningCLI):
    """LightningCLI with the repository's run layout, checkpointing and ``--resume``."""

    def __init__(self, project: str, config_name: str, **kwargs: Any) -> None:
        self.project, self.config_name = project, config_name
        self.run: RunDir | None = None
        super().__init__(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            run=False,
            seed_everything_default=0,
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
            "--resume", action="store_true", help="Continue the latest run of this config."
        )
        parser.add_argument(
            "--threads", type=int | None, default=None, help="torch intra-op threads."
        )

    def before_instantiate_classes(self) -> None:
        runtime.configure_threads(self.config.threads)
        runtime.seed_everything(self.config.seed_everything)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        self.run = resolve_run_dir(
            runs_root() / self.project / self.config_name, self.config.resume
        )
        self.save_config_kwargs = {"overwrite": self.config.resume}
        model = self.model
        config = {**self._get(self.config_init, "trainer", default={}), **kwargs}
        config["logger"] = CSVLogger(
            save_dir=runs_root() / self.project, name=self.config_name, version=self.run.version
        )
        config["callbacks"] = [
            *(config.get("callbacks") or []),
            ModelCheckpoint(  # the best epoch on validation (Lightning's `save_last` would only
                # refresh last.ckpt when a new best is saved, so "last" is its own callback)
                dirpath=self.run.checkpoints,
                filename="best-epoch{epoch:03d}",
                auto_insert_metric_name=False,
                monitor=getattr(model, "monitor", None),
                mode=getattr(model, "monitor_mode", "min"),
            ),
            ModelCheckpoint(
                dirpath=self.run.checkpoints,
                filename="last",
                enable_version_counter=False,
            ),
            RNGStateCallback(),
        ]
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
        checkpoint = trainer.checkpoint_callbacks[0]
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
            "run_dir": str(self.run.path),
        }
        if trainer.is_global_zero:
            (self.run.path / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def _config_name(argv: list[str]) -> str:
    names = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in ("-c", "--config")]
    names += [arg.split("=", 1)[1] for arg in argv if arg.startswith("--config=")]
    return Path(names[-1]).stem if names else "default"


def _with_default_config(project_dir: Path, argv: list[str]) -> list[str]:
    if any(arg in ("-c", "--config") or arg.startswith("--config=") for arg in argv):
        return argv
    return ["--config", str(project_dir / "configs" / "default.yaml"), *argv]


def explain_parse_error(error: Exception) -> str:
    """Reduce jsonargparse's nested report to the one fact the user must fix."""
    text = str(error)
    if found := re.search(r"Config field `[^`]+` is .*?, expected [^\n]*", text):
        return found.group(0)
    unknown = re.findall(r"Option '([^']+)' is not accepted|No action for key \"?([\w.]+)", text)
    keys = sorted({key for pair in unknown for key in pair if key})
    if keys:
        return f"unknown config key(s) {', '.join(f'`{k}`' for k in keys)}."
    return text.strip().splitlines()[0] if text.strip() else repr(error)


def user_error(message: str) -> None:
    """Print one paragraph to stderr and exit with status 2 (a usage error, not a crash)."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(2)


def _user_error_in_chain(error: BaseException) -> BaseException | None:
    """The ConfigError/dataset error behind ``error``, however deep a library wrapped it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, USER_ERRORS):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def main(project_dir: str | Path, args: list[str] | None = None) -> dict[str, Any] | None:
    """Run a project's training from its command line (or ``args``); return the run's metrics."""
    project_dir = Path(project_dir).resolve()
    argv = _with_default_config(project_dir, list(sys.argv[1:] if args is None else args))
    try:
        with warnings.catch_warnings():
            # we pass the command line on as `args` (to add the default config): not a mistake
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
            cli = ReproCLI(project_dir.name, _config_name(argv), args=argv)
        return cli.fit_and_test()
    except ArgumentError as error:
        user_error(
            f"the configuration was rejected: {explain_parse_error(error)} Check the keys and "
            "values against `python train.py --print_config`, which prints every valid key with "
            "its default."
        )
    except Exception as error:
        if (cause := _user_error_in_chain(error)) is None:
            raise
        user_error(str(cause))
    return None
