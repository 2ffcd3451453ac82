"""`make bench`: what is timed and its target (the harness in :mod:`shared.bench` does the rest).

Target-embedding throughput (MiniLM encoding vs reading the per-image cache), one training step
of each model family at CPU scale (the default ViT, the reproduction's tiny white-box U-Net,
a small Swin V2 and CLIP + MLP with a small random frozen tower: random weights, 32 px, batch
64), and the latency of ``predict``'s forward pass on one image.
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
CONFIGS = Path(__file__).resolve().parents[2] / "configs"
CONFIG = CONFIGS / "default.yaml"
BATCH = 64


def config_backbone(config: Path) -> Backbone:
    """The backbone a config trains."""
    spec = yaml.safe_load(config.read_text())["model"]["init_args"]["backbone"]
    return Backbone(spec["name"], spec.get("args", {}))


FAMILIES = {
    "default ViT": lambda: config_backbone(CONFIG),
    "tiny white-box U-Net (configs/unet.yaml)": lambda: config_backbone(CONFIGS / "unet.yaml"),
    "small Swin V2": lambda: Backbone("swin", {
        "img_size": 32, "patch_size": 4, "embed_dim": 32, "depths": (2, 2), "num_heads": (2, 4),
        "window_size": 4, "grad_checkpointing": False}),
    "CLIP + MLP (small random frozen tower)": lambda: Backbone("clip_mlp", {
        "vision": {"img_size": 32, "patch_size": 8, "embed_dim": 64, "depth": 2, "num_heads": 2,
                   "feature_dim": 64}, "hidden": 512}),
}  # fmt: skip
"""Each model family's backbone at CPU scale, built when its benchmark runs."""


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


def model_of(backbone: Backbone) -> PromptPredictor:
    torch.manual_seed(0)
    return PromptPredictor(
        backbone.build(), default_vocabulary(), *backbone.stats, backbone.classifier_input
    )


def train_step(family: str):
    model = model_of(FAMILIES[family]()).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    images, targets = (
        torch.rand(BATCH, 3, 32, 32),
        torch.nn.functional.normalize(torch.randn(BATCH, 384), dim=1),
    )
    labels = (torch.rand(BATCH, default_vocabulary()) < 0.2).float()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        embedding, _, logits = model(images)
        joint_loss(embedding, targets, logits, labels)["loss"].backward()
        optimizer.step()

    return step


def predict_forward():
    model, image = model_of(config_backbone(CONFIG)).eval(), torch.rand(1, 3, 32, 32)
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
        *(
            Throughput(
                f"train step, {family} (32 px, batch {BATCH}), joint loss",
                lambda family=family: train_step(family),
                BATCH,
            )
            for family in FAMILIES
        ),
        Throughput(
            "predict forward, default ViT, one image",
            predict_forward,
            1,
            unit="images/s",
            inference=True,
        ),
    ]
