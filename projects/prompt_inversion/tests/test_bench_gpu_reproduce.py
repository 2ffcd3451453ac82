"""The bench and GPU-check declarations."""

import torch
from prompt_inversion import bench, gpu_check
from prompt_inversion.losses import joint_loss


def test_bench_declares_targets_every_family_and_predict():
    names = [b.name for b in bench.benchmarks()]
    assert len(names) == 7 and any("uncached" in n for n in names)
    assert [n for n in names if n.startswith("train step")] == [
        f"train step, {family} (32 px, batch 64), joint loss" for family in bench.FAMILIES
    ]
    built = {family: backbone().name for family, backbone in bench.FAMILIES.items()}
    assert sorted(built.values()) == ["clip_mlp", "swin", "unet", "vit"]


def test_each_family_step_trains_its_head_and_keeps_frozen_parts_frozen(monkeypatch):
    monkeypatch.setattr(bench, "BATCH", 4)
    build = bench.model_of
    for family in bench.FAMILIES:
        model = build(bench.FAMILIES[family]())
        monkeypatch.setattr(bench, "model_of", lambda backbone, model=model: model)
        before = model.classifier.weight.detach().clone()
        frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
        bench.train_step(family)()
        assert not torch.equal(model.classifier.weight, before), family
        assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    assert len(frozen) == 32  # the last family, CLIP + MLP: its tower's weights


def test_the_gpu_loss_splits_targets_and_labels():
    model, images, targets = gpu_check.batch("conv", 16, 3, widths=(4, 8))
    assert targets.shape == (3, 384 + gpu_check.VOCABULARY)
    embedding, _, logits = model(images)
    expected = joint_loss(embedding, targets[:, :384], logits, targets[:, 384:])["loss"]
    assert torch.allclose(gpu_check.joint(model, images, targets), expected)
    assert len(gpu_check.checks()) == 3


def test_the_gpu_unet_step_trains_the_encoder_on_latents_and_a_context():
    tiny = {**gpu_check.SD2_UNET, "sample_size": 8, "block_out_channels": (32, 64),
            "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
            "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"), "attention_head_dim": 8,
            "cross_attention_dim": 16, "norm_num_groups": 8, "layers_per_block": 1}  # fmt: skip
    model, latents, targets = gpu_check.unet_batch(2, tiny, context_length=5)
    assert latents.shape == (2, 4, 8, 8) and model.context.shape == (2, 5, 16)
    gpu_check.joint(model, latents, targets).backward()
    assert model.encoder.conv_in.weight.grad is not None
    assert model.classifier.weight.grad is not None
