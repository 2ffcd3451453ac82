"""The released networks (spec §3, §13.7, §13.8): official state-dict keys and shapes (pinned in
official_keys.json, dumped from ristea/fast-aed@d19e792's model definitions), parameter counts
per part, output shapes and the phase-1 hand-over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from vad_distill.model import (
    PRESETS,
    FrameAutoEncoder,
    StageDiscriminator,
    Student,
    hand_over,
    preset,
)

from shared.errors import ConfigError

OFFICIAL = json.loads((Path(__file__).parent / "official_keys.json").read_text())
AVENUE = preset("avenue_640x360")


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("student", lambda: Student(AVENUE)),
        ("autoencoder", lambda: FrameAutoEncoder(AVENUE)),
        ("discriminator", StageDiscriminator),
    ],
)
def test_state_dict_is_the_official_one(name, build):
    """Keys, order and shapes equal the official modules'; such a state dict loads strictly."""
    model = build()
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert list(ours) == list(OFFICIAL[name]) and ours == OFFICIAL[name]
    released = {
        k: torch.randn(s) if s else torch.tensor(7) for k, s in OFFICIAL[name].items()
    }  # a stand-in for a released checkpoint
    model.load_state_dict(released, strict=True)


def test_parameter_counts():
    student, ae = Student(AVENUE), FrameAutoEncoder(AVENUE)
    assert _count(student) == 4_997_846
    assert _count(student.conv_encoder) == 399_728
    assert _count(student.transformer) == 4_300_800
    assert {_count(layer) for layer in student.transformer.layers} == {860_160}
    heads = (student.small, student.medium, student.high, student.out_image)
    assert [_count(h) for h in heads] == [1_025, 148_097, 148_097, 99]
    assert _count(ae) == 5_131_847 and _count(ae.decoder) == 392_945
    assert _count(StageDiscriminator()) == 959


@torch.no_grad()
def test_paper_resolution_shapes():
    """A 640x360 frame in the official (B, 9, W, H) layout: encoder output 256x40x23, the three
    heads (B,1), (B,1,4,4), (B,1,16,16); the auto-encoder reconstructs 3x320x180."""
    x = torch.randn(1, 9, 640, 360)
    student = Student(AVENUE).eval()
    features, skips = student.conv_encoder(x)
    assert features.shape == (1, 256, 40, 23)
    assert [s.shape[1:] for s in skips][1:] == [(32, 320, 180), (64, 160, 90), (128, 80, 45),
                                                (256, 40, 23)]  # fmt: skip
    s, m, h = student.small(features), student.medium(features), student.high(features)
    assert (s.shape, m.shape, h.shape) == ((1, 1), (1, 1, 4, 4), (1, 1, 16, 16))
    assert 0 < float(s) < 1 and m.min() >= 0 and h.min() >= 0
    assert FrameAutoEncoder(AVENUE).eval()(x).shape == (1, 3, 320, 180)


@torch.no_grad()
@pytest.mark.parametrize("size", [(64, 64), (48, 80), (37, 53)])
def test_tiny_any_size(size):
    config = preset("tiny")
    student, ae = Student(config).eval(), FrameAutoEncoder(config).eval()
    x = torch.randn(2, 9, *size)
    assert [o.shape for o in student(x)] == [(2, 1), (2, 1, 4, 4), (2, 1, 16, 16)]
    assert ae(x).shape == (2, 3, (size[0] + 1) // 2, (size[1] + 1) // 2)


def test_hand_over_drops_the_mismatched_heads_whole():
    """main.py pops small.3, medium.0 and high.0 (weight and bias) and loads the rest."""
    student, ae = Student(AVENUE), FrameAutoEncoder(AVENUE)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    dropped = hand_over(ae, student)
    heads = ["high.0.bias", "high.0.weight", "medium.0.bias", "medium.0.weight", "small.3.bias",
             "small.3.weight"]  # fmt: skip
    assert [k for k in dropped if not k.startswith("decoder.")] == heads
    after, source = student.state_dict(), ae.state_dict()
    for key in after:
        expected = before[key] if key in heads else source[key]
        assert torch.equal(after[key], expected), key


def test_discriminator_reads_three_scales():
    d = StageDiscriminator()
    out = d(torch.rand(3, 1, 16, 16), torch.rand(3, 1, 4, 4), torch.rand(3, 1))
    assert out.shape == (3, 1) and bool(((out > 0) & (out < 1)).all())


def test_presets():
    assert set(PRESETS) == {"avenue_640x360", "shanghai_640x360", "ped2", "tiny"}
    assert PRESETS["shanghai_640x360"] == PRESETS["avenue_640x360"]
    assert PRESETS["ped2"].image_size == (240, 360) and PRESETS["tiny"].dim == 64


@torch.no_grad()
def test_sigmoid_map_heads_keep_the_state_dict():
    """The dead-head guard changes no parameter: a released checkpoint still loads strictly."""
    guarded = Student(preset("avenue_640x360", map_activation="sigmoid"))
    guarded.load_state_dict(Student(AVENUE).state_dict(), strict=True)
    tiny = Student(preset("tiny", map_activation="sigmoid")).eval()
    _, m, h = tiny(torch.randn(1, 9, 64, 64))
    assert 0 < float(m.min()) and float(h.max()) < 1
    with pytest.raises(ConfigError, match="map_activation"):
        preset("tiny", map_activation="tanh")
