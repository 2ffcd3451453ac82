"""Rewards behind one interface: ``reward(images, prompts) -> one score per image``, images in
[0, 1] as ``[B, 3, H, W]``. Stage 1 scores with it, the evaluation reports it.

- ``aesthetic_score``: the LAION improved aesthetic predictor (an MLP on the L2-normalised CLIP
  ViT-L/14 image embedding). The CLIP tower is loaded by hub id or path; ``clip="tiny"`` builds a
  random tiny tower (tests), and the MLP loads the official ``sac+logos+ava1-l14-linearMSE.pth``
  by path (random without one, allowed only with the tiny tower).
- ``human_score``: HPSv2.1 on open_clip (ViT-H-14, the checkpoint by path; ``arch="tiny"``: a
  random stand-in).
- ``llava_bertscore``: text alignment, a captioner's caption (the official LLaVA server, a local
  model, or the colour stand-in) against "The image contains {prompt}", scored by the server,
  by the MiniLM cosine the shipped server computes, or by the paper's BERTScore recall (see
  :mod:`curriculum_dpo.rewards_text`).
- ``brightness`` and ``colour_alignment``: computable proxies for the embedded colour run (an
  aesthetic proxy and a text-alignment proxy, spec §10.1).

:func:`score` checks what a reward returns: a count that does not match the images or a
non-finite score is an error, never a silently dropped row.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from curriculum_dpo.prompts import COLOUR_RGB
from curriculum_dpo.rewards_text import text_alignment
from shared.errors import ConfigError
from shared.registry import Registry

REWARDS: Registry[nn.Module] = Registry("reward", "data.reward")

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class RewardError(ValueError):
    """A reward returned something that cannot rank the images."""


def score(reward: nn.Module, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
    """``reward(images, prompts)`` as float64, checked: one finite score per image."""
    if len(images) != len(prompts):
        raise RewardError(f"{len(images)} images but {len(prompts)} prompts")
    with torch.no_grad():
        values = reward(images, list(prompts)).double().reshape(-1)
    name = getattr(reward, "name", type(reward).__name__)
    if len(values) != len(images):
        raise RewardError(f"reward {name} returned {len(values)} scores for {len(images)} images")
    if not torch.isfinite(values).all():
        row = int((~torch.isfinite(values)).nonzero()[0])
        raise RewardError(
            f"reward {name} returned {values[row].item()} for image {row} (prompt "
            f"{prompts[row]!r}): a non-finite reward cannot rank the images"
        )
    return values


def prompt_colour(prompt: str) -> torch.Tensor | None:
    """The RGB of the first colour word in ``prompt`` (``None`` if it names none)."""
    for word in prompt.lower().replace("_", " ").split():
        if word in COLOUR_RGB:
            return torch.tensor(COLOUR_RGB[word])
    return None


class Brightness(nn.Module):
    """Mean intensity of the prompt's colour channels (all channels for a prompt without a
    colour): 1 for a white image, 0 for a black one."""

    name = "brightness"

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        scores = []
        for image, prompt in zip(images, prompts, strict=True):
            colour = prompt_colour(prompt)
            mask = torch.ones(3) if colour is None else colour
            channels = image.flatten(1).mean(1)
            scores.append((channels * mask.to(image)).sum() / mask.sum())
        return torch.stack(scores)


class ColourAlignment(nn.Module):
    """Cosine similarity of the image's mean RGB and the prompt's colour (1 = the colour asked
    for, 0 = an orthogonal one)."""

    name = "colour_alignment"

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        colours = []
        for prompt in prompts:
            colour = prompt_colour(prompt)
            if colour is None:
                raise ConfigError(
                    "data.prompts", prompt, f"a prompt naming one of {list(COLOUR_RGB)}"
                )
            colours.append(colour)
        mean_rgb = images.flatten(2).mean(2)
        return F.cosine_similarity(mean_rgb, torch.stack(colours).to(images), dim=1)


class AestheticMLP(nn.Module):
    """The LAION improved aesthetic predictor head; its ``layers.*`` keys match the official
    ``sac+logos+ava1-l14-linearMSE.pth``."""

    def __init__(self, dim: int = 768) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(dim, 1024),
            nn.Dropout(0.2),
            nn.Linear(1024, 128),
            nn.Dropout(0.2),
            nn.Linear(128, 64),
            nn.Dropout(0.1),
            nn.Linear(64, 16),
            nn.Linear(16, 1),
        )

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.layers(embeddings).squeeze(-1)


class LaionAesthetic(nn.Module):
    """CLIP image embedding → L2 normalisation → :class:`AestheticMLP`. Images are quantised to
    uint8 levels as the official scorer does before CLIP's preprocessing (here resized bicubic to
    the tower's input size and normalised with CLIP's mean and std, on tensors)."""

    name = "aesthetic_score"

    def __init__(self, vision: nn.Module, mlp: AestheticMLP) -> None:
        super().__init__()
        self.vision, self.mlp = vision.eval(), mlp.eval()
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        size = self.vision.config.image_size
        pixels = (images.clamp(0, 1) * 255).round() / 255
        pixels = F.interpolate(pixels, size=(size, size), mode="bicubic", antialias=True)
        embeddings = self.vision(pixel_values=(pixels - self.mean) / self.std).image_embeds
        return self.mlp(F.normalize(embeddings, dim=-1))


def _tiny_clip_vision(seed: int = 0):
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        image_size=16,
        patch_size=8,
        projection_dim=768,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIPVisionModelWithProjection(config)


@REWARDS.register("aesthetic_score", test_kwargs={"clip": "tiny"}, paper_tau=0.2)
def aesthetic_score(clip: str = "openai/clip-vit-large-patch14", mlp: str | None = None):
    """The LAION aesthetic reward: ``clip`` a hub id or folder of CLIP ViT-L/14 (``tiny``: a random
    stand-in), ``mlp`` the path of the predictor's weights."""
    from shared.hub import require_pretrained

    if clip == "tiny":
        vision = _tiny_clip_vision()
    else:
        from transformers import CLIPVisionModelWithProjection

        source = require_pretrained(clip, library="transformers", field="data.reward_args.clip")
        vision = CLIPVisionModelWithProjection.from_pretrained(source)
    head = AestheticMLP(vision.config.projection_dim)
    if mlp is not None:
        path = require_pretrained(mlp, library="transformers", field="data.reward_args.mlp")
        head.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    elif clip != "tiny":
        raise ConfigError(
            "data.reward_args.mlp",
            None,
            "the path of sac+logos+ava1-l14-linearMSE.pth",
            "It is in github.com/christophschuhmann/improved-aesthetic-predictor.",
        )
    vision.requires_grad_(False)
    head.requires_grad_(False)
    return LaionAesthetic(vision, head)


