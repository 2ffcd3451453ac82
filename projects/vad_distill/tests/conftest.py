"""Fixtures: a tiny dataset in the official fast-aed layout, written in ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import pytest
from vad_distill.fixtures import write_fast_aed


@pytest.fixture
def fast_aed(tmp_path: Path) -> dict[str, Path]:
    return write_fast_aed(tmp_path / "avenue")
