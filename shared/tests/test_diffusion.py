"""shared.diffusion: the tiny Stable Diffusion parts build deterministically, tokenize like CLIP,
compose (text → embeddings → noise prediction), save and reload through the loaders, and a
hub id that is not cached fails fast offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from shared.diffusion import (
    encode_prompts,
    load_parts,
    load_unet,
    tiny_parts,
    tiny_text_encoder,
    tiny_tokenizer,
    tiny_unet,
    tiny_vae,
)
from shared.errors import ConfigError

WORDS = ["a photo of a cat", "a red dog riding a bike"]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory):
    return tiny_parts(tmp_path_factory.mktemp("tokenizer"), WORDS, max_length=16)


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_tokenizer_makes_each_word_one_token_and_round_trips(tmp_path: Path) -> None:
    tokenizer = tiny_tokenizer(tmp_path, WORDS, max_length=16)
    ids = tokenizer("A photo of a cat").input_ids
    tokens = tokenizer.convert_ids_to_tokens(ids)
    words = ["a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"]
    assert tokens == ["<|startoftext|>", *words, "<|endoftext|>"]
    assert (ids[0], ids[-1]) == (0, 1)
    assert tokenizer.decode(ids, skip_special_tokens=True) == "a photo of a cat"
    # text outside the vocabulary falls back to byte symbols and still round-trips
    unseen = tokenizer("zebra 42!").input_ids
    assert len(unseen) > 4
    assert tokenizer.decode(unseen, skip_special_tokens=True) == "zebra 4 2 !"


def test_tokenizer_pads_to_its_length_and_reloads_from_its_folder(tmp_path: Path) -> None:
    from transformers import CLIPTokenizer

    tokenizer = tiny_tokenizer(tmp_path, WORDS, max_length=16)
    padded = tokenizer(["a cat"], padding="max_length", max_length=16).input_ids[0]
    assert len(padded) == 16 and padded[:4] == tokenizer("a cat").input_ids
    assert set(padded[4:]) == {tokenizer.pad_token_id}
    again = CLIPTokenizer.from_pretrained(tmp_path)
    assert again("a red dog").input_ids == tokenizer("a red dog").input_ids
    assert again.model_max_length == 16


def test_builders_are_deterministic_per_seed_and_leave_the_global_generator(tmp_path) -> None:
    torch.manual_seed(7)
    expected = torch.rand(1)
    torch.manual_seed(7)
    a, b, c = tiny_unet(seed=3), tiny_unet(seed=3), tiny_unet(seed=4)
    assert torch.equal(torch.rand(1), expected)
    assert _same(a, b) and not _same(a, c)
    assert _same(tiny_vae(seed=1), tiny_vae(seed=1)) and not _same(tiny_vae(seed=1), tiny_vae())
    tokenizer = tiny_tokenizer(tmp_path, WORDS)
    assert _same(tiny_text_encoder(tokenizer, seed=2), tiny_text_encoder(tokenizer, seed=2))


def test_vae_halves_the_resolution_into_four_latent_channels(parts) -> None:
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        latents = parts.vae.encode(images).latent_dist.sample()
        decoded = parts.vae.decode(latents).sample
    assert latents.shape == (2, 4, 8, 8) and decoded.shape == (2, 3, 16, 16)


def test_text_to_noise_prediction_composes(parts) -> None:
    embeddings = encode_prompts(parts.tokenizer, parts.text_encoder, ["a cat", "a red dog"])
    assert embeddings.shape == (2, 16, 32)
    latents = torch.randn(2, 4, 8, 8)
    noise = torch.randn_like(latents)
    t = torch.tensor([10, 900])
    noisy = parts.noise_scheduler.add_noise(latents, noise, t)
    prediction = parts.unet(noisy, t, embeddings).sample
    assert prediction.shape == latents.shape and torch.isfinite(prediction).all()
    # the prompt reaches the prediction through cross-attention
    other = encode_prompts(parts.tokenizer, parts.text_encoder, ["a cat", "a photo"])
    assert not torch.allclose(parts.unet(noisy, t, other).sample[1], prediction[1])


def test_guidance_embedding_input_for_consistency_models() -> None:
    unet = tiny_unet(time_cond_proj_dim=16)
    x, context = torch.randn(2, 4, 8, 8), torch.randn(2, 5, 32)
    w1, w2 = torch.zeros(2, 16), torch.ones(2, 16)
    out1 = unet(x, torch.tensor([5, 5]), context, timestep_cond=w1).sample
    out2 = unet(x, torch.tensor([5, 5]), context, timestep_cond=w2).sample
    assert out1.shape == x.shape and not torch.allclose(out1, out2)


def test_parts_save_and_reload_through_the_loaders(parts, tmp_path: Path) -> None:
    for name in ("tokenizer", "text_encoder", "vae", "unet"):
        getattr(parts, name).save_pretrained(tmp_path / name)
    parts.noise_scheduler.save_pretrained(tmp_path / "scheduler")
    loaded = load_parts(tmp_path, field="model.pretrained")
    for name in ("text_encoder", "vae", "unet"):
        assert _same(getattr(parts, name), getattr(loaded, name))
    assert loaded.tokenizer("a cat").input_ids == parts.tokenizer("a cat").input_ids
    assert loaded.noise_scheduler.config.beta_end == 0.012
    assert _same(load_unet(tmp_path / "unet", field="f", subfolder=None), parts.unet)


def test_a_hub_id_missing_from_the_cache_fails_offline(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="hf download org/missing-sd") as error:
        load_unet("org/missing-sd", field="model.pretrained")
    assert error.value.field == "model.pretrained"
    with pytest.raises(ConfigError, match="an existing file or folder"):
        load_parts(tmp_path / "absent", field="model.pretrained")


def test_pipeline_samples_images_of_the_configured_size(parts) -> None:
    pipe = parts.pipeline()
    pipe.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(0)
    images = pipe(
        ["a cat"], num_inference_steps=1, output_type="pt", generator=generator, height=16, width=16
    ).images
    assert images.shape == (1, 3, 16, 16) and 0 <= images.min() and images.max() <= 1
