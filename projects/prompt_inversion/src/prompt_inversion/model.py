"""The prompt-embedding predictors (plain ``nn.Module``s): black-box backbones and the
white-box U-Net encoder (:mod:`prompt_inversion.unet_encoder`).

A backbone maps a normalised image to a raw 384-d vector; :class:`PromptPredictor` adds the input
normalisation, the L2 normalisation of the embedding and the vocabulary classifier. For the
black-box models the classifier reads the **un-normalised** vector (official ViT, Swin and
CLIP + MLP scripts); for the white-box U-Net it reads the normalised embedding (official
``UnetModel``), its registry entry's ``classifier_input="normalized"``.

Backbones are registered by name in :data:`BACKBONES` with their input statistics; real weights
are loaded by name or path through :mod:`shared.hub` (offline from the local cache), the tests
build tiny random configurations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from prompt_inversion.target import EMBEDDING_DIM
from shared.errors import ConfigError
from shared.hub import load_pretrained
from shared.registry import Registry

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CLIP = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))
ClassifierInput = Literal["raw", "normalized"]
BACKBONES: Registry[nn.Module] = Registry(
    "prompt-embedding backbone", "model.init_args.backbone.name"
)


def timm_backbone(
    arch: str, pretrained: str | None, field: str, grad_checkpointing: bool = False, **kwargs: Any
) -> nn.Module:
    """``timm.create_model(arch, num_classes=384, **kwargs)``; ``pretrained`` names the weights
    (``arch.tag``, ``hf-hub:org/name`` or a file), ``None`` for random weights."""
    import timm

    def create(source: str | Path) -> nn.Module:
        if isinstance(source, Path):
            overlay = {"file": str(source)}
            return timm.create_model(
                arch,
                pretrained=True,
                pretrained_cfg_overlay=overlay,
                num_classes=EMBEDDING_DIM,
                **kwargs,
            )
        return timm.create_model(source, pretrained=True, num_classes=EMBEDDING_DIM, **kwargs)

    if pretrained is None:
        model = timm.create_model(arch, pretrained=False, num_classes=EMBEDDING_DIM, **kwargs)
    else:
        model = load_pretrained(create, pretrained, library="timm", field=field)
    if grad_checkpointing:
        model.set_grad_checkpointing(True)
    return model


@BACKBONES.register(
    "vit",
    input_size=224,
    stats=IMAGENET,
    paper="timm vit_base_patch16_224 (ImageNet weights), num_classes=384",
    test_kwargs={"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
)
def vit(
    arch: str = "vit_base_patch16_224", pretrained: str | None = None, **kwargs: Any
) -> nn.Module:
    """A timm ViT with a 384-d head (``kwargs``: timm's ``img_size``, ``depth``, ...)."""
    return timm_backbone(arch, pretrained, "model.init_args.backbone.args.pretrained", **kwargs)


@BACKBONES.register(
    "swin",
    input_size=256,
    stats=IMAGENET,
    paper="timm swinv2_large_window12to16_192to256 (22k-ft-1k weights), gradient checkpointing",
    test_kwargs={
        "img_size": 32,
        "patch_size": 4,
        "embed_dim": 16,
        "depths": (1, 1),
        "num_heads": (1, 2),
        "window_size": 4,
        "grad_checkpointing": False,
    },
)
def swin(
    arch: str = "swinv2_large_window12to16_192to256",
    pretrained: str | None = None,
    grad_checkpointing: bool = True,
    **kwargs: Any,
) -> nn.Module:
    """A timm Swin V2 with a 384-d head."""
    field = "model.init_args.backbone.args.pretrained"
    return timm_backbone(arch, pretrained, field, grad_checkpointing, **kwargs)


class FrozenClipMLP(nn.Module):
    """Frozen CLIP image features -> MLP -> 384 (official ``clip_experiments``).

    The official code precomputes the ViT-H/14 features once; a frozen tower in eval mode under
    ``no_grad`` computes the same features on the fly. MLP: Linear -> GELU -> BatchNorm ->
    Dropout twice, then Linear to 384.
    """

    def __init__(
        self, encoder: nn.Module, feature_dim: int, hidden: int = 8192, dropout: float = 0.5
    ) -> None:
        super().__init__()
        self.encoder = encoder.eval().requires_grad_(False)
        layers: list[nn.Module] = []
        width = feature_dim
        for _ in range(2):
            layers += [
                nn.Linear(width, hidden),
                nn.GELU(),
                nn.BatchNorm1d(hidden),
                nn.Dropout(dropout),
            ]
            width = hidden
        self.mlp = nn.Sequential(*layers, nn.Linear(width, EMBEDDING_DIM))

    def train(self, mode: bool = True) -> FrozenClipMLP:
        super().train(mode)
        self.encoder.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            features = self.encoder(images)
        return self.mlp(features.float())


@BACKBONES.register(
    "clip_mlp",
    input_size=224,
    stats=CLIP,
    rebuild_from_pretrained=True,  # its builder refuses a tower without weights or `vision`
    paper="frozen OpenCLIP ViT-H/14 image features (1024-d) + MLP 8192-8192-384",
    test_kwargs={
        "vision": {
            "img_size": 32,
            "patch_size": 8,
            "embed_dim": 32,
            "depth": 1,
            "num_heads": 2,
            "feature_dim": 16,
        },
        "hidden": 32,
    },
)
def clip_mlp(
    clip_model: str = "ViT-H-14",
    pretrained: str | None = None,
    vision: dict[str, Any] | None = None,
    hidden: int = 8192,
    dropout: float = 0.5,
) -> nn.Module:
    """OpenCLIP's image tower ``clip_model`` with ``pretrained`` weights (an open_clip tag,
    ``hf-hub:org/name`` or a file), or a random stand-in tower of the ``vision`` settings (a
    timm ViT: ``img_size``, ``patch_size``, ``embed_dim``, ``depth``, ``num_heads``,
    ``feature_dim``), frozen, with the MLP head."""
    if vision is not None:
        import timm

        settings = dict(vision)
        feature_dim = settings.pop("feature_dim", 64)
        encoder = timm.create_model(
            "vit_base_patch16_224", pretrained=False, num_classes=feature_dim, **settings
        )
        return FrozenClipMLP(encoder, feature_dim, hidden, dropout)
    if pretrained is None:
        raise ConfigError(
            "model.init_args.backbone.args.pretrained",
            None,
            "the CLIP weights (an open_clip tag such as laion2b_s32b_b79k, hf-hub:org/name or a file)",
            "A frozen random tower learns nothing; set `vision` for a small random one in tests.",
        )

    def create(source: str | Path) -> nn.Module:
        import open_clip  # slow to import: only once the weights are found

        if isinstance(source, Path) or not str(source).startswith("hf-hub:"):
            return open_clip.create_model(clip_model, pretrained=str(source))
        return open_clip.create_model(str(source))

    model = load_pretrained(
        create, pretrained, library="open_clip", field="model.init_args.backbone.args.pretrained"
    )
    return FrozenClipMLP(model.visual, model.visual.output_dim, hidden, dropout)


@BACKBONES.register(
    "conv",
    input_size=32,
    stats=IMAGENET,
    paper="none: a small CNN stand-in for CPU-scale runs (not in the paper)",
    test_kwargs={"widths": (8, 16)},
)
def conv(widths: tuple[int, ...] = (32, 64, 128)) -> nn.Module:
    """Conv-BN-ReLU stages (stride 2 after the first) -> global average pool -> Linear(384)."""
    layers: list[nn.Module] = []
    width = 3
    for i, out in enumerate(widths):
        layers += [nn.Conv2d(width, out, 3, stride=1 if i == 0 else 2, padding=1, bias=False),
                   nn.BatchNorm2d(out), nn.ReLU(inplace=True)]  # fmt: skip
        width = out
    return nn.Sequential(
        *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, EMBEDDING_DIM)
    )


