"""Architecture checks against the official model (spec counts, shapes, key inventory)."""

import pytest
import torch
from fast_vad_mae.checkpoint import load_official_checkpoint
from fast_vad_mae.model import MaskedAutoencoderCvT, patchify, preset, unpatchify

from shared.errors import ConfigError


def _count(model, prefixes):
    return sum(p.numel() for n, p in model.named_parameters() if n.startswith(prefixes))


def official_block_keys(prefix: str, dim: int, hidden: int) -> dict[str, tuple[int, ...]]:
    """State-dict entries of one official CvT block (model/cvt.py Block with dw_bn projections)."""
    keys = {f"{prefix}.norm1.weight": (dim,), f"{prefix}.norm1.bias": (dim,)}
    for name in "qkv":
        conv = f"{prefix}.attn.conv_proj_{name}"
        keys |= {
            f"{conv}.conv.weight": (dim, 1, 3, 3),
            f"{conv}.bn.weight": (dim,),
            f"{conv}.bn.bias": (dim,),
            f"{conv}.bn.running_mean": (dim,),
            f"{conv}.bn.running_var": (dim,),
            f"{conv}.bn.num_batches_tracked": (),
            f"{prefix}.attn.proj_{name}.weight": (dim, dim),
            f"{prefix}.attn.proj_{name}.bias": (dim,),
        }
    keys |= {
        f"{prefix}.attn.proj.weight": (dim, dim),
        f"{prefix}.attn.proj.bias": (dim,),
        f"{prefix}.norm2.weight": (dim,),
        f"{prefix}.norm2.bias": (dim,),
        f"{prefix}.mlp.net.0.weight": (hidden, dim, 1, 1),
        f"{prefix}.mlp.net.0.bias": (hidden,),
        f"{prefix}.mlp.net.3.weight": (dim, hidden, 1, 1),
        f"{prefix}.mlp.net.3.bias": (dim,),
    }
    return keys


def official_avenue_inventory() -> dict[str, tuple[int, ...]]:
    """The key inventory of the official ``mae_cvt_patch16`` (MaskedAutoencoderCvT) state dict."""
    keys = {
        "cls_token": (1, 1, 256),
        "mask_token": (1, 1, 128),
        "patch_embed.proj.weight": (256, 9, 16, 16),
        "patch_embed.proj.bias": (256,),
        "patch_embed.norm.weight": (256,),
        "patch_embed.norm.bias": (256,),
        "norm.weight": (256,),
        "norm.bias": (256,),
        "decoder_embed.weight": (128, 256),
        "decoder_embed.bias": (128,),
        "decoder_norm.weight": (128,),
        "decoder_norm.bias": (128,),
        "decoder_pred.weight": (1024, 128),
        "decoder_pred.bias": (1024,),
        "decoder_student_norm.weight": (128,),
        "decoder_student_norm.bias": (128,),
        "decoder_student_pred.weight": (1024, 128),
        "decoder_student_pred.bias": (1024,),
        "erosion.weight": (1, 1, 2, 2),
        "dilation.weight": (1, 1, 3, 3),
        "erosion_3.weight": (3, 3, 2, 2),
        "dilation_3.weight": (3, 3, 3, 3),
    }
    for i in range(3):
        keys |= official_block_keys(f"blocks.{i}", 256, 512)
        keys |= official_block_keys(f"decoder_blocks.{i}", 128, 256)
    keys |= official_block_keys("decoder_student_block", 128, 256)
    return keys


@pytest.fixture(scope="module")
def avenue():
    torch.manual_seed(0)
    return MaskedAutoencoderCvT(preset("avenue_p16")).eval()


def test_avenue_parameter_counts(avenue):
    assert sum(p.numel() for p in avenue.parameters()) == 3_042_690
    assert sum(p.numel() for p in avenue.parameters() if p.requires_grad) == 3_042_560
    assert _count(avenue, ("patch_embed", "cls_token", "blocks", "norm.")) == 2_198_016
    assert _count(avenue, ("patch_embed",)) == 590_592
    teacher = ("decoder_embed", "mask_token", "decoder_blocks", "decoder_norm", "decoder_pred")
    assert _count(avenue, teacher) == 575_488
    assert _count(avenue, ("decoder_student",)) == 269_056
    assert _count(avenue, ("blocks.0.",)) == 535_552
    assert _count(avenue, ("decoder_blocks.0.",)) == 136_704


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("shanghai_p8", 2_402_178),
        ("ubnormal_p8", 2_402_178),
        ("ped2_p4", 2_242_050),
        ("tiny", 156_482),
    ],
)
def test_other_preset_parameter_counts(name, count):
    # A patch p differs from Avenue only in the patch embedding and the two prediction heads:
    # 3 042 690 - 9*256*(16^2 - p^2) - 2*129*4*(16^2 - p^2): 2 402 178 (p = 8), 2 242 050 (p = 4)
    assert sum(p.numel() for p in MaskedAutoencoderCvT(preset(name)).parameters()) == count


def test_state_dict_follows_official_key_inventory(avenue):
    ours = {k: tuple(v.shape) for k, v in avenue.state_dict().items()}
    assert ours == official_avenue_inventory()


def test_official_checkpoint_loads_strictly(avenue, tmp_path):
    inventory = official_avenue_inventory()
    generator = torch.Generator().manual_seed(1)
    state = {
        k: torch.randn(shape, generator=generator) if shape else torch.tensor(3)
        for k, shape in inventory.items()
    }
    torch.save({"model": state, "epoch": 7}, tmp_path / "checkpoint-best.pth")
    model = MaskedAutoencoderCvT(preset("avenue_p16"))
    load_official_checkpoint(model, tmp_path / "checkpoint-best.pth")
    assert torch.equal(
        model.decoder_student_block.attn.proj_q.weight,
        state["decoder_student_block.attn.proj_q.weight"],
    )
    del state["dilation_3.weight"]
    torch.save(state, tmp_path / "partial.pth")
    with pytest.raises(RuntimeError, match=r"dilation_3\.weight"):
        load_official_checkpoint(model, tmp_path / "partial.pth")


