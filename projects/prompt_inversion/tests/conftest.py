"""Per-test data roots, offline hub, and the DiffusionDB fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_inversion.testing import write_diffusiondb


@pytest.fixture
def diffusiondb(tmp_path: Path) -> tuple[Path, list[dict]]:
    root = tmp_path / "diffusiondb"
    return root, write_diffusiondb(root)


@pytest.fixture(autouse=True)
def _private_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
