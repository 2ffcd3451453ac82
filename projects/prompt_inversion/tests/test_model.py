"""Every registered backbone (tiny random configs): shapes, unit norm, where the classifier reads,
the frozen CLIP tower, and pretrained weights refused offline with the field named."""

import pytest
import torch
from prompt_inversion.model import BACKBONES, Backbone, PromptPredictor

from shared.errors import ConfigError
from shared.testing.registry import registry_cases


@pytest.mark.parametrize("entry", registry_cases(BACKBONES))
def test_every_backbone_gives_a_unit_embedding_and_logits(entry):
    torch.manual_seed(0)
    spec = Backbone(entry.name, dict(entry.test_kwargs))
    net = PromptPredictor(spec.build(), num_classes=5, mean=spec.stats[0], std=spec.stats[1])
    images = torch.rand(2, 3, 32, 32)
    embedding, raw, logits = net(images)
    assert embedding.shape == raw.shape == (2, 384) and logits.shape == (2, 5)
    assert torch.allclose(embedding.norm(dim=1), torch.ones(2), atol=1e-5)
    (embedding.sum() + logits.sum()).backward()
    assert net.classifier.weight.grad is not None


def test_the_black_box_classifier_reads_the_raw_vector():
    torch.manual_seed(0)
    net = PromptPredictor(torch.nn.Linear(3 * 4 * 4, 384), 3, (0.0,) * 3, (1.0,) * 3)
    net.backbone = torch.nn.Sequential(torch.nn.Flatten(), net.backbone)
    embedding, raw, logits = net(torch.rand(2, 3, 4, 4))
    assert torch.allclose(logits, net.classifier(raw))
    assert not torch.allclose(raw.norm(dim=1), torch.ones(2))
    net.classifier_input = "normalized"  # the white-box U-Net's placement
    embedding, raw, logits = net(torch.rand(2, 3, 4, 4))
    assert torch.allclose(logits, net.classifier(embedding))
    assert not torch.allclose(logits, net.classifier(raw))


def test_the_clip_tower_stays_frozen():
    entry = BACKBONES.entry("clip_mlp")
    model = BACKBONES.build("clip_mlp", **entry.test_kwargs).train()
    assert not model.encoder.training and model.mlp.training
    assert not any(p.requires_grad for p in model.encoder.parameters())
    model(torch.rand(4, 3, 32, 32)).sum().backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert model.mlp[0].in_features == 16 and model.mlp[-1].out_features == 384
    assert [type(m).__name__ for m in model.mlp[:4]] == ["Linear", "GELU", "BatchNorm1d", "Dropout"]


@pytest.mark.parametrize(
    ("name", "args"),
    [("vit", {"pretrained": "vit_base_patch16_224.augreg2_in21k_ft_in1k"}),
     ("clip_mlp", {"pretrained": "hf-hub:laion/CLIP-ViT-H-14-laion2B-s32B-b79K"}),
     ("vit", {"pretrained": "/nonexistent/vit.safetensors"})],
)  # fmt: skip
def test_missing_pretrained_weights_name_the_field(tmp_path, monkeypatch, name, args):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match=r"backbone.args.pretrained"):
        BACKBONES.build(name, **args)


def test_vit_weights_load_from_a_file(tmp_path):
    tiny = dict(BACKBONES.entry("vit").test_kwargs)
    torch.manual_seed(0)
    saved = BACKBONES.build("vit", **tiny)
    torch.save(saved.state_dict(), tmp_path / "vit.pth")
    torch.manual_seed(1)
    loaded = BACKBONES.build("vit", pretrained=str(tmp_path / "vit.pth"), **tiny)
    for key in ("patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "pos_embed"):
        assert torch.equal(saved.state_dict()[key], loaded.state_dict()[key]), key
