"""No silent behaviour change: each project's default config, seed 0, must build the same initial
weights and take the same first three training steps, bit for bit.

The pins were taken at commit 47460d0 (before the experiment-layer refactoring) on the 2-core AMD
EPYC development machine with one torch thread. A change that alters them changes what a run
does; update a pin only together with a rerun of that project's reproduction, and say why in the
commit. A new project adds its pin here.
"""

import pytest

from shared.projects import discover
from shared.testing.pins import first_training_steps

PINS = {
    "cbm": (
        "4ae26c4a67bb2303fdedfbf6e61ef7fcaf186a8836c8ffe7b2d8c8e176de4432",
        ["0x1.29b8540000000p+1", "0x1.10f8d60000000p+1", "0x1.c1962a0000000p+0"],
    ),
    "fast_vad_mae": (
        "6094a0c41a6ffbc7c10e83d10df8b9e413c0f23f697c1222ae312d9c291b9c63",
        ["0x1.6a702a0000000p+4", "0x1.3883760000000p+4", "0x1.1a30ac0000000p+4"],
    ),
    "gini_loss": (
        "4ae26c4a67bb2303fdedfbf6e61ef7fcaf186a8836c8ffe7b2d8c8e176de4432",
        ["0x1.28c3be0000000p+1", "0x1.0c46f80000000p+1", "0x1.bd54aa0000000p+0"],
    ),
    "lerac": (
        "4ae26c4a67bb2303fdedfbf6e61ef7fcaf186a8836c8ffe7b2d8c8e176de4432",
        ["0x1.28c3be0000000p+1", "0x1.2450300000000p+1", "0x1.2f17260000000p+1"],
    ),
}
PROJECTS = {p.name: p for p in discover()}


def test_every_project_has_a_pin():
    assert sorted(PROJECTS) == sorted(PINS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PINS))
def test_default_config_starts_exactly_as_pinned(name, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "data"))  # caches (cbm's saliency) go here
    checksum, losses = first_training_steps(PROJECTS[name].path)
    assert (checksum, losses) == PINS[name]
