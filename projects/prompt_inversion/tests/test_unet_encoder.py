"""The white-box U-Net encoder (spec §13 "White-box adapter"): shape and unit norm, a full U-Net's
weights loading with only the head missing and only the decoder unexpected, the down and mid
blocks equal to diffusers' own U-Net forward at t = 0, the caption context, the frozen parts,
the classifier on the normalised embedding, and an input that carries no prompt text."""

import inspect
import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from prompt_inversion.captioner import CAPTIONERS, ColourCaptioner
from prompt_inversion.data import DiffusionDBDataModule
from prompt_inversion.model import BACKBONES, Backbone, PromptPredictor
from prompt_inversion.module import PromptInversion
from prompt_inversion.testing import write_diffusiondb
from prompt_inversion.unet_encoder import DECODER_PREFIXES, UNetEncoder, WhiteBoxUNet

from shared.diffusion import encode_prompts, tiny_parts, tiny_unet
from shared.errors import ConfigError

TINY = dict(BACKBONES.entry("unet").test_kwargs)


@pytest.fixture(scope="module")
def white_box() -> WhiteBoxUNet:
    return BACKBONES.build("unet", **TINY)


def test_the_encoder_gives_a_unit_embedding_and_the_classifier_reads_it(white_box):
    spec = Backbone("unet", TINY)
    assert spec.classifier_input == "normalized" and spec.stats == ((0.5,) * 3, (0.5,) * 3)
    net = PromptPredictor(white_box, 5, *spec.stats, spec.classifier_input)
    embedding, raw, logits = net(torch.rand(3, 3, 32, 32))
    assert embedding.shape == raw.shape == (3, 384) and logits.shape == (3, 5)
    assert torch.allclose(embedding.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(logits, net.classifier(embedding))
    assert not torch.allclose(logits, net.classifier(raw))


def test_the_module_places_the_classifier_by_backbone():
    assert PromptInversion(Backbone("unet", TINY), 4).net.classifier_input == "normalized"
    vit = Backbone("vit", dict(BACKBONES.entry("vit").test_kwargs))
    assert PromptInversion(vit, 4).net.classifier_input == "raw"
    assert PromptInversion(vit, 4, classifier_input="normalized").net.classifier_input == (
        "normalized"
    )


def test_a_full_unet_loads_with_only_the_head_missing_and_the_decoder_unexpected(tmp_path):
    full = tiny_unet(sample_size=16, seed=3)
    torch.save(full.state_dict(), tmp_path / "unet.pth")
    encoder = UNetEncoder(tiny_unet(sample_size=16, seed=4))
    assert not torch.equal(encoder.conv_in.weight, full.conv_in.weight)
    keys = encoder.load_unet_state_dict(torch.load(tmp_path / "unet.pth"))
    assert sorted(keys.missing_keys) == ["proj.bias", "proj.weight"]
    assert keys.unexpected_keys and all(
        k.startswith(DECODER_PREFIXES) for k in keys.unexpected_keys
    )
    assert {k.split(".")[0] for k in keys.unexpected_keys} == {"up_blocks", "conv_norm_out", "conv_out"}  # fmt: skip
    for name, value in encoder.state_dict().items():
        if not name.startswith("proj."):
            assert torch.equal(value, full.state_dict()[name]), name
    encoder_size = sum(p.numel() for n, p in encoder.named_parameters() if not n.startswith("proj"))
    assert sum(p.numel() for p in full.parameters()) == 792_964  # spec §13: about 0.8 M
    assert encoder_size == 395_200  # its down and mid blocks, time embedding and conv_in


def test_the_encoder_runs_the_unets_own_down_and_mid_blocks_at_t0():
    unet = tiny_unet(sample_size=8, seed=1).eval()
    encoder = UNetEncoder(unet).eval()
    latents, context = torch.randn(2, 4, 8, 8), torch.randn(2, 5, 32)
    captured = {}
    unet.mid_block.register_forward_hook(lambda m, i, out: captured.setdefault("mid", out))
    with torch.no_grad():
        unet(latents, 0, encoder_hidden_states=context)
        expected = encoder.proj(captured["mid"].amax(dim=(2, 3)))
        assert torch.allclose(encoder(latents, context), expected, atol=1e-6)
        captured.clear()
        unet(latents, 500, encoder_hidden_states=context)  # another timestep gives another output
        assert not torch.allclose(encoder.proj(captured["mid"].amax(dim=(2, 3))), expected)
        assert not torch.allclose(encoder(latents, torch.randn(2, 5, 32)), expected)


def test_the_context_is_the_encoded_caption_of_the_image_and_the_latent_is_scaled(white_box):
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    inputs = white_box.inputs(images)
    assert inputs.captions == ColourCaptioner()((images + 1) / 2)
    expected = encode_prompts(white_box.tokenizer, white_box.text_encoder, inputs.captions)
    assert torch.equal(inputs.context, expected) and inputs.context.shape == (2, 77, 32)
    mean = white_box.vae.encode(images).latent_dist.mean
    assert white_box.scaling_factor == 0.18215
    assert torch.allclose(inputs.latents, mean * 0.18215) and inputs.latents.shape == (2, 4, 16, 16)


def test_only_the_encoder_trains(white_box):
    white_box.train()
    assert white_box.encoder.training and not white_box.vae.training
    assert not white_box.text_encoder.training
    white_box.zero_grad()
    white_box(torch.rand(2, 3, 32, 32) * 2 - 1).sum().backward()
    assert white_box.encoder.conv_in.weight.grad is not None
    assert white_box.encoder.down_blocks[0].attentions[0].proj_in.weight.grad is not None
    for frozen in (white_box.vae, white_box.text_encoder):
        assert all(p.grad is None and not p.requires_grad for p in frozen.parameters())


def test_the_colour_captioner_names_the_foreground_and_background():
    image = torch.ones(3, 8, 8)
    image[:, 2:6, 2:6] = torch.tensor([0.9, 0.05, 0.05]).view(3, 1, 1)
    blank = torch.zeros(3, 8, 8)
    blank[2] = 1.0
    assert ColourCaptioner()(torch.stack([image, blank])) == [
        "a red shape on a white background",
        "a blue shape on a blue background",
    ]
    assert CAPTIONERS.build("constant", text="a photo")(image[None]) == ["a photo"]


def test_weights_from_a_pipeline_folder_and_missing_ones_name_the_field(tmp_path, monkeypatch):
    parts = tiny_parts(tmp_path / "tokenizer", ColourCaptioner.words, image_size=32, seed=5)
    for name in ("unet", "vae", "text_encoder", "tokenizer"):
        getattr(parts, name).save_pretrained(tmp_path / "sd" / name)
    loaded = BACKBONES.build("unet", pretrained=str(tmp_path / "sd"), captioner="colours")
    for name, value in loaded.encoder.state_dict().items():
        if not name.startswith("proj."):
            assert torch.equal(value, parts.unet.state_dict()[name]), name
    assert torch.equal(loaded.vae.encoder.conv_in.weight, parts.vae.encoder.conv_in.weight)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=r"backbone\.args\.pretrained"):
        BACKBONES.build("unet", pretrained="stabilityai/stable-diffusion-2-base", captioner="colours")  # fmt: skip
    with pytest.raises(ConfigError, match=r"backbone\.args\.pretrained"):
        BACKBONES.build("unet", captioner="colours")
    with pytest.raises(ConfigError, match=r"captioner_args\.pretrained"):
        BACKBONES.build("unet", tiny={"image_size": 32})  # BLIP, the default captioner
    with pytest.raises(ConfigError, match=r"backbone\.args\.tiny\.depth"):
        BACKBONES.build("unet", tiny={"depth": 2}, captioner="colours")


