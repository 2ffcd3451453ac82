"""The official modules from a checkout of ristea/fast-aed named by ``OFFICIAL_REPO`` (never
vendored): for the speed comparison of ``make bench`` and the parity test. The official code
imports ``einops``, which this workspace does not install."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import torch

from shared.errors import ConfigError

STUDENT_FILE = "vit_pytorch/cytran.py"


def official_module(repo: str | Path, relative: str, name: str) -> ModuleType:
    """``<repo>/<relative>`` imported as a module called ``name``."""
    path = Path(repo) / relative
    if not path.is_file():
        raise ConfigError(
            "OFFICIAL_REPO", str(repo), f"a ristea/fast-aed checkout holding {relative}"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_student(repo: str | Path) -> torch.nn.Module:
    """The released student (``CyTran``) as the official Avenue/ShanghaiTech config builds it."""
    cytran = official_module(repo, STUDENT_FILE, "official_cytran")
    return cytran.CyTran(input_nc=9, output_nc=1, n_downsampling=4, depth=5, heads=5)