def test_avenue_shapes_and_mask(avenue):
    with torch.no_grad():
        out = avenue(torch.randn(2, 9, 320, 640), 0.5, with_student=True)
    assert out.teacher.shape == (2, 800, 1024) and out.student.shape == out.teacher.shape
    assert out.latent.shape == (2, 401, 256)
    assert out.mask.shape == (2, 800) and out.mask.sum(1).tolist() == [400.0, 400.0]


def test_shanghai_prediction_shape():
    model = MaskedAutoencoderCvT(preset("shanghai_p8")).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 9, 160, 320)).teacher.shape == (1, 800, 256)


def test_patchify_round_trip_and_channel_fastest():
    images = torch.arange(2 * 4 * 8 * 12, dtype=torch.float32).reshape(2, 4, 8, 12)
    tokens = patchify(images, 4)
    assert tokens.shape == (2, 6, 64)
    assert torch.equal(unpatchify(tokens, 4, (2, 3)), images)
    # token 1 = grid row 0, col 1; its first values are pixel (0, 4) in channels 0..3
    assert tokens[0, 1, :4].tolist() == [images[0, c, 0, 4].item() for c in range(4)]
    assert tokens[0, 1, 4].item() == images[0, 0, 0, 5].item()


@pytest.mark.parametrize("ratio", [0.3, 0.9, 1.0])
def test_mask_ratio_the_grid_cannot_take(ratio):
    model = MaskedAutoencoderCvT(preset("tiny"))  # 8x8 token grid
    with pytest.raises(ConfigError, match="mask_ratio"):
        model(torch.randn(1, 9, 64, 64), ratio)


def test_masking_is_seeded_and_keeps_tokens_shuffled():
    model = MaskedAutoencoderCvT(preset("tiny")).eval()
    x = torch.randn(2, 9, 64, 64)
    runs = [model(x, 0.5, True, torch.Generator().manual_seed(s)) for s in (3, 3, 4)]
    assert torch.equal(runs[0].teacher, runs[1].teacher) and torch.equal(
        runs[0].student, runs[1].student
    )
    assert not torch.equal(runs[0].mask, runs[2].mask)
    tokens = torch.arange(16.0).reshape(1, 16, 1)
    kept, mask, _ = model.random_masking(tokens, 0.0, torch.Generator().manual_seed(0))
    assert mask.sum() == 0 and sorted(kept.flatten().tolist()) == list(range(16))
    assert kept.flatten().tolist() != list(range(16))  # even r = 0 permutes the tokens


def test_student_splits_after_first_decoder_block():
    model = MaskedAutoencoderCvT(preset("tiny")).eval()
    x = torch.randn(1, 9, 64, 64)
    before = model(x, 0.5, True, torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.decoder_blocks[1].attn.proj.weight.add_(1.0)
    after = model(x, 0.5, True, torch.Generator().manual_seed(0))
    assert torch.equal(before.student, after.student) and not torch.equal(
        before.teacher, after.teacher
    )
    with torch.no_grad():
        model.decoder_blocks[0].attn.proj.weight.add_(1.0)
    assert not torch.equal(
        model(x, 0.5, True, torch.Generator().manual_seed(0)).student, after.student
    )


def test_attention_uses_full_width_scale_and_cls_skips_mlp():
    model = MaskedAutoencoderCvT(preset("tiny"))
    assert model.blocks[0].attn.scale == 64**-0.5
    mlp = model.blocks[0].mlp
    x = torch.randn(1, 1 + 4, 64)
    assert torch.equal(mlp(x, 2, 2)[:, 0], x[:, 0])


def test_freeze_backbone_leaves_only_the_student_trainable():
    torch.manual_seed(0)
    model = MaskedAutoencoderCvT(preset("tiny"))
    model.freeze_backbone()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("decoder_student") for n in trainable)
    assert trainable == {n for n, _ in model.named_parameters() if n.startswith("decoder_student")}


def test_classification_head_is_optional():
    assert "cls_head.weight" not in MaskedAutoencoderCvT(preset("tiny")).state_dict()
    model = MaskedAutoencoderCvT(preset("tiny"), cls_head=True)
    assert model(torch.randn(3, 9, 64, 64)).cls_logit.shape == (3,)


@pytest.mark.parametrize(
    ("name", "with_student", "ratio", "gmac"),
    [
        ("avenue_p16", False, 0.5, 2.29),
        ("avenue_p16", True, 0.5, 2.67),
        ("avenue_p16", True, 0.0, 4.06),
        ("shanghai_p8", False, 0.5, 1.86),
        ("shanghai_p8", True, 0.5, 2.16),
        ("shanghai_p8", True, 0.0, 3.55),
    ],
)
def test_multiply_accumulates_match_the_official_model(name, with_student, ratio, gmac):
    """GMAC per frame as counted on the official code (FlopCounterMode, FLOPs / 2): the token
    counts of the fake encoder grid and the 801x801 decoder attention must match it."""
    from torch.utils.flop_counter import FlopCounterMode

    model = MaskedAutoencoderCvT(preset(name)).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.randn(1, 9, *model.config.img_size), ratio, with_student)
    assert counter.get_total_flops() / 2e9 == pytest.approx(gmac, abs=0.005)