def _swap_prompts(source, target):
    """A copy of the folder fixture with every prompt replaced (same images, same names)."""
    shutil.copytree(source, target)
    table = pq.read_table(target / "metadata.parquet")
    rows = table.to_pylist()
    for k, row in enumerate(rows):
        row["prompt"] = f"an oil painting of a dog riding a bike number {k}"
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), target / "metadata.parquet")
    for part in sorted((target / "images").glob("part-*/part-*.json")):
        entries = json.loads(part.read_text())
        by_name = {row["image_name"]: row["prompt"] for row in rows}
        part.write_text(json.dumps({n: {**e, "p": by_name[n]} for n, e in entries.items()}))
    return [row["prompt"] for row in rows]


def test_the_white_box_input_carries_no_prompt_text(tmp_path, white_box):
    original = tmp_path / "a"
    rows = write_diffusiondb(original, folders=True)
    swapped = _swap_prompts(original, tmp_path / "b")
    batches = {}
    for name in ("a", "b"):  # the official split ignores the prompts: the same images per side
        data = DiffusionDBDataModule(
            str(tmp_path / name), image_size=32, vocab_size=4, split="official", test_parts=(2,),
            tagger="none",
        )  # fmt: skip
        data.setup("fit")
        batches[name] = next(iter(data.history_dataloader()))  # in order, unshuffled
    (images_a, targets_a, *_), (images_b, targets_b, *_) = batches["a"], batches["b"]
    assert torch.equal(images_a, images_b) and not torch.allclose(targets_a, targets_b)
    white_box.eval()
    spec = Backbone("unet", TINY)
    net = PromptPredictor(white_box, 4, *spec.stats, spec.classifier_input).eval()
    pixels_a, pixels_b = ((x - net.mean) / net.std for x in (images_a, images_b))
    inputs_a, inputs_b = white_box.inputs(pixels_a), white_box.inputs(pixels_b)
    assert inputs_a.captions == inputs_b.captions
    assert torch.equal(inputs_a.latents, inputs_b.latents)
    assert torch.equal(inputs_a.context, inputs_b.context)
    with torch.no_grad():
        assert torch.equal(net(images_a)[0], net(images_b)[0])
    prompts = {r["prompt"] for r in rows} | set(swapped)
    assert not prompts & set(inputs_a.captions)
    assert not any(w in c for c in inputs_a.captions for w in ("illustration", "dog", "bike"))
    # nothing but the image goes in: the forwards take no prompt, caption or index argument
    for forward in (PromptPredictor.forward, WhiteBoxUNet.forward, WhiteBoxUNet.inputs):
        assert list(inspect.signature(forward).parameters) == ["self", "images"]
    assert np.isfinite(targets_a.numpy()).all()


