"""``--resume`` that cannot lie: the command's config must be the run's saved one.

A resumed run restores the checkpoint's optimiser, schedule and callbacks, so a changed value
would be recorded in ``config.yaml`` without being what the run does. Every differing key is
refused, except the run-control flags (:data:`RUN_CONTROL`) and a changed ``max_epochs``
where nothing reads the epoch budget (a schedule or curriculum built for it would not follow
another budget).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.errors import ConfigError

RUN_CONTROL = (
    "config",
    "resume",
    "threads",
    "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
)
BUDGET = "trainer.max_epochs"


class ResumeRefused(ConfigError):
    """``--resume`` with a config that is not the run's."""

    def __init__(self, message: str) -> None:
        super().__init__("--resume", True, "the run's own config")
        self.args = (message,)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists of dicts as ``{"a.b.0.c": leaf}``; lists of plain values are leaves."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat |= flatten(item, f"{prefix}.{key}" if prefix else str(key))
    return flat


def _is_run_control(key: str) -> bool:
    return any(key == k or key.startswith(f"{k}.") for k in RUN_CONTROL)


def comparable_config(dumped: str) -> dict[str, Any]:
    """A config dump (YAML) as flat pairs, without the run-control flags."""
    return {
        k: v for k, v in flatten(yaml.safe_load(dumped) or {}).items() if not _is_run_control(k)
    }


def differences(saved: dict[str, Any], current: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{key: (saved, current)}`` for every key whose value differs or exists on one side only."""
    missing = object()
    keys = sorted(set(saved) | set(current))
    pairs = {k: (saved.get(k, missing), current.get(k, missing)) for k in keys}
    shown = lambda v: "(absent)" if v is missing else v  # noqa: E731
    return {k: (shown(a), shown(b)) for k, (a, b) in pairs.items() if a != b}


def _saved(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ResumeRefused(
            f"--resume found no saved config at {path}, so it cannot check that this command "
            "continues that run with the same settings. Run without --resume to start a new run."
        )
    return comparable_config(path.read_text())


def check_resume_config(saved_path: Path, current: dict[str, Any]) -> None:
    """Refuse, naming each key, when the config differs from the run's in anything but the
    epoch budget (checked once the classes exist, :func:`check_resume_budget`)."""
    changed = {k: v for k, v in differences(_saved(saved_path), current).items() if k != BUDGET}
    if changed:
        listed = "; ".join(f"`{k}`: saved {a!r}, now {b!r}" for k, (a, b) in changed.items())
        raise ResumeRefused(
            f"--resume refused: this command's config differs from the run's "
            f"({saved_path}) in {listed}. A resumed run continues with the checkpoint's "
            "optimiser, schedule and callbacks, so it would not do what the new config says. "
            "Run without --resume to start a new run with these settings, or resume with the "
            "run's own settings."
        )


def max_epochs_readers(model: Any, callbacks: list[Any]) -> list[str]:
    """What reads ``trainer.max_epochs``: the module and callbacks say so with a
    ``reads_max_epochs`` attribute (a description, or ``None``)."""
    return [
        reader for obj in (model, *callbacks) if (reader := getattr(obj, "reads_max_epochs", None))
    ]


def check_resume_budget(
    saved_path: Path, current: dict[str, Any], model: Any, trainer: Any
) -> None:
    """A changed ``max_epochs`` is allowed only where no schedule or curriculum reads it."""
    saved = _saved(saved_path)
    if saved.get(BUDGET) == current.get(BUDGET):
        return
    if readers := max_epochs_readers(model, trainer.callbacks):
        raise ResumeRefused(
            f"--resume refused: `{BUDGET}` is {current.get(BUDGET)!r}, the run was started with "
            f"{saved.get(BUDGET)!r}, and {'; '.join(readers)} read(s) the epoch budget, so the "
            "resumed run would follow neither budget's schedule. Start a new run with the new "
            "budget instead."
        )
