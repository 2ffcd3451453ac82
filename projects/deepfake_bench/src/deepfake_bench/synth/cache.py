"""Every DFB-Synth track is built once per config and cached by the config's hash.

``<data_root>/deepfake_bench/<track>/<hash>/`` holds a build; ``COMPLETE`` (JSON with the
build's duration) is written last. A complete build is reused, a changed config builds into
another folder, and an unfinished one is refused unless ``OVERWRITE=1`` (nothing is ever
overwritten silently).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from shared.errors import ConfigError
from shared.paths import data_root


def config_digest(fields: dict[str, Any], version: int) -> str:
    """12 hex digits naming a build: its config's fields and the build code's version."""
    payload = json.dumps({"version": version, **fields}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def cache_folder(track: str, digest: str, root: str | None = None) -> Path:
    return data_root(root) / "deepfake_bench" / track / digest


def reuse_or_clear(folder: Path, field: str) -> bool:
    """True when ``folder`` holds a complete build; otherwise leaves no folder behind (an
    unfinished build is deleted only under ``OVERWRITE=1``, else refused, naming ``field``)."""
    if (folder / "COMPLETE").is_file():
        return True
    if folder.exists():
        if os.environ.get("OVERWRITE") != "1":
            raise ConfigError(
                field,
                str(folder),
                "a complete DFB-Synth build or no folder",
                "The folder holds an unfinished build; `OVERWRITE=1` rebuilds it.",
            )
        shutil.rmtree(folder)
    return False


def build_pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """Worker processes for rendering a build, started by *spawn*: a build often runs inside a
    training process whose torch/OpenMP threads make a forked child hang (seen in the test
    suite), so the workers import what they need afresh; jobs must be importable by name."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=initializer)


def mark_complete(folder: Path, seconds: float, **extra: Any) -> None:
    """Write ``COMPLETE`` (last): the build's duration and any counts worth keeping."""
    record = {"build_seconds": round(seconds, 1), **extra}
    (folder / "COMPLETE").write_text(json.dumps(record) + "\n")


def build_seconds(folder: Path) -> float | None:
    """How long the complete build in ``folder`` took (``None`` for builds that did not say)."""
    text = (folder / "COMPLETE").read_text().strip()
    return json.loads(text).get("build_seconds") if text else None
