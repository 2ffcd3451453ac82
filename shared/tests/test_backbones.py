"""Backbones: hand-derived sizes, official module names, the CvT converter, the registry contract."""

from __future__ import annotations

import pytest
import torch

from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError
from shared.models.cvt import CvT13, QuickGELU, convert_microsoft_cvt_state_dict
from shared.models.registry import BACKBONES, Backbone
from shared.models.wide_resnet import WideResNet
from shared.registry import Registry
from shared.testing.registry import registry_cases

TINY_CVT = {"embed_dim": (8, 16, 24), "depth": (1, 2, 3), "num_heads": (1, 2, 3), "image_size": 32}


# ---------------------------------------------------------------- Wide-ResNet


def test_wrn_10_1_parameter_count_by_hand():
    # depth 10 -> one block per stage; widths 16, 16, 32, 64; every conv has a bias.
    stem = 3 * 16 * 9 + 16  # 448
    block1 = (
        2 * 16 + (16 * 16 * 9 + 16) + 2 * 16 + (16 * 16 * 9 + 16)
    )  # bn1, conv1, bn2, conv2 = 4,704
    block2 = (
        2 * 16 + (16 * 32 * 9 + 32) + 2 * 32 + (32 * 32 * 9 + 32) + (16 * 32 + 32)
    )  # + 1x1 = 14,528
    block3 = 2 * 32 + (32 * 64 * 9 + 64) + 2 * 64 + (64 * 64 * 9 + 64) + (32 * 64 + 64)  # 57,728
    head = 2 * 64 + (64 * 10 + 10)  # bn1_final, linear = 778
    assert stem + block1 + block2 + block3 + head == 78_186
    model = WideResNet(depth=10, widen_factor=1, dropout=0.3, num_classes=10)
    assert sum(p.numel() for p in model.parameters()) == 78_186


def test_wrn_52_2_has_the_official_names_and_layout():
    model = WideResNet()  # Wide_ResNet(52, 2, 0.3, 10)
    names = set(model.state_dict())
    for name in (
        "conv1_initial.weight",
        "conv1_initial.bias",
        "layer1.0.shortcut.0.weight",  # 16 -> 32 channels
        "layer1.7.conv2.bias",
        "layer2.0.shortcut.0.bias",
        "layer3.7.bn2.running_mean",
        "bn1_final.weight",
        "linear.weight",
    ):
        assert name in names
    assert "layer1.1.shortcut.0.weight" not in names
    assert [len(model.layer1), len(model.layer2), len(model.layer3)] == [8, 8, 8]
    assert model.bn1_final.momentum == 0.9  # the official quirk
    # the stride sits on the second conv and the shortcut, as in the official block
    assert model.layer2[0].conv1.stride == (1, 1) and model.layer2[0].conv2.stride == (2, 2)
    assert model.linear.in_features == 128 and model.num_classes == 10


def test_wrn_resolution_per_stage_and_eval_determinism():
    model = WideResNet(depth=10, widen_factor=2, num_classes=4).eval()
    x = torch.randn(2, 3, 32, 32)
    out = model.conv1_initial(x)
    shapes = []
    for stage in (model.layer1, model.layer2, model.layer3):
        out = stage(out)
        shapes.append(tuple(out.shape[1:]))
    assert shapes == [(32, 32, 32), (64, 16, 16), (128, 8, 8)]
    assert torch.equal(model(x), model(x))  # dropout is off in eval mode


@pytest.mark.parametrize("depth", [12, 50, 6])
def test_wrn_rejects_depths_that_are_not_6n_plus_4(depth):
    with pytest.raises(ConfigError, match="6n \\+ 4"):
        WideResNet(depth=depth)


# ---------------------------------------------------------------- CvT-13


def cvt_parameter_count(
    embed=(64, 192, 384), depth=(1, 2, 10), patch=(7, 3, 3), classes=1000
) -> int:
    """CvT parameters from first principles (the original cvt-13-224x224.yaml layout)."""
    total, channels_in = 0, 3
    for d, layers, k in zip(embed, depth, patch, strict=True):
        total += k * k * channels_in * d + d + 2 * d  # conv embedding + its LayerNorm
        per_layer = (
            2 * 2 * d  # two LayerNorms
            + 3 * (9 * d + 2 * d)  # q/k/v depthwise 3x3 conv (no bias) + BatchNorm
            + 3 * (d * d + d)  # q/k/v linear projections (with bias)
            + (d * d + d)  # attention output projection
            + (d * 4 * d + 4 * d)  # MLP fc1
            + (4 * d * d + d)  # MLP fc2
        )
        total += layers * per_layer
        channels_in = d
    return (
        total + embed[-1] + 2 * embed[-1] + embed[-1] * classes + classes
    )  # cls token, norm, head


