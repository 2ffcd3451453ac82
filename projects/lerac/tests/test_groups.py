"""LeRaC's block grouping and starting rates against the spec's §2 table and §7 checks 1, 2."""

from __future__ import annotations

import math

import pytest
import torch
from lerac.groups import lerac_param_groups, official_start_rates
from torch import nn

from shared.errors import ConfigError
from shared.models import cifar_resnet18, digits_resnet

REL = 1e-9


def rates(groups) -> dict[str, float]:
    return {g["name"]: g["lr"] for g in groups}


def assert_rates(groups, expected: dict[str, float]) -> None:
    got = rates(groups)
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=REL), (name, got[name], value)


def r18_expected(stem, blocks, fc) -> dict[str, float]:
    names = [f"layer{s}.{i}" for s in range(1, 5) for i in range(2)]
    return {"stem": stem, **dict(zip(names, blocks, strict=True)), "classifier": fc}


def test_floor_rule_keeps_the_float_artifact():
    # Check 2: s0 = 0.1 * 0.1 in floating point sits a hair above 0.01, so the value just
    # above the 1e-5 floor shrinks once more.
    s0 = 0.1 * 0.1
    assert s0 == 0.010000000000000002
    got = official_start_rates(7, s0, 1e-5)
    assert got[:4] == pytest.approx([1e-2, 1e-3, 1e-4, 1e-5], rel=1e-12)
    assert got[3] == 1.0000000000000004e-05
    assert got[4:] == [1.0000000000000004e-06] * 3
    # A literal 0.01 stops exactly at the floor.
    assert official_start_rates(7, 0.01, 1e-5) == pytest.approx(
        [1e-2, 1e-3, 1e-4, 1e-5, 1e-5, 1e-5, 1e-5], rel=1e-12
    )
    assert official_start_rates(7, 0.01, 1e-5)[4:] == [official_start_rates(7, 0.01, 1e-5)[3]] * 3


def test_inclusive_floor_shrinks_a_value_equal_to_the_floor():
    assert 1e-3 * 0.1 == 1e-4  # exact in floating point, so `>` stops here and `>=` does not
    assert official_start_rates(3, 1e-3, 1e-4) == [1e-3, 1e-4, 1e-4]
    assert official_start_rates(3, 1e-3, 1e-4, inclusive=True) == [1e-3, 1e-4, 1e-4 * 0.1]


@pytest.mark.parametrize(
    ("min_lr", "clf_lr", "blocks", "fc"),
    [
        # ResNet-18 CIFAR-10 (check 1): l1.0 1e-2 ... l2.1 1e-5, l3.0-l4.1 1e-6, fc 1e-4.
        (1e-5, 1e-3, [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-6, 1e-6, 1e-6], 1e-4),
        # CIFAR-100 / Food-101: ... l3.0 1e-6, l3.1-l4.1 1e-7, fc 1e-6.
        (1e-6, 1e-5, [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-7, 1e-7], 1e-6),
        # Tiny ImageNet / ImageNet-200: ... l3.1 1e-7, l4.0-l4.1 1e-8, fc 1e-8.
        (1e-7, 1e-7, [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-8], 1e-8),
    ],
)
def test_resnet18_rows_of_the_table(min_lr, clf_lr, blocks, fc):
    model = cifar_resnet18(10)
    groups = lerac_param_groups(model, "resnet", eta0=0.1, min_lr=min_lr, clf_lr=clf_lr)
    assert_rates(groups, r18_expected(0.1, blocks, fc))


def test_every_parameter_in_exactly_one_group():
    model = cifar_resnet18(10)
    groups = lerac_param_groups(model, "resnet", eta0=0.1, min_lr=1e-5, clf_lr=1e-3)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    by_name = {n: p for n, p in model.named_parameters()}
    stem = next(g for g in groups if g["name"] == "stem")
    assert {id(by_name["conv1.weight"]), id(by_name["bn1.weight"]), id(by_name["bn1.bias"])} == {
        id(p) for p in stem["params"]
    }
    shortcut = by_name["layer2.0.shortcut.0.weight"]
    assert any(p is shortcut for p in next(g for g in groups if g["name"] == "layer2.0")["params"])
    assert all(g["lerac_start"] == g["lr"] for g in groups)


