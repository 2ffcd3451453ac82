"""`python -m prompt_inversion.gpu_check`: bf16 training steps of the black-box models and of the
white-box U-Net encoder at paper size (random weights) on CUDA, as JSON lines. Imports neither
jsonargparse nor ``shared.cli``.

The U-Net step is the official one: the encoder half of SD 2's U-Net on 4x64x64 latents (512 px
images) with a 77x1024 caption context, both as precomputed inputs (the frozen VAE, captioner
and text encoder are not part of the step)."""

from __future__ import annotations

import sys

import torch

from prompt_inversion.losses import joint_loss
from prompt_inversion.model import BACKBONES, PromptPredictor
from prompt_inversion.target import EMBEDDING_DIM
from prompt_inversion.unet_encoder import SD2_UNET, UNetEncoder
from shared import gpucheck
from shared.gpucheck import GpuCheck, TrainStep

VOCABULARY = 1000


def joint(model: PromptPredictor, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The paper's objective; ``targets`` holds the embedding then the multi-hot label."""
    embedding, _, logits = model(images)
    target, labels = targets[:, :EMBEDDING_DIM], targets[:, EMBEDDING_DIM:]
    return joint_loss(embedding.float(), target, logits.float(), labels)["loss"]


def batch(
    name: str, size: int, count: int, **kwargs
) -> tuple[PromptPredictor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    stats = BACKBONES.entry(name).metadata["stats"]
    model = PromptPredictor(BACKBONES.build(name, **kwargs), VOCABULARY, *stats)
    target = torch.nn.functional.normalize(torch.randn(count, EMBEDDING_DIM), dim=1)
    labels = (torch.rand(count, VOCABULARY) < 0.01).float()
    return model, torch.rand(count, 3, size, size), torch.cat([target, labels], dim=1)


class EncoderStep(torch.nn.Module):
    """The U-Net encoder and the classifier on its normalised embedding, with a fixed caption
    context (a buffer, so it moves with the model): ``latents -> (embedding, raw, logits)``."""

    def __init__(self, encoder: UNetEncoder, context: torch.Tensor) -> None:
        super().__init__()
        self.encoder = encoder
        self.classifier = torch.nn.Linear(EMBEDDING_DIM, VOCABULARY)
        self.register_buffer("context", context)

    def forward(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        raw = self.encoder(latents, self.context)
        embedding = torch.nn.functional.normalize(raw, dim=1)
        return embedding, raw, self.classifier(embedding)


def unet_batch(
    count: int, config: dict = SD2_UNET, context_length: int = 77
) -> tuple[EncoderStep, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    side, width = config["sample_size"], config["cross_attention_dim"]
    context = torch.randn(count, context_length, width)
    model = EncoderStep(UNetEncoder.from_config(**config), context)
    target = torch.nn.functional.normalize(torch.randn(count, EMBEDDING_DIM), dim=1)
    labels = (torch.rand(count, VOCABULARY) < 0.01).float()
    latents = torch.randn(count, config["in_channels"], side, side)
    return model, latents, torch.cat([target, labels], dim=1)


def checks() -> list[GpuCheck]:
    return [
        TrainStep("ViT-B/16 224 px joint loss, batch 64", lambda: batch("vit", 224, 64), joint),
        TrainStep(
            "SwinV2-L 256 px joint loss, batch 16 (grad checkpointing)",
            lambda: batch("swin", 256, 16),
            joint,
        ),
        TrainStep(
            "SD 2 U-Net encoder (4x64x64 latents, 77x1024 context) joint loss, batch 16",
            lambda: unet_batch(16),
            joint,
        ),
    ]


if __name__ == "__main__":
    sys.exit(gpucheck.main("prompt_inversion", checks))
