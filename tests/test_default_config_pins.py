"""No silent behaviour change: each project's default config, seed 0, must build the same initial
weights and take the same first three training steps, bit for bit.

The pins were taken at commit 47460d0 (before the experiment-layer refactoring) on the 2-core AMD
EPYC development machine with one torch thread. A change that alters them changes what a run
does; update a pin only together with a rerun of that project's reproduction, and say why in the
commit. A new project adds its pin here; a project whose default config first builds something cached
for minutes (curriculum_dpo's pretrained tiny base, deepfake_bench's DFB-Synth) pins its smoke
config instead, named as the entry's third element.
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
PINS |= {
    "curriculum_dpo": (
        "e15d9a0678b2d00b1860b11f093ffbf289549db92e2442c5c8f5cda2d323de82",
        ["0x1.62e4300000000p-1", "0x1.6874cc0000000p-1", "0x1.5a73240000000p-1"],
        "configs/smoke.yaml",
    ),
    "deepfake_bench": (  # two steps: the smoke epoch is two batches
        "d4651eae5a44618555b306206282d5e902012fca07181ce5b1ea586e144f5ca6",
        ["0x1.95446e0000000p-1", "0x1.6f5b3a0000000p-1"],
        "configs/smoke.yaml",
    ),
    "prompt_inversion": (
        "bf9074f34b4f9794c36e9c7193b567a93da4804a7fdee0c24c4d47dab351c903",
        ["0x1.04d2a80000000p+0", "0x1.c71ed80000000p-1", "0x1.64e83a0000000p-1"],
    ),
    "vad_distill": (
        "8cfdc15d9cbe6ebbcfd59c98aae52accc87b1dd6ba31b6437f6b8a51c786fad9",
        ["0x1.393cf00000000p-2", "0x1.0ff7a20000000p-3", "0x1.808e380000000p-4"],
    ),
}  # taken when each project was added (after 6fe0b9e), same machine, one torch thread
PROJECTS = {p.name: p for p in discover()}


def test_every_project_has_a_pin():
    assert sorted(PROJECTS) == sorted(PINS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PINS))
def test_default_config_starts_exactly_as_pinned(name, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "data"))  # caches (cbm's saliency) go here
    checksum, losses, *config = PINS[name]
    found = first_training_steps(PROJECTS[name].path, *config)
    assert found == (checksum, losses)