def test_full_cvt13_parameter_count():
    # 19,997,480: the paper (Wu et al. 2021, Table 2) and the microsoft/cvt-13 card say "20M".
    assert cvt_parameter_count() == 19_997_480
    model = CvT13(num_classes=1000)
    assert sum(p.numel() for p in model.parameters()) == 19_997_480
    config = model.model.config
    assert (config.embed_dim, config.depth, config.num_heads) == (
        [64, 192, 384],
        [1, 2, 10],
        [1, 3, 6],
    )
    assert (config.patch_sizes, config.patch_stride, config.patch_padding) == (
        [7, 3, 3],
        [4, 2, 2],
        [2, 1, 1],
    )
    assert config.cls_token == [False, False, True]


def original_cvt_state_dict(embed, depth, classes, seed=0) -> dict[str, torch.Tensor]:
    """Random tensors under the key names and shapes of Microsoft's original CvT code."""
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=generator)

    state, channels_in = {}, 3
    for s, (d, layers, k) in enumerate(zip(embed, depth, (7, 3, 3), strict=True)):
        state |= {
            f"stage{s}.patch_embed.proj.weight": rand(d, channels_in, k, k),
            f"stage{s}.patch_embed.proj.bias": rand(d),
            f"stage{s}.patch_embed.norm.weight": rand(d),
            f"stage{s}.patch_embed.norm.bias": rand(d),
        }
        if s == 2:
            state[f"stage{s}.cls_token"] = rand(1, 1, d)
        for i in range(layers):
            b = f"stage{s}.blocks.{i}."
            for norm in ("norm1", "norm2"):
                state |= {f"{b}{norm}.weight": rand(d), f"{b}{norm}.bias": rand(d)}
            for q in "qkv":
                state |= {
                    f"{b}attn.conv_proj_{q}.conv.weight": rand(d, 1, 3, 3),
                    f"{b}attn.conv_proj_{q}.bn.weight": rand(d),
                    f"{b}attn.conv_proj_{q}.bn.bias": rand(d),
                    f"{b}attn.conv_proj_{q}.bn.running_mean": rand(d),
                    f"{b}attn.conv_proj_{q}.bn.running_var": rand(d).abs(),
                    f"{b}attn.conv_proj_{q}.bn.num_batches_tracked": torch.tensor(7),
                    f"{b}attn.proj_{q}.weight": rand(d, d),
                    f"{b}attn.proj_{q}.bias": rand(d),
                }
            state |= {
                f"{b}attn.proj.weight": rand(d, d),
                f"{b}attn.proj.bias": rand(d),
                f"{b}mlp.fc1.weight": rand(4 * d, d),
                f"{b}mlp.fc1.bias": rand(4 * d),
                f"{b}mlp.fc2.weight": rand(d, 4 * d),
                f"{b}mlp.fc2.bias": rand(d),
            }
        channels_in = d
    return state | {
        "norm_final.weight": rand(embed[-1]),
        "norm_final.bias": rand(embed[-1]),
        "head.weight": rand(classes, embed[-1]),
        "head.bias": rand(classes),
    }


