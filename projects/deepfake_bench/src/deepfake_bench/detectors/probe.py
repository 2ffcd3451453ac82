"""``probe_lite``: UnivFD's recipe (Ojha et al., CVPR 2023) — a frozen encoder never trained to
detect fakes, and one linear layer on its features — with a locally pretrained encoder.

UnivFD's strength comes from CLIP ViT-L/14 features, which cannot be downloaded here; the lite
encoder is a stand-in: a small convolutional denoising autoencoder pretrained (in
:meth:`Probe.prepare`) on the real training patches only, so it has never seen a fake; its
pooled bottleneck (mean and std over space) is the feature. ``size="full"`` builds UnivFD
itself: open_clip's ``ViT-L-14`` image tower from ``pretrained`` (a tag, ``hf-hub:`` id or
file; through :mod:`shared.hub`), inputs resized to its 224 px with CLIP's normalisation, the
768-d ``encode_image`` output into the linear head (``vision``: a small random tower for tests).
Only the head trains (Adam, the config's rate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepfake_bench.detectors.base import Detector, Normalize, as_float_images
from shared.errors import ConfigError
from shared.hub import load_pretrained

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PRETRAINED_FIELD = "model.init_args.detector.args.pretrained"


class DenoisingAutoencoder(nn.Module):
    """32 px -> 8x8 bottleneck of ``width * 2`` channels -> 32 px (transposed-conv decoder)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(width, 2 * width, 3, 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(2 * width, 2 * width, 3, 1, 1),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, 3, 4, 2, 1),
        )  # fmt: skip
        self.feature_dim = 4 * width

    def features(self, x: Tensor) -> Tensor:
        z = self.encoder(x)
        return torch.cat([z.mean(dim=(2, 3)), z.std(dim=(2, 3))], 1)


class Probe(Detector):
    """Args:
    size: ``lite`` (local denoising-AE encoder) or ``full`` (CLIP ViT-L/14, UnivFD).
    width: lite encoder width.
    pretrain_steps: lite encoder pretraining steps on real patches (Adam 1e-3, batch 64).
    noise_std: lite denoising noise σ (images in [0, 1]).
    clip_model: full size: the open_clip architecture name.
    pretrained: full size: CLIP weights (open_clip tag, ``hf-hub:`` id or file).
    vision: full size, tests only: arguments of a small random open_clip ``VisionTransformer``.
    """

    real_only_preparation = True

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        width: int = 32,
        pretrain_steps: int = 300,
        noise_std: float = 0.1,
        clip_model: str = "ViT-L-14",
        pretrained: str | None = None,
        vision: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.full, self.pretrain_steps, self.noise_std = size == "full", pretrain_steps, noise_std
        if self.full:
            self.encoder, dim = clip_tower(clip_model, pretrained, vision)
            self.normalize = Normalize(CLIP_MEAN, CLIP_STD)
        else:
            self.encoder = DenoisingAutoencoder(width)
            dim = self.encoder.feature_dim
        self.encoder.requires_grad_(False)
        self.head = nn.Linear(dim, 1)

    def train(self, mode: bool = True) -> Probe:
        super().train(mode)
        self.encoder.eval()  # frozen: no dropout, no BN statistics updates
        return self

    def features(self, x: Tensor) -> Tensor:
        x = as_float_images(x)
        if not self.full:
            return self.encoder.features(x)
        size = self.encoder.image_size
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False)
        return self.encoder(self.normalize(x))

    def forward(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            features = self.features(x)
        return self.head(features).squeeze(1)

    def prepare(self, reals: Tensor, fakes: Tensor) -> None:
        """Pretrain the lite encoder as a denoising autoencoder on ``reals`` only."""
        if self.full:
            return
        model = self.encoder.requires_grad_(True).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(0)
        images = as_float_images(reals)
        for _ in range(self.pretrain_steps):
            batch = images[torch.randint(len(images), (64,), generator=generator)]
            noisy = batch + self.noise_std * torch.randn(batch.shape, generator=generator)
            loss = F.mse_loss(model.decoder(model.encoder(noisy)), batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.requires_grad_(False).eval()

    def preparation_state(self) -> dict[str, Tensor]:
        return self.encoder.state_dict()

    def load_preparation(self, state: dict[str, Tensor]) -> None:
        self.encoder.load_state_dict(state)


def clip_tower(
    clip_model: str, pretrained: str | None, vision: dict[str, Any] | None
) -> tuple[nn.Module, int]:
    """open_clip's image tower and its output width (random and small when ``vision``)."""
    import open_clip
    from open_clip.transformer import VisionTransformer

    if vision is not None:
        tower = VisionTransformer(**vision)
        return tower, vision["output_dim"]
    if pretrained is None:
        raise ConfigError(
            PRETRAINED_FIELD,
            None,
            "CLIP weights: an open_clip tag (e.g. openai), an hf-hub: id or a file",
            "UnivFD probes frozen pretrained CLIP features; a random ViT-L/14 learns nothing.",
        )

    def create(source: str | Path) -> nn.Module:
        if isinstance(source, Path) or not str(source).startswith("hf-hub:"):
            return open_clip.create_model(clip_model, pretrained=str(source))
        return open_clip.create_model(str(source))

    model = load_pretrained(create, pretrained, library="open_clip", field=PRETRAINED_FIELD)
    return model.visual, model.visual.output_dim
