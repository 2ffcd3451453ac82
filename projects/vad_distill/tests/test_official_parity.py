"""Outputs equal the official modules' under shared weights. Runs only with a checkout of
ristea/fast-aed named by ``OFFICIAL_REPO`` and ``einops`` installed (neither is here; the key
inventory of test_model.py is the check that always runs)."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch
from vad_distill.model import StageDiscriminator, Student, preset
from vad_distill.official import official_module, official_student

REPO = os.environ.get("OFFICIAL_REPO")
pytestmark = pytest.mark.skipif(
    not REPO or importlib.util.find_spec("einops") is None,
    reason="needs OFFICIAL_REPO (a ristea/fast-aed checkout) and einops",
)


@torch.no_grad()
def test_student_and_discriminator_match_the_official_modules():
    torch.manual_seed(0)
    official = official_student(REPO)
    ours = Student(preset("avenue_640x360"))
    ours.load_state_dict(official.state_dict(), strict=True)
    x = torch.randn(2, 9, 160, 96)
    for a, b in zip(official.eval()(x), ours.eval()(x), strict=True):
        assert torch.equal(a, b)
    disc = official_module(
        REPO, "networks/StageDiscriminator.py", "official_disc"
    ).StageDiscriminator(1)
    mine = StageDiscriminator()
    mine.load_state_dict(disc.state_dict(), strict=True)
    maps = (torch.rand(3, 1, 16, 16), torch.rand(3, 1, 4, 4), torch.rand(3, 1))
    assert torch.equal(disc(*maps), mine(*maps))