def test_converter_maps_every_original_key_and_loads_strictly():
    original = original_cvt_state_dict(TINY_CVT["embed_dim"], TINY_CVT["depth"], classes=7)
    converted = convert_microsoft_cvt_state_dict(original)
    model = CvT13(num_classes=7, **TINY_CVT)
    assert set(converted) == set(model.model.state_dict())
    model.model.load_state_dict(converted, strict=True)
    hf = "cvt.encoder.stages.2.layers.1.attention.attention."
    expected = {  # written out from the two codebases' module names
        "stage2.blocks.1.attn.conv_proj_k.bn.running_var": hf
        + "convolution_projection_key.convolution_projection.normalization.running_var",
        "stage2.blocks.1.attn.proj_v.weight": hf + "projection_value.weight",
        "stage2.blocks.1.attn.proj_q.bias": hf + "projection_query.bias",
        "stage2.blocks.1.attn.proj.weight": "cvt.encoder.stages.2.layers.1.attention.output.dense.weight",
        "stage1.blocks.0.mlp.fc2.weight": "cvt.encoder.stages.1.layers.0.output.dense.weight",
        "stage0.patch_embed.norm.bias": "cvt.encoder.stages.0.embedding.convolution_embeddings.normalization.bias",
        "stage2.cls_token": "cvt.encoder.stages.2.cls_token",
        "norm_final.weight": "layernorm.weight",
        "head.bias": "classifier.bias",
    }
    loaded = model.model.state_dict()
    for old, new in expected.items():
        assert torch.equal(loaded[new], original[old]), old
    assert torch.equal(
        model.model.cvt.encoder.stages[1].layers[0].intermediate.dense.weight,
        original["stage1.blocks.0.mlp.fc1.weight"],
    )


def test_converter_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"stage0\.pos_embed"):
        convert_microsoft_cvt_state_dict({"stage0.pos_embed": torch.zeros(1)})


def test_pretrained_pth_loads_the_body_and_replaces_a_head_of_another_size(tmp_path):
    original = original_cvt_state_dict(TINY_CVT["embed_dim"], TINY_CVT["depth"], classes=7)
    path = tmp_path / "CvT-13-224x224-IN-1k.pth"
    torch.save(original, path)
    same_head = CvT13(num_classes=7, pretrained=str(path), **TINY_CVT)
    assert torch.equal(same_head.model.classifier.weight, original["head.weight"])
    new_head = CvT13(num_classes=5, pretrained=str(path), **TINY_CVT)
    assert new_head.model.classifier.weight.shape == (5, 24)
    assert torch.equal(new_head.model.layernorm.weight, original["norm_final.weight"])
    bad = tmp_path / "bad.pth"
    torch.save({k: v for k, v in original.items() if k != "norm_final.weight"}, bad)
    with pytest.raises(DatasetFormatError, match=r"layernorm\.weight"):
        CvT13(num_classes=7, pretrained=str(bad), **TINY_CVT)


def test_pretrained_hugging_face_folder_loads_offline(tmp_path):
    source = CvT13(num_classes=7, **TINY_CVT)
    source.model.save_pretrained(tmp_path / "cvt")
    loaded = CvT13(num_classes=3, pretrained=str(tmp_path / "cvt"), **TINY_CVT)
    assert loaded.model.classifier.weight.shape == (3, 24)
    body = "cvt.encoder.stages.2.layers.2.output.dense.weight"
    assert torch.equal(loaded.model.state_dict()[body], source.model.state_dict()[body])
    assert isinstance(
        loaded.model.cvt.encoder.stages[2].layers[0].intermediate.activation, QuickGELU
    )
    with pytest.raises(ConfigError, match="requested shape"):
        CvT13(
            num_classes=3,
            pretrained=str(tmp_path / "cvt"),
            embed_dim=(8, 16, 32),
            depth=(1, 2, 3),
            num_heads=(1, 2, 4),
        )


def test_missing_weights_say_where_to_get_them(tmp_path):
    with pytest.raises(ConfigError, match=r"github\.com/microsoft/CvT"):
        CvT13(pretrained=str(tmp_path / "CvT-13-224x224-IN-1k.pth"))
    with pytest.raises(ConfigError, match="microsoft/cvt-13"):
        CvT13(pretrained=str(tmp_path / "no" / "such" / "folder"))


def test_cvt_stochastic_depth_drops_each_branch_not_the_residual():
    model = CvT13(num_classes=3, drop_path_rate=0.5, **TINY_CVT)
    stages = model.model.cvt.encoder.stages
    assert all(
        isinstance(layer.intermediate.activation, QuickGELU)
        for stage in stages
        for layer in stage.layers
    )
    # rates linspace(0, 0.5, 3) = 0, 0.25, 0.5 over the last stage; earlier stages have none
    hooked = [[len(layer.attention._forward_hooks) for layer in stage.layers] for stage in stages]
    assert hooked == [[0], [0, 0], [0, 1, 1]]
    (hook,) = stages[2].layers[1].attention._forward_hooks.values()
    assert hook.keywords == {"rate": 0.25}
    layer = stages[2].layers[2].train()
    x = torch.randn(64, 5, 24)  # cls token + 2x2 tokens
    torch.manual_seed(0)
    out = layer(x, 2, 2)
    both_dropped = [torch.equal(out[i], x[i]) for i in range(len(x))]
    # P(both branches dropped) = 0.25: the sample passes through unchanged. A dropped
    # residual (the transformers behaviour) would give all-zero samples instead.
    assert 4 <= sum(both_dropped) <= 30
    assert not any(bool((out[i] == 0).all()) for i in range(len(x)))
    layer.eval()
    assert torch.equal(layer(x, 2, 2), layer(x, 2, 2))