def _tiny_blip(folder):
    """A random BLIP captioning model and its processor, saved as a hub folder would hold them."""
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    folder.mkdir()
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "shape"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    image_processor = BlipImageProcessor(size={"height": 16, "width": 16})
    BlipProcessor(image_processor, BertTokenizer(str(folder / "vocab.txt"))).save_pretrained(folder)
    layers = {"hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1,
              "num_attention_heads": 2}  # fmt: skip
    config = BlipConfig(
        text_config={**layers, "vocab_size": len(words), "encoder_hidden_size": 16,
                     "max_position_embeddings": 32, "bos_token_id": 2, "sep_token_id": 3,
                     "pad_token_id": 0},
        vision_config={**layers, "image_size": 16, "patch_size": 8},
        projection_dim=16,
    )  # fmt: skip
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    return folder


def test_a_blip_captioner_from_a_folder_gives_the_context(tmp_path):
    folder = _tiny_blip(tmp_path / "blip")
    white_box = BACKBONES.build(
        "unet", tiny={"image_size": 32}, captioner="blip",
        captioner_args={"pretrained": str(folder), "max_new_tokens": 3},
    )  # fmt: skip
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    inputs = white_box.inputs(images)
    assert len(inputs.captions) == 2 and all(isinstance(c, str) for c in inputs.captions)
    assert inputs.captions == white_box.captioner((images + 1) / 2)  # deterministic (greedy)
    assert white_box(images).shape == (2, 384)
    white_box.train()
    assert not white_box.captioner.model.training
