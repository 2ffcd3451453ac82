"""The CyTran building blocks of the released student: a strided conv encoder, a convolutional
transformer and the auto-encoder's transposed-conv decoder.

Attribute names and their nesting follow the official modules (``down_sampling``,
``layers.<i>.<0|1>.fn``, ``to_q.net``, ``model.<i>.<j>``) so released state dicts load with
``strict=True``; that is why some layers sit in ``nn.Sequential`` containers by index.
"""

from __future__ import annotations

import torch
from torch import nn


class Encoder(nn.Module):
    """ReflectionPad(3) + 7x7 conv + BN + ReLU, then ``n_downsampling`` stride-2 3x3 convs that
    double the width. Returns the last feature and every conv output (the decoder's skips)."""

    def __init__(self, in_channels: int, ngf: int, n_downsampling: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, kernel_size=7, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
        ]
        for i in range(n_downsampling):
            width = ngf * 2**i
            layers += [
                nn.Conv2d(width, 2 * width, kernel_size=3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(2 * width),
                nn.ReLU(True),
            ]
        self.down_sampling = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for layer in self.down_sampling:
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                skips.append(x)  # taken before BN/ReLU, as the official encoder does
        return x, skips


class PreNorm(nn.Module):
    """LayerNorm over the channels of a (B, C, H, W) map, then ``fn``."""

    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(dim, dim * mult, 1),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv2d(dim * mult, dim, 1),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DepthWiseConv2d(nn.Module):
    """Depth-wise conv + BN + point-wise conv: the q and kv projections (no biases)."""

    def __init__(self, dim_in: int, dim_out: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(
                dim_in, dim_in, kernel_size, stride, kernel_size // 2, groups=dim_in, bias=False
            ),
            nn.BatchNorm2d(dim_in),
            nn.Conv2d(dim_in, dim_out, kernel_size=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Attention(nn.Module):
    """Multi-head attention of every position (queries) over a stride-``kv_stride`` grid (keys,
    values); no positional encoding, so the result does not depend on the flatten order."""

    def __init__(
        self, dim: int, proj_kernel: int, kv_stride: int, heads: int, dim_head: int, dropout: float
    ) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads, self.scale = heads, dim_head**-0.5
        self.to_q = DepthWiseConv2d(dim, inner, proj_kernel, stride=1)
        self.to_kv = DepthWiseConv2d(dim, 2 * inner, proj_kernel, stride=kv_stride)
        self.to_out = nn.Sequential(nn.Conv2d(inner, dim, 1), nn.Dropout(dropout))

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, c, h, w = t.shape  # (B, heads*d, h, w) -> (B*heads, h*w, d)
        return t.reshape(b * self.heads, c // self.heads, h * w).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        k, v = self.to_kv(x).chunk(2, dim=1)
        q, k, v = self._split(self.to_q(x)), self._split(k), self._split(v)
        attn = torch.softmax(q @ k.transpose(1, 2) * self.scale, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, -1, h, w)
        return self.to_out(out)


class Transformer(nn.Module):
    """``depth`` pre-norm layers of attention and a 1x1-conv MLP, each with a residual."""

    def __init__(
        self,
        dim: int,
        depth: int,
        heads: int,
        dim_head: int,
        mlp_mult: int = 4,
        proj_kernel: int = 3,
        kv_stride: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    PreNorm(dim, Attention(dim, proj_kernel, kv_stride, heads, dim_head, dropout)),
                    PreNorm(dim, FeedForward(dim, mlp_mult, dropout)),
                ]
            )
            for _ in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return x


class Decoder(nn.Module):
    """Transposed convs that halve the width back up to half the input resolution, each on
    (previous + the encoder feature of that size); the output adds the 2·ngf-channel feature.

    Built as released: ``n_downsampling`` transposed convs and a 7x7 output conv, of which only
    the first ``n_downsampling - 1`` run (the rest exist for checkpoint compatibility). The
    output size of each transposed conv is that of its skip feature (the official code hard-codes
    ``output_padding=(1, 0)`` for 640x360 frames in its transposed layout).
    """

    def __init__(self, ngf: int, n_downsampling: int, out_channels: int = 1) -> None:
        super().__init__()
        self.model = nn.ModuleList()
        for i in range(n_downsampling):
            width = ngf * 2 ** (n_downsampling - i)
            self.model.append(
                nn.Sequential(
                    nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(width // 2),
                    nn.ReLU(True),
                )
            )
        self.model.append(
            nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, kernel_size=7))
        )
        self.steps = n_downsampling - 1

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        for i in range(self.steps):
            up, norm, relu = self.model[i]
            x = x + skips[-1 - i]
            x = relu(norm(up(x, output_size=skips[-2 - i].shape[-2:])))
        return x + skips[-1 - self.steps]