def test_digits_resnet_gets_one_decade_per_block():
    groups = lerac_param_groups(digits_resnet(10), "resnet", eta0=0.1, min_lr=1e-5, clf_lr=1e-3)
    assert_rates(
        groups,
        {
            "stem": 0.1,
            "layer1.0": 1e-2,
            "layer2.0": 1e-3,
            "layer3.0": 1e-4,
            "layer4.0": 1e-5,
            "classifier": 1e-4,
        },
    )


class WrapperWithHFCvT(nn.Module):
    """CvT-13 under a ``model.`` prefix, as the shared CvT13 wrapper holds it."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import CvtConfig, CvtForImageClassification

        self.model = CvtForImageClassification(CvtConfig(num_labels=10))


@pytest.fixture(scope="module")
def cvt13() -> nn.Module:
    return WrapperWithHFCvT()


def cvt_expected(pe_b0, s1b0, s1b1, s2b0, rest, clf) -> dict[str, float]:
    return {
        "stage0.layers.0": pe_b0,
        "stage1.layers.0": s1b0,
        "stage1.layers.1": s1b1,
        "stage2.layers.0": s2b0,
        **{f"stage2.layers.{i}": rest[i - 1] for i in range(1, 10)},
        "classifier": clf,
    }


@pytest.mark.parametrize(
    ("eta0", "min_lr", "clf_lr", "inclusive", "expected"),
    [
        # CvT-13 scratch CIFAR-10: s0 2e-3; s1.pe & s1.b0 2e-4; s1.b1 2e-5; s2.pe, cls, s2.b0
        # 2e-6; s2.b1-b9 2e-7; classifier 2e-3 * 1e-3 = 2e-6.
        (2e-3, 2e-6, 1e-3, False, cvt_expected(2e-3, 2e-4, 2e-5, 2e-6, [2e-7] * 9, 2e-6)),
        # CIFAR-100: ... s1.b1 onward 2e-5; classifier 2e-5.
        (2e-3, 2e-5, 1e-2, False, cvt_expected(2e-3, 2e-4, 2e-5, 2e-5, [2e-5] * 9, 2e-5)),
        # Tiny ImageNet: ... s2.b1 2e-7; s2.b2-b9 2e-8; classifier 2e-7.
        (2e-3, 2e-7, 1e-4, False, cvt_expected(2e-3, 2e-4, 2e-5, 2e-6, [2e-7] + [2e-8] * 8, 2e-7)),
        # Pretrained CIFAR (>= floor): s0 5e-4; s1.pe & s1.b0 5e-5; everything after 5e-6.
        (5e-4, 5e-5, 1.0, True, cvt_expected(5e-4, 5e-5, 5e-6, 5e-6, [5e-6] * 9, 5e-4)),
        # Pretrained Tiny ImageNet: ... s2.b3-b9 5e-10.
        (
            5e-4,
            5e-9,
            1.0,
            True,
            cvt_expected(5e-4, 5e-5, 5e-6, 5e-7, [5e-8, 5e-9] + [5e-10] * 7, 5e-4),
        ),
    ],
)
def test_cvt_rows_of_the_table(cvt13, eta0, min_lr, clf_lr, inclusive, expected):
    groups = lerac_param_groups(
        cvt13, "cvt", eta0=eta0, min_lr=min_lr, clf_lr=clf_lr, inclusive_floor=inclusive
    )
    assert_rates(groups, expected)


def test_cvt_embeddings_and_cls_token_join_their_stage_first_block(cvt13):
    groups = {
        g["name"]: g for g in lerac_param_groups(cvt13, "cvt", eta0=2e-3, min_lr=2e-6, clf_lr=1e-3)
    }
    names = {id(p): n for n, p in cvt13.named_parameters()}
    stage2 = {names[id(p)] for p in groups["stage2.layers.0"]["params"]}
    assert "model.cvt.encoder.stages.2.cls_token" in stage2
    assert any(n.startswith("model.cvt.encoder.stages.2.embedding.") for n in stage2)
    assert any(n.startswith("model.cvt.encoder.stages.2.layers.0.") for n in stage2)
    head = {names[id(p)] for p in groups["classifier"]["params"]}
    assert head == {
        "model.layernorm.weight",
        "model.layernorm.bias",
        "model.classifier.weight",
        "model.classifier.bias",
    }
    total = sum(len(g["params"]) for g in groups.values())
    assert total == len(list(cvt13.parameters()))


def custom(*blocks):
    return [dict(b) for b in blocks]


def test_unknown_block_name_is_a_clear_error():
    spec = custom(
        {"name": "stem", "prefixes": ["conv1", "bn1"], "rate": "eta0"},
        {"name": "body", "prefixes": ["layer1", "layer2", "layer3", "layer4", "layer9"]},
        {"name": "head", "prefixes": ["fc"], "rate": "classifier"},
    )
    with pytest.raises(ConfigError, match=r"layer9.*Unknown block name"):
        lerac_param_groups(digits_resnet(10), spec, eta0=0.1, min_lr=1e-5, clf_lr=1e-3)


def test_parameter_in_no_group_is_a_clear_error():
    spec = custom({"name": "body", "prefixes": ["layer1", "layer2", "layer3", "layer4", "fc"]})
    with pytest.raises(ConfigError, match=r"Parameter `conv1.weight` is in no block"):
        lerac_param_groups(digits_resnet(10), spec, eta0=0.1, min_lr=1e-5, clf_lr=1e-3)


def test_parameter_in_two_groups_is_a_clear_error():
    spec = custom(
        {"name": "stem", "prefixes": ["conv1", "bn1"], "rate": "eta0"},
        {"name": "stage1", "prefixes": ["layer1"]},
        {"name": "first", "prefixes": ["layer1.0"]},
        {"name": "rest", "prefixes": ["layer2", "layer3", "layer4"]},
        {"name": "head", "prefixes": ["fc"], "rate": "classifier"},
    )
    with pytest.raises(
        ConfigError,
        match=r"layer1\.0\.conv1\.weight` is in two or more blocks: \['stage1', 'first'\]",
    ):
        lerac_param_groups(digits_resnet(10), spec, eta0=0.1, min_lr=1e-5, clf_lr=1e-3)


def test_custom_spec_rates_and_bad_rate_rule():
    spec = custom(
        {"name": "stem", "prefixes": ["conv1", "bn1"], "rate": "eta0"},
        {"name": "shallow", "prefixes": ["layer1", "layer2"]},
        {"name": "deep", "prefixes": ["layer3", "layer4"]},
        {"name": "head", "prefixes": ["fc"], "rate": "classifier"},
    )
    groups = lerac_param_groups(
        digits_resnet(10), spec, eta0=0.1, min_lr=1e-5, clf_lr=1e-3, s0_factor=0.1
    )
    assert_rates(groups, {"stem": 0.1, "shallow": 1e-2, "deep": 1e-3, "head": 1e-4})
    spec[1]["rate"] = "fast"
    with pytest.raises(ConfigError, match=r"grouping\[1\]\.rate"):
        lerac_param_groups(digits_resnet(10), spec, eta0=0.1, min_lr=1e-5, clf_lr=1e-3)


def test_unknown_preset_and_prefix_matching_by_whole_parts():
    with pytest.raises(ConfigError, match=r"presets"):
        lerac_param_groups(digits_resnet(10), "vgg", eta0=0.1, min_lr=1e-5, clf_lr=1e-3)
    model = nn.ModuleDict({"layer1": nn.Linear(2, 2), "layer10": nn.Linear(2, 2)})
    spec = custom({"name": "a", "prefixes": ["layer1"]}, {"name": "b", "prefixes": ["layer10"]})
    groups = lerac_param_groups(model, spec, eta0=0.1, min_lr=1e-5, clf_lr=1.0)
    assert [len(g["params"]) for g in groups] == [2, 2]


def test_frozen_parameters_are_left_out():
    model = digits_resnet(10)
    model.fc.weight.requires_grad_(False)
    groups = lerac_param_groups(model, "resnet", eta0=0.1, min_lr=1e-5, clf_lr=1e-3)
    assert all(p is not model.fc.weight for g in groups for p in g["params"])
    assert sum(p.numel() for g in groups for p in g["params"]) == sum(
        p.numel() for p in model.parameters() if p.requires_grad
    )
    assert isinstance(groups[0]["params"][0], torch.nn.Parameter)


def wrn_expected_q3() -> dict[str, float]:
    """Quirk Q3 by hand: the dictionary (3/4/6/3 blocks) hands out 0.1 ... 1e-7 to layer1.0-2.3,
    then 1e-8 (the float 1e-7 sits above the floor and shrinks once more); real blocks outside
    it start at η⁽⁰⁾·clf_lr = 1e-6; the stem and ``bn1_final`` (top-level ``bn1*``) at 0.1."""
    inside = dict(
        zip(
            ["layer1.0", "layer1.1", "layer1.2", "layer2.0", "layer2.1", "layer2.2", "layer2.3"],
            [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7],
            strict=True,
        )
    )
    inside |= {f"layer3.{i}": 1e-8 for i in range(6)}
    outside = {f"layer1.{i}": 1e-6 for i in range(3, 8)}
    outside |= {f"layer2.{i}": 1e-6 for i in range(4, 8)}
    outside |= {f"layer3.{i}": 1e-6 for i in range(6, 8)}
    return {"stem": 0.1, **inside, **outside, "classifier": 1e-6}


def test_wrn_official_quirk_q3():
    # Check 8: CIFAR WRN-52-2 in official mode (η⁽⁰⁾ 0.1, min_lr 1e-7, clf_lr 1e-5).
    from shared.models.wide_resnet import WideResNet

    model = WideResNet(52, 2, 0.3, 10)
    groups = lerac_param_groups(model, "wrn_official", eta0=0.1, min_lr=1e-7, clf_lr=1e-5)
    expected = wrn_expected_q3()
    got = rates(groups)
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=REL), (name, got[name], value)
    stem = next(g for g in groups if g["name"] == "stem")
    names = {id(p): n for n, p in model.named_parameters()}
    assert {names[id(p)] for p in stem["params"]} == {
        "conv1_initial.weight",
        "conv1_initial.bias",
        "bn1_final.weight",
        "bn1_final.bias",
    }
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_wrn_with_the_quirk_fixed_is_monotone():
    from shared.models.wide_resnet import WideResNet

    model = WideResNet(16, 1, 0.0, 10)  # two blocks per stage
    groups = lerac_param_groups(model, "wrn", eta0=0.1, min_lr=1e-7, clf_lr=1e-5)
    assert_rates(
        groups,
        {
            "stem": 0.1,
            "layer1.0": 1e-1,
            "layer1.1": 1e-2,
            "layer2.0": 1e-3,
            "layer2.1": 1e-4,
            "layer3.0": 1e-5,
            "layer3.1": 1e-6,
            "classifier": 1e-6,
        },
    )
    head = {n for n, p in model.named_parameters() if any(p is q for q in groups[-1]["params"])}
    assert head == {"bn1_final.weight", "bn1_final.bias", "linear.weight", "linear.bias"}


def test_shared_cvt13_wrapper_groups_like_the_hf_model():
    from shared.models.cvt import CvT13

    model = CvT13(
        num_classes=10, image_size=32, embed_dim=(8, 16, 24), depth=(1, 2, 3), num_heads=(1, 2, 3)
    )
    groups = lerac_param_groups(model, "cvt", eta0=2e-3, min_lr=2e-6, clf_lr=1e-3)
    assert_rates(
        groups,
        {
            "stage0.layers.0": 2e-3,
            "stage1.layers.0": 2e-4,
            "stage1.layers.1": 2e-5,
            "stage2.layers.0": 2e-6,
            "stage2.layers.1": 2e-7,
            "stage2.layers.2": 2e-7,
            "classifier": 2e-6,
        },
    )