def test_quick_gelu_values():
    x = torch.tensor([0.0, 1.0, -1.0])
    expected = x * torch.sigmoid(1.702 * x)  # 0, 0.8458, -0.1542
    assert torch.allclose(QuickGELU()(x), expected)
    assert abs(QuickGELU()(torch.tensor(1.0)).item() - 0.845796) < 1e-5


# ---------------------------------------------------------------- registry


@pytest.mark.parametrize("entry", registry_cases(BACKBONES))
def test_registry_contract_forward_backward(entry):
    torch.manual_seed(0)
    model = BACKBONES.build(entry.name, num_classes=3, **entry.test_kwargs)
    size = entry.metadata.get("test_input_size") or entry.metadata["input_size"]
    logits = model(torch.randn(2, 3, size, size))
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2])).backward()
    without_grad = [
        n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()
    ]
    assert without_grad == []
    assert entry.metadata["paper"]


def test_registry_rejects_unknown_names_and_arguments():
    with pytest.raises(ConfigError, match="cvt13"):
        BACKBONES.build("vit_huge", num_classes=3)
    with pytest.raises(ConfigError, match=r"model\.backbone\.args\.width.*widen_factor"):
        BACKBONES.build("wrn", num_classes=3, width=4)
    assert BACKBONES.entry("wrn").metadata["input_size"] == 32
    assert BACKBONES.entry("cvt13").metadata["input_size"] == 224


def test_backbone_spec_builds_the_registered_entry_with_the_class_count():
    model = Backbone("wrn", {"depth": 10, "widen_factor": 1}).build(num_classes=7)
    assert isinstance(model, WideResNet) and model.num_classes == 7


def test_a_generic_registry_builds_checks_and_lists_its_entries():
    registry: Registry[tuple] = Registry("generator", "data.generator")

    @registry.register("pair", test_kwargs={"b": 1}, modality="image")
    def pair(a: int = 0, b: int = 0) -> tuple:
        return (a, b)

    registry.register("any", lambda **kwargs: tuple(sorted(kwargs)))
    assert list(registry) == ["any", "pair"] and len(registry) == 2 and "pair" in registry
    assert registry.build("pair", a=2) == (2, 0)
    assert registry.build("any", z=1, y=2) == ("y", "z")  # **kwargs: every argument accepted
    assert registry.entry("pair").metadata == {"modality": "image"}
    assert [name for name, _ in registry.contract_cases()] == ["any", "pair"]
    with pytest.raises(ConfigError, match=r"data\.generator.*'any', 'pair'"):
        registry.build("nope")
    with pytest.raises(ConfigError, match=r"data\.generator\.args\.c"):
        registry.build("pair", c=3)
    with pytest.raises(ValueError, match="twice"):
        registry.register("pair", lambda: ())


def test_cifar_resnet_official_init_statistics():
    """Kaiming fan-in: std sqrt(2 / (in * 3 * 3)); linear N(0, 0.01) with zero bias."""
    from shared.models import CifarResNet

    torch.manual_seed(0)
    model = CifarResNet(10, widths=(64, 128, 256, 512), blocks=(1, 1, 1, 1), init="official")
    conv = model.layer4[0].conv2.weight  # 512 x 512 x 3 x 3: 2.4M draws
    assert conv.std().item() == pytest.approx((2 / (512 * 9)) ** 0.5, rel=0.01)
    assert model.fc.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.count_nonzero(model.fc.bias) == 0
    default = CifarResNet(10, widths=(64, 128, 256, 512), blocks=(1, 1, 1, 1))
    assert torch.count_nonzero(default.fc.bias) > 0  # PyTorch's default: uniform bias
    with pytest.raises(ConfigError, match="init"):
        CifarResNet(10, init="xavier")
