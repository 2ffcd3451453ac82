"""The self-distilled masked auto-encoder built from CvT blocks, as the official code builds it.

Module and attribute names follow the official state-dict keys (``patch_embed.proj``,
``blocks.0.attn.conv_proj_q.conv``, ``decoder_student_block`` ...), so the authors' released
checkpoints load with ``strict=True``. Quirks kept on purpose (they change the numbers): no
positional embedding, the kept tokens stay in shuffled order and the encoder's depth-wise
convolutions see them as a fake ``H' x W'(1-r)`` grid, the attention scale uses the full width,
and the CLS token bypasses the point-wise MLP.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError

LayerNorm = partial(nn.LayerNorm, eps=1e-6)


def masked_grid_width(grid: tuple[int, int], mask_ratio: float) -> int:
    """Width of the fake grid the kept tokens are reshaped to; raises if the grid cannot take it."""
    height, width = grid
    kept_width = int(width * (1.0 - mask_ratio))
    if not 0.0 <= mask_ratio < 1.0 or height * kept_width != int(
        height * width * (1.0 - mask_ratio)
    ):
        raise ConfigError(
            "mask_ratio",
            mask_ratio,
            f"a ratio r in [0, 1) with {height} * int({width} * (1 - r)) == int({height * width} * (1 - r))",
            "The kept tokens are reshaped to a (rows, int(cols * (1 - r))) grid; for a "
            f"{height}x{width} token grid, r = 0.5 or 0.75 work.",
        )
    return kept_width


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, L, p*p*C); tokens row-major, inside a token (row, col, channel)."""
    batch, channels, height, width = images.shape
    rows, cols = height // patch_size, width // patch_size
    x = images.reshape(batch, channels, rows, patch_size, cols, patch_size)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(batch, rows * cols, patch_size**2 * channels)