@BACKBONES.register(
    "unet",
    input_size=512,
    stats=((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),  # [0, 1] -> [-1, 1], the VAE's input range
    classifier_input="normalized",
    rebuild_from_pretrained=True,
    paper="white-box: SD 2 U-Net encoder half (down + mid blocks, t = 0, BLIP caption context) "
    "on the SD VAE latent, max-pool, Linear(1280 -> 384)",
    test_kwargs={"tiny": {"image_size": 32}, "captioner": "colours"},
)
def unet(
    pretrained: str | None = None,
    captioner: str = "blip",
    captioner_args: dict[str, Any] | None = None,
    tiny: dict[str, Any] | None = None,
) -> nn.Module:
    """The white-box U-Net encoder (:mod:`prompt_inversion.unet_encoder`): ``pretrained`` names
    a diffusers Stable Diffusion repository or folder (U-Net, VAE, tokenizer, text encoder), or
    ``tiny`` builds small random parts; ``captioner`` (``blip``, ``colours``, ``constant``, with
    ``captioner_args``) captions each image for the cross-attention context."""
    from prompt_inversion.unet_encoder import white_box_unet  # imports diffusers

    return white_box_unet(pretrained, captioner, captioner_args, tiny)


@dataclass(frozen=True)
class Backbone:
    """A backbone named in :data:`BACKBONES`, with its builder's arguments.

    Args:
        name: ``vit``, ``swin``, ``clip_mlp``, ``unet`` or ``conv``.
        args: keyword arguments of that builder (e.g. ``pretrained``, timm's ``img_size``).
    """

    name: str = "vit"
    args: dict[str, Any] = field(default_factory=dict)

    def build(self) -> nn.Module:
        return BACKBONES.build(self.name, **self.args)

    @property
    def stats(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return BACKBONES.entry(self.name).metadata["stats"]

    @property
    def classifier_input(self) -> ClassifierInput:
        """Where this model's classifier reads: the white-box U-Net's on the normalised
        embedding, the black-box models' on the raw vector."""
        return BACKBONES.entry(self.name).metadata.get("classifier_input", "raw")

    @property
    def rebuild_from_pretrained(self) -> bool:
        """Whether rebuilding it for a checkpoint needs its ``pretrained`` source (the
        architecture or a tokenizer is read from there, not only the weights)."""
        return BACKBONES.entry(self.name).metadata.get("rebuild_from_pretrained", False)


class PromptPredictor(nn.Module):
    """Image in ``[0, 1]`` -> ``(unit embedding [B, 384], raw vector [B, 384], logits [B, K])``."""

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int,
        mean: tuple[float, ...] = IMAGENET[0],
        std: tuple[float, ...] = IMAGENET[1],
        classifier_input: ClassifierInput = "raw",
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = nn.Linear(EMBEDDING_DIM, num_classes)
        self.classifier_input = classifier_input
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        raw = self.backbone((images - self.mean) / self.std)
        embedding = F.normalize(raw, dim=1)
        logits = self.classifier(embedding if self.classifier_input == "normalized" else raw)
        return embedding, raw, logits
