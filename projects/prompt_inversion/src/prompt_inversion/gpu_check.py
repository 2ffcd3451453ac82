"""`python -m prompt_inversion.gpu_check`: bf16 training steps of the black-box models at paper
size (random weights) on CUDA, as JSON lines. Imports neither jsonargparse nor ``shared.cli``.

The white-box U-Net encoder's step (SD 2 size) comes with the encoder (it needs
``shared.diffusion``)."""

from __future__ import annotations

import sys

import torch

from prompt_inversion.losses import joint_loss
from prompt_inversion.model import BACKBONES, PromptPredictor
from prompt_inversion.target import EMBEDDING_DIM
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


def checks() -> list[GpuCheck]:
    return [
        TrainStep("ViT-B/16 224 px joint loss, batch 64", lambda: batch("vit", 224, 64), joint),
        TrainStep(
            "SwinV2-L 256 px joint loss, batch 16 (grad checkpointing)",
            lambda: batch("swin", 256, 16),
            joint,
        ),
    ]


if __name__ == "__main__":
    sys.exit(gpucheck.main("prompt_inversion", checks))