def unpatchify(tokens: torch.Tensor, patch_size: int, grid: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`patchify` for a ``grid`` of (rows, cols) tokens."""
    batch, _, dim = tokens.shape
    rows, cols = grid
    channels = dim // patch_size**2
    x = tokens.reshape(batch, rows, cols, patch_size, patch_size, channels)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(
        batch, channels, rows * patch_size, cols * patch_size
    )


class ConvEmbed(nn.Module):
    """Non-overlapping patch convolution followed by a LayerNorm over channels."""

    def __init__(self, patch_size: int, in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class DepthwiseProjection(nn.Module):
    """3x3 depth-wise convolution + BatchNorm on the token grid (CvT's ``dw_bn`` projection)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, kernel_size=3, padding=1, bias=False, groups=dim)
        self.bn = nn.BatchNorm2d(dim)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(grid)).flatten(2).transpose(1, 2)


def _split_cls(x: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Split (B, 1+h*w, C) into the CLS token and a (B, C, h, w) grid."""
    cls_token, tokens = x[:, :1], x[:, 1:]
    return cls_token, tokens.transpose(1, 2).reshape(x.shape[0], x.shape[2], height, width)


class ConvAttention(nn.Module):
    """Multi-head attention whose q/k/v pass a depth-wise conv projection, then a linear one."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = dim**-0.5  # the full width, not the head width (as in the official code)
        self.conv_proj_q = DepthwiseProjection(dim)
        self.conv_proj_k = DepthwiseProjection(dim)
        self.conv_proj_v = DepthwiseProjection(dim)
        self.proj_q = nn.Linear(dim, dim)
        self.proj_k = nn.Linear(dim, dim)
        self.proj_v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        return x.view(batch, length, self.num_heads, dim // self.num_heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
        cls_token, grid = _split_cls(x, height, width)
        q, k, v = (
            self._heads(linear(torch.cat((cls_token, conv(grid)), dim=1)))
            for conv, linear in (
                (self.conv_proj_q, self.proj_q),
                (self.conv_proj_k, self.proj_k),
                (self.conv_proj_v, self.proj_v),
            )
        )
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.proj(out.transpose(1, 2).reshape(x.shape))


class PointwiseConvMlp(nn.Module):
    """1x1-conv MLP on the grid tokens; the CLS position is passed through unchanged."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(dim, hidden, 1), nn.GELU(), nn.Dropout(dropout), nn.Conv2d(hidden, dim, 1)
        )

    def forward(self, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
        cls_token, grid = _split_cls(x, height, width)
        return torch.cat((cls_token, self.net(grid).flatten(2).transpose(1, 2)), dim=1)


class CvTBlock(nn.Module):
    """Pre-norm block: conv attention then point-wise conv MLP, each with a residual."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = LayerNorm(dim)
        self.attn = ConvAttention(dim, num_heads)
        self.norm2 = LayerNorm(dim)
        self.mlp = PointwiseConvMlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), height, width)
        return x + self.mlp(self.norm2(x), height, width)


class FixedKernel(nn.Module):
    """A frozen morphology kernel of the official model; unused, kept so checkpoints load strictly."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels, channels, size, size), requires_grad=False)


@dataclass(frozen=True)
class MAEConfig:
    """One architecture preset (the constructor arguments of the official factory)."""

    img_size: tuple[int, int]
    patch_size: int
    embed_dim: int = 256
    depth: int = 3
    num_heads: int = 4
    decoder_embed_dim: int = 128
    decoder_depth: int = 3
    decoder_num_heads: int = 4
    mlp_ratio: float = 2.0
    student_depth: int = 1
    in_chans: int = 9
    out_chans: int = 4


PRESETS: dict[str, MAEConfig] = {
    "avenue_p16": MAEConfig((320, 640), 16),  # mae_cvt_patch16 in the official factory
    "shanghai_p8": MAEConfig((160, 320), 8),  # mae_cvt_patch8
    # Paper-only patch sizes; input sizes are ours (a 20x40 token grid like the released ones).
    "ped2_p4": MAEConfig((80, 160), 4),
    "ubnormal_p8": MAEConfig((160, 320), 8),
    "tiny": MAEConfig((64, 64), 8, 64, 2, 4, 32, 2, 4),
}


def preset(name: str, **overrides: object) -> MAEConfig:
    """A named preset, with optional field overrides (for shrunk test configs)."""
    if name not in PRESETS:
        raise ConfigError("model.preset", name, f"one of {sorted(PRESETS)}")
    return MAEConfig(**{**PRESETS[name].__dict__, **overrides})


@dataclass
class MAEOutput:
    teacher: torch.Tensor  # (B, L, p*p*out_chans)
    mask: torch.Tensor  # (B, L), 1 = removed
    latent: torch.Tensor  # (B, 1 + L_keep, embed_dim)
    student: torch.Tensor | None = None
    cls_logit: torch.Tensor | None = None  # (B,), only with the classification head


class MaskedAutoencoderCvT(nn.Module):
    """Teacher MAE with a self-distilled student decoder branch (and an optional CLS head)."""

    def __init__(self, config: MAEConfig, cls_head: bool = False) -> None:
        super().__init__()
        if config.student_depth < 1 or config.student_depth >= config.decoder_depth:
            raise ConfigError(
                "student_depth", config.student_depth, f"1..{config.decoder_depth - 1}"
            )
        height, width = config.img_size
        if height % config.patch_size or width % config.patch_size:
            raise ConfigError(
                "img_size", config.img_size, f"multiples of patch_size {config.patch_size}"
            )
        self.config = config
        self.patch_size = config.patch_size
        self.grid = (height // config.patch_size, width // config.patch_size)
        dim, dec = config.embed_dim, config.decoder_embed_dim
        self.patch_embed = ConvEmbed(config.patch_size, config.in_chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList(
            CvTBlock(dim, config.num_heads, config.mlp_ratio) for _ in range(config.depth)
        )
        self.norm = LayerNorm(dim)
        self.decoder_embed = nn.Linear(dim, dec)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec))
        self.decoder_blocks = nn.ModuleList(
            CvTBlock(dec, config.decoder_num_heads, config.mlp_ratio)
            for _ in range(config.decoder_depth)
        )
        self.decoder_norm = LayerNorm(dec)
        out_dim = config.patch_size**2 * config.out_chans
        self.decoder_pred = nn.Linear(dec, out_dim)
        self.decoder_student_block = CvTBlock(dec, config.decoder_num_heads, config.mlp_ratio)
        self.decoder_student_norm = LayerNorm(dec)
        self.decoder_student_pred = nn.Linear(dec, out_dim)
        self.erosion = FixedKernel(1, 2)
        self.dilation = FixedKernel(1, 3)
        self.erosion_3 = FixedKernel(3, 2)
        self.dilation_3 = FixedKernel(3, 3)
        self.cls_head = nn.Linear(dim, 1) if cls_head else None

    def random_masking(
        self, tokens: torch.Tensor, mask_ratio: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keep a random ``int(L(1-r))`` tokens in shuffled order; mask (1 = removed), restore ids."""
        batch, length, dim = tokens.shape
        keep = int(length * (1.0 - mask_ratio))
        noise = torch.rand(batch, length, generator=generator, device=tokens.device)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        kept = torch.gather(tokens, 1, ids_shuffle[:, :keep, None].expand(-1, -1, dim))
        mask = torch.ones(batch, length, device=tokens.device)
        mask[:, :keep] = 0
        return kept, torch.gather(mask, 1, ids_restore), ids_restore

    def forward_encoder(
        self, x: torch.Tensor, mask_ratio: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        kept_width = masked_grid_width(self.grid, mask_ratio)
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        tokens, mask, ids_restore = self.random_masking(tokens, mask_ratio, generator)
        h = torch.cat((self.cls_token.expand(tokens.shape[0], -1, -1), tokens), dim=1)
        for block in self.blocks:
            h = block(h, self.grid[0], kept_width)
        return self.norm(h), mask, ids_restore

    def _decoder_input(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        x = self.decoder_embed(latent)
        missing = ids_restore.shape[1] + 1 - x.shape[1]
        tokens = torch.cat((x[:, 1:], self.mask_token.expand(x.shape[0], missing, -1)), dim=1)
        tokens = torch.gather(tokens, 1, ids_restore[..., None].expand(-1, -1, x.shape[2]))
        return torch.cat((x[:, :1], tokens), dim=1)

    def forward_decoder(
        self, latent: torch.Tensor, ids_restore: torch.Tensor, with_student: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher prediction, and the student's (which splits off after ``student_depth`` blocks)."""
        x = self._decoder_input(latent, ids_restore)
        rows, cols = self.grid
        student = None
        for index, block in enumerate(self.decoder_blocks):
            if with_student and index == self.config.student_depth:
                s = self.decoder_student_block(x, rows, cols)
                student = self.decoder_student_pred(self.decoder_student_norm(s))[:, 1:]
            x = block(x, rows, cols)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:], student

    def forward(
        self,
        x: torch.Tensor,
        mask_ratio: float = 0.5,
        with_student: bool = False,
        generator: torch.Generator | None = None,
    ) -> MAEOutput:
        latent, mask, ids_restore = self.forward_encoder(x, mask_ratio, generator)
        teacher, student = self.forward_decoder(latent, ids_restore, with_student)
        logit = self.cls_head(latent[:, 0]).squeeze(1) if self.cls_head is not None else None
        return MAEOutput(teacher, mask, latent, student, logit)

    def student_parameter_names(self) -> list[str]:
        return [n for n, _ in self.named_parameters() if n.startswith("decoder_student")]

    def freeze_backbone(self) -> None:
        """Stage 2: everything but the student block, norm and prediction head stops training."""
        for name, parameter in self.named_parameters():
            parameter.requires_grad = name.startswith("decoder_student")