REWARDS.register("brightness", Brightness, test_kwargs={}, computable=True)
REWARDS.register("colour_alignment", ColourAlignment, test_kwargs={}, computable=True)


class HPSv2(nn.Module):
    """Human Preference Score v2.1: the cosine of an open_clip model's normalised image and text
    features (the diagonal of image_feat · text_featᵀ). Images are quantised to uint8 levels,
    resized bicubic to the model's input size and normalised with CLIP's mean and std (the
    official scorer resizes to 512 px first, then applies open_clip's ``preprocess_val``)."""

    name = "human_score"

    def __init__(self, model: nn.Module, tokenizer) -> None:
        super().__init__()
        self.model, self.tokenizer = model.eval(), tokenizer
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        size = self.model.visual.image_size
        size = size if isinstance(size, tuple) else (size, size)
        pixels = (images.clamp(0, 1) * 255).round() / 255
        pixels = F.interpolate(pixels, size=size, mode="bicubic", antialias=True)
        image = self.model.encode_image((pixels - self.mean) / self.std, normalize=True)
        tokens = self.tokenizer(list(prompts)).to(images.device)
        text = self.model.encode_text(tokens, normalize=True)
        return (image * text).sum(-1)


def _tiny_open_clip(seed: int = 0) -> nn.Module:
    from open_clip.model import CLIP

    vision = {"image_size": 16, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16}
    text = {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIP(embed_dim=16, vision_cfg=vision, text_cfg=text)


@REWARDS.register("human_score", test_kwargs={"arch": "tiny"}, paper_tau=0.02)
def human_score(arch: str = "ViT-H-14", checkpoint: str | None = None):
    """HPSv2.1 on open_clip: ``arch`` the open_clip architecture (``tiny``: a random stand-in),
    ``checkpoint`` the path of ``HPS_v2.1_compressed.pt`` (its ``state_dict``)."""
    import open_clip

    from shared.hub import require_pretrained

    tokenizer = open_clip.get_tokenizer("ViT-H-14")  # the BPE vocabulary ships with open_clip
    if arch == "tiny":
        model = _tiny_open_clip()
    else:
        if checkpoint is None:
            raise ConfigError(
                "data.reward_args.checkpoint",
                None,
                "the path of HPS_v2.1_compressed.pt",
                "It is on the hub as xswu/HPSv2 (file HPS_v2.1_compressed.pt).",
            )
        path = require_pretrained(
            checkpoint, library="open_clip", field="data.reward_args.checkpoint"
        )
        model = open_clip.create_model(arch, pretrained=None)
        state = torch.load(path, map_location="cpu", weights_only=False)
        model.load_state_dict(state.get("state_dict", state))
    model.requires_grad_(False)
    return HPSv2(model, tokenizer)


REWARDS.register("llava_bertscore", text_alignment, test_kwargs={"encoder": "tiny"}, paper_tau=0.02)
