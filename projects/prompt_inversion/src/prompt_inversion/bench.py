"""`make bench`: what is timed and its target (the harness in :mod:`shared.bench` does the rest).

Target-embedding throughput (MiniLM encoding vs reading the per-image cache), one training step
of the default model, and the latency of ``predict``'s forward pass on one image.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml

from prompt_inversion.losses import joint_loss
from prompt_inversion.model import Backbone, PromptPredictor
from prompt_inversion.render import random_scene
from prompt_inversion.target import cached_embeddings, encode
from shared.bench import Throughput

PROMPTS = 64
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"


def default_backbone() -> Backbone:
    """The backbone of ``configs/default.yaml``."""
    spec = yaml.safe_load(CONFIG.read_text())["model"]["init_args"]["backbone"]
    return Backbone(spec["name"], spec.get("args", {}))


def default_vocabulary() -> int:
    return int(yaml.safe_load(CONFIG.read_text())["data"]["init_args"]["vocab_size"])


def prompts(count: int = PROMPTS) -> list[str]:
    rng = np.random.default_rng(0)
    return [random_scene(rng).prompt + f" #{i}" for i in range(count)]


def encoding():
    texts = prompts()
    encode(texts[:2])  # load the model outside the timed calls
    return lambda: encode(texts)


def cached_reads():
    folder = Path(tempfile.mkdtemp(prefix="prompt_inversion-bench-"))
    texts, stems = prompts(), [f"s{i}" for i in range(PROMPTS)]
    cached_embeddings(stems, texts, folder)
    return lambda: cached_embeddings(stems, texts, folder)


def default_model() -> PromptPredictor:
    torch.manual_seed(0)
    backbone = default_backbone()
    return PromptPredictor(backbone.build(), default_vocabulary(), *backbone.stats)


def train_step():
    model = default_model().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    images, targets = (
        torch.rand(64, 3, 32, 32),
        torch.nn.functional.normalize(torch.randn(64, 384), dim=1),
    )
    labels = (torch.rand(64, default_vocabulary()) < 0.2).float()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        embedding, _, logits = model(images)
        joint_loss(embedding, targets, logits, labels)["loss"].backward()
        optimizer.step()

    return step


def predict_forward():
    model, image = default_model().eval(), torch.rand(1, 3, 32, 32)
    return lambda: model(image)


def benchmarks() -> list[Throughput]:
    return [
        Throughput(
            f"MiniLM targets, {PROMPTS} prompts uncached",
            encoding,
            PROMPTS,
            unit="prompts/s",
            inference=True,
        ),
        Throughput(
            f"MiniLM targets, {PROMPTS} prompts from the .npy cache",
            cached_reads,
            PROMPTS,
            unit="prompts/s",
        ),
        Throughput("train step, default ViT (32 px, batch 64), joint loss", train_step, 64),
        Throughput(
            "predict forward, default ViT, one image",
            predict_forward,
            1,
            unit="images/s",
            inference=True,
        ),
    ]
