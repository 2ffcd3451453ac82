"""Repository-rooted paths, so ``data/``, ``runs/`` and ``results/`` do not depend on the cwd."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


def _is_repo_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    return (
        pyproject.is_file()
        and (path / "projects").is_dir()
        and "[tool.uv.workspace]" in pyproject.read_text()
    )


@cache
def repo_root() -> Path:
    """The monorepo root: ``REPO_ROOT`` if set, else the workspace that holds this package.

    Falls back to searching upwards from the working directory, for a copy of ``shared``
    installed outside the checkout.
    """
    if env := os.environ.get("REPO_ROOT"):
        return Path(env).resolve()
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if _is_repo_root(candidate):
                return candidate
    raise RuntimeError(
        "Cannot find the repository root (a folder with pyproject.toml declaring "
        "[tool.uv.workspace] and a projects/ folder) above "
        f"{Path(__file__).resolve()} or {Path.cwd()}. Set REPO_ROOT to the checkout."
    )


def data_root(override: str | os.PathLike[str] | None = None) -> Path:
    """Dataset root: the config field if given, else ``DATA_ROOT``, else ``<repo>/data``."""
    if override:
        return Path(override).expanduser().resolve()
    if env := os.environ.get("DATA_ROOT"):
        return Path(env).expanduser().resolve()
    return repo_root() / "data"


def runs_root() -> Path:
    """Where single training runs write: ``<repo>/runs`` (``RUNS_ROOT`` overrides, for tests)."""
    if env := os.environ.get("RUNS_ROOT"):
        return Path(env).expanduser().resolve()
    return repo_root() / "runs"


def results_root() -> Path:
    """Where reproductions write: ``<repo>/results`` (``RESULTS_ROOT`` overrides, for tests)."""
    if env := os.environ.get("RESULTS_ROOT"):
        return Path(env).expanduser().resolve()
    return repo_root() / "results"
