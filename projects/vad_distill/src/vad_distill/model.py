"""The released networks: the CyTran student with three heads, the phase-1 frame auto-encoder
and the per-teacher stage discriminator (``ristea/fast-aed``: ``vit_pytorch/cytran.py``,
``vit_pytorch/cytran_masked_ae.py``, ``networks/StageDiscriminator.py``).

State-dict keys and shapes equal the official ones for the paper presets (pinned in
``tests/official_keys.json``), so released checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from shared.errors import ConfigError
from vad_distill.blocks import Decoder, Encoder, Transformer

# The last activation of the 4x4 and 16x16 heads: ReLU as released; a sigmoid is our dead-head
# guard (a ReLU whose input is negative everywhere never recovers). No parameters either way.
MAP_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


@dataclass(frozen=True)
class StudentConfig:
    """Architecture of the student/auto-encoder. ``image_size`` is (H, W) of the frames the
    preset is meant for (the networks accept any size; the data checks frames against it)."""

    image_size: tuple[int, int] = (360, 640)
    in_channels: int = 9
    ngf: int = 16
    n_downsampling: int = 4
    depth: int = 5
    heads: int = 5
    dim_head: int = 64
    mlp_mult: int = 4
    proj_kernel: int = 3
    head_width: int = 64
    dropout: float = 0.0
    map_activation: str = "relu"

    def __post_init__(self) -> None:
        if self.map_activation not in MAP_ACTIVATIONS:
            raise ConfigError(
                "model.map_activation", self.map_activation, f"one of {sorted(MAP_ACTIVATIONS)}"
            )

    @property
    def dim(self) -> int:
        return self.ngf * 2**self.n_downsampling


PRESETS: dict[str, StudentConfig] = {
    "avenue_640x360": StudentConfig(),
    # ShanghaiTech frames (856x480) are resized to 640x360 before training, as the official
    # config declares; the network is Avenue's.
    "shanghai_640x360": StudentConfig(),
    # The official code has no Ped2 config: Avenue's network on Ped2's native 360x240 frames
    # (our assumption).
    "ped2": StudentConfig(image_size=(240, 360)),
    "tiny": StudentConfig(image_size=(64, 64), n_downsampling=2, depth=2, heads=2, dim_head=32),
}


def preset(name: str, **overrides: object) -> StudentConfig:
    if name not in PRESETS:
        raise ConfigError("model.preset_name", name, f"one of {sorted(PRESETS)}")
    return replace(PRESETS[name], **overrides)


def _map_head(dim: int, width: int, size: int, activation: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(dim, width, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, 1, 3, padding=1),
        MAP_ACTIVATIONS[activation](),
        nn.AdaptiveMaxPool2d((size, size)),
    )


def _score_head(features: int) -> nn.Sequential:
    return nn.Sequential(
        nn.AdaptiveMaxPool2d((2, 2)), nn.Flatten(), nn.ReLU(), nn.Linear(features, 1), nn.Sigmoid()
    )


class _Backbone(nn.Module):
    """Encoder + transformer; subclasses add the three heads (and ``out_image``)."""

    def __init__(self, config: StudentConfig) -> None:
        super().__init__()
        c = config
        self.config = config
        self.conv_encoder = Encoder(c.in_channels, c.ngf, c.n_downsampling)
        self.transformer = Transformer(
            c.dim, c.depth, c.heads, c.dim_head, c.mlp_mult, c.proj_kernel, 2, c.dropout
        )

    def _heads(self, head_channels: int) -> None:
        c = self.config
        # The frame-score head flattens a 2x2 max-pool: 4 * channels inputs (the official
        # student hard-codes 1024 = 4 * 256).
        self.small = _score_head(4 * head_channels)
        self.medium = _map_head(head_channels, c.head_width, 4, c.map_activation)
        self.high = _map_head(head_channels, c.head_width, 16, c.map_activation)
        # Unused by the student; kept so auto-encoder and student checkpoints share it.
        self.out_image = nn.Conv2d(2 * c.ngf, 3, kernel_size=1)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Transformer output and the encoder's conv outputs."""
        features, skips = self.conv_encoder(x)
        return self.transformer(features), skips


class Student(_Backbone):
    """The frame-level student (``CyTran(9, 1, n_downsampling=4, depth=5, heads=5)``).

    ``forward`` maps (B, 9, H, W) to the frame score (B, 1) in (0, 1), a (B, 1, 4, 4) and a
    (B, 1, 16, 16) map (both >= 0). Released checkpoints were trained on the loader's transposed
    axes (B, 9, W, H): their kernels and the frame-score head's flatten order only fit that
    layout, which the data modules produce with ``official_transpose``.
    """

    def __init__(self, config: StudentConfig) -> None:
        super().__init__(config)
        self._heads(config.dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        features, _ = self.encode(x)
        return self.small(features), self.medium(features), self.high(features)


class FrameAutoEncoder(_Backbone):
    """Phase 1 (``CyTranAE(..., pretraining=True)``): the student's backbone plus a decoder; the
    output (B, 3, H/2, W/2) reconstructs the current frame at half resolution.

    Its own three heads (on the 2·ngf decoder features) are never used, as released; they are
    built because released auto-encoder checkpoints contain them. The optional grid masking
    layer of the official code (off there) is not built.
    """

    def __init__(self, config: StudentConfig) -> None:
        super().__init__(config)
        self.decoder = Decoder(config.ngf, config.n_downsampling)
        self._heads(2 * config.ngf)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, skips = self.encode(x)
        return self.out_image(self.decoder(features, skips))


def hand_over(
    autoencoder: FrameAutoEncoder | dict[str, torch.Tensor], student: Student
) -> list[str]:
    """Initialise ``student`` from phase-1 weights as ``main.py`` does: the layers whose shapes
    match (encoder, transformer, the 64->1 head convs, ``out_image``) are copied; a head layer
    with any tensor of another shape (``small.3``, ``medium.0``, ``high.0`` for the paper
    presets) is dropped whole, weight and bias, and so is the decoder. Returns the dropped keys."""
    state = autoencoder.state_dict() if isinstance(autoencoder, nn.Module) else autoencoder
    target = student.state_dict()
    mismatched = {
        k.rsplit(".", 1)[0] for k, v in state.items() if k in target and target[k].shape != v.shape
    }
    kept = {k: v for k, v in state.items() if k in target and k.rsplit(".", 1)[0] not in mismatched}
    student.load_state_dict(kept, strict=False)
    return sorted(set(state) - set(kept))


class StageDiscriminator(nn.Module):
    """One teacher's discriminator (``StageDiscriminator(no_teachers=1)``, 959 parameters): sees
    the 16x16 map, then the 4x4 map, then the frame score, and outputs P(real) (B, 1)."""

    def __init__(self, channels: int = 1, hidden: int = 50) -> None:
        super().__init__()
        self.large_block = nn.Sequential(
            nn.Conv2d(channels, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4)
        )
        self.medium_block = nn.Sequential(
            nn.Conv2d(channels + 4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten()
        )
        self.small_block = nn.Sequential(
            nn.Linear(channels + 8, hidden), nn.LeakyReLU(), nn.Linear(hidden, 1), nn.Sigmoid()
        )

    def forward(self, x16: torch.Tensor, x4: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        features = torch.cat((self.large_block(x16), x4), 1)
        return self.small_block(torch.cat((self.medium_block(features), x1), 1))
