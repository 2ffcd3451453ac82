"""``aasist_lite``: AASIST (Jung et al., ICASSP 2022) — spectro-temporal graph attention on a
sinc front end.

Sinc bank (:mod:`.sinc`) -> |·| as a (filters × time) image -> maxpool 3 -> BN -> SELU ->
2-D residual encoder (kernels (2, 3), maxpool (1, 3) per block) -> two graphs: spectral nodes
(max |·| over time, plus a learnt positional term) and temporal nodes (max |·| over
frequency), each through graph attention (GAT) and graph pooling (keep the top ``ratio`` of
nodes by a learnt sigmoid score, scaled by it) -> two branches, each with its own stack
(master) node: heterogeneous stacking graph attention (HS-GAL) over both node types, graph
pooling, a second HS-GAL added to the first -> element-wise max of the branches -> readout
(max |·| and mean of temporal and of spectral nodes, and the stack node) -> Linear -> 1.
Attention weights come from the tanh-projected product of two nodes' features, divided by a
temperature, soft-maxed over neighbours.
Lite (AASIST-L shapes): 70 filters, encoder channels 8, 8, 16, 16, 24, 24, GAT dims 24 / 32
(56 k parameters; AASIST-L reports 85 k). Full (``size="full"``): encoder channels 32, 32, 64,
64, 64, 64, GAT dims 64 / 32 (298 k; AASIST reports 297 k). Simplified: no dropout, and the
HS-GAL's two node types are projected to one shared width before attention.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, AudioDetector
from deepfake_bench.detectors.audio.sinc import SincConv

SIZES = {
    "lite": {"channels": (8, 8, 16, 16, 24, 24), "gat_dims": (24, 32)},
    "full": {"channels": (32, 32, 64, 64, 64, 64), "gat_dims": (64, 32)},
}


def pairwise_attention(x: Tensor, project: nn.Linear, weight: Tensor, temp: float) -> Tensor:
    """(B, N, D) -> (B, N, N) soft-max over j of w · tanh(P(x_i ⊙ x_j)) / temperature;
    ``weight`` is (dout,) or (N, N, dout) (one weight vector per pair of node types)."""
    scores = (torch.tanh(project(x[:, :, None] * x[:, None])) * weight).sum(-1)
    return torch.softmax(scores / temp, dim=-1)


class GraphAttention(nn.Module):
    """x -> SELU(BN(W_a (A x) + W_s x)) with the pairwise attention map A."""

    def __init__(self, din: int, dout: int, temperature: float) -> None:
        super().__init__()
        self.project = nn.Linear(din, dout)
        self.weight = nn.Parameter(torch.randn(dout) / dout**0.5)
        self.with_att, self.without_att = nn.Linear(din, dout), nn.Linear(din, dout)
        self.bn = nn.BatchNorm1d(dout)
        self.temperature = temperature

    def forward(self, x: Tensor) -> Tensor:
        att = pairwise_attention(x, self.project, self.weight, self.temperature)
        out = self.with_att(att @ x) + self.without_att(x)
        return F.selu(self.bn(out.transpose(1, 2)).transpose(1, 2))


class GraphPool(nn.Module):
    """Keep the ``ratio`` highest-scoring nodes (at least one), each scaled by its score."""

    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        self.score, self.ratio = nn.Linear(dim, 1), ratio

    def forward(self, x: Tensor) -> Tensor:
        scores = torch.sigmoid(self.score(x))  # (B, N, 1)
        keep = max(int(x.shape[1] * self.ratio), 1)
        index = scores.topk(keep, dim=1).indices.expand(-1, -1, x.shape[2])
        return (x * scores).gather(1, index)


class HeteroGraphAttention(nn.Module):
    """HS-GAL: attention over temporal and spectral nodes together, with one attention vector
    per pair of node types (T-T, T-S, S-S), and a stack node that attends to all of them."""

    def __init__(self, din: int, dout: int, temperature: float) -> None:
        super().__init__()
        self.proj_t, self.proj_s = nn.Linear(din, din), nn.Linear(din, din)
        self.project = nn.Linear(din, dout)
        self.pair_weights = nn.Parameter(torch.randn(3, dout) / dout**0.5)
        self.with_att, self.without_att = nn.Linear(din, dout), nn.Linear(din, dout)
        self.master_project = nn.Linear(din, dout)
        self.master_weight = nn.Parameter(torch.randn(dout) / dout**0.5)
        self.master_with_att = nn.Linear(din, dout)
        self.master_without_att = nn.Linear(din, dout)
        self.bn = nn.BatchNorm1d(dout)
        self.temperature = temperature

    def forward(self, t: Tensor, s: Tensor, master: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(B, Nt, din), (B, Ns, din), (B, 1, din) -> the same with ``dout`` features."""
        x = torch.cat([self.proj_t(t), self.proj_s(s)], dim=1)
        kind = torch.cat([t.new_zeros(t.shape[1]), t.new_ones(s.shape[1])]).long()
        weight = self.pair_weights[kind[:, None] + kind[None]]  # 0: T-T, 1: T-S, 2: S-S
        att = pairwise_attention(x, self.project, weight, self.temperature)
        scores = (torch.tanh(self.master_project(x * master)) * self.master_weight).sum(-1)
        master_att = torch.softmax(scores / self.temperature, dim=-1).unsqueeze(1)  # (B, 1, N)
        master = self.master_with_att(master_att @ x) + self.master_without_att(master)
        out = self.with_att(att @ x) + self.without_att(x)
        out = F.selu(self.bn(out.transpose(1, 2)).transpose(1, 2))
        return out[:, : t.shape[1]], out[:, t.shape[1] :], master


class Branch(nn.Module):
    """Stack node -> HS-GAL -> graph pooling of both node types -> a residual second HS-GAL."""

    def __init__(self, din: int, dout: int, temperature: float, ratios: tuple[float, float]):
        super().__init__()
        self.master = nn.Parameter(torch.randn(1, 1, din))
        self.first = HeteroGraphAttention(din, dout, temperature)
        self.pool_t, self.pool_s = GraphPool(dout, ratios[0]), GraphPool(dout, ratios[1])
        self.second = HeteroGraphAttention(dout, dout, temperature)

    def forward(self, t: Tensor, s: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        t, s, master = self.first(t, s, self.master.expand(len(t), -1, -1))
        t, s = self.pool_t(t), self.pool_s(s)
        t2, s2, master2 = self.second(t, s, master)
        return t + t2, s + s2, master + master2


class ResBlock2d(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool) -> None:
        super().__init__()
        self.pre = nn.Identity() if first else nn.Sequential(nn.BatchNorm2d(cin), nn.SELU())
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, (2, 3), padding=(1, 1)),
            nn.BatchNorm2d(cout),
            nn.SELU(),
            nn.Conv2d(cout, cout, (2, 3), padding=(0, 1)),
        )
        self.shortcut = nn.Conv2d(cin, cout, (1, 3), padding=(0, 1)) if cin != cout else None
        self.pool = nn.MaxPool2d((1, 3))

    def forward(self, x: Tensor) -> Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.pool(self.body(self.pre(x)) + skip)


class AASIST(AudioDetector):
    """Args:
    size: ``lite`` (AASIST-L shapes) or ``full`` (AASIST); ``channels``/``gat_dims`` override.
    n_filters, kernel_size: the sinc front end (70 filters of 128 -> 129 taps).
    channels: output channels of each 2-D residual block.
    gat_dims: node features after the GATs and after the HS-GALs.
    pool_ratios: graph pooling of spectral, temporal, then (per branch) temporal and
        spectral nodes.
    temperatures: of the spectral GAT, temporal GAT and HS-GALs.
    crop: training crop in samples.
    """

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        n_filters: int = 70,
        kernel_size: int = 128,
        channels: tuple[int, ...] | None = None,
        gat_dims: tuple[int, int] | None = None,
        pool_ratios: tuple[float, float, float, float] = (0.5, 0.7, 0.5, 0.5),
        temperatures: tuple[float, float, float] = (2.0, 2.0, 100.0),
        crop: int = SAMPLE_RATE,
    ) -> None:
        super().__init__(crop)
        channels = tuple(channels or SIZES[size]["channels"])
        g0, g1 = gat_dims or SIZES[size]["gat_dims"]
        self.sinc = SincConv(n_filters, kernel_size)
        self.front = nn.Sequential(nn.MaxPool2d(3), nn.BatchNorm2d(1), nn.SELU())
        widths = (1, *channels)
        self.encoder = nn.Sequential(
            *(ResBlock2d(cin, cout, i == 0) for i, (cin, cout) in enumerate(pairwise(widths)))
        )
        self.position = nn.Parameter(torch.randn(1, n_filters // 3, channels[-1]) * 0.01)
        self.gat_s = GraphAttention(channels[-1], g0, temperatures[0])
        self.gat_t = GraphAttention(channels[-1], g0, temperatures[1])
        self.pool_s, self.pool_t = GraphPool(g0, pool_ratios[0]), GraphPool(g0, pool_ratios[1])
        self.branches = nn.ModuleList(
            Branch(g0, g1, temperatures[2], pool_ratios[2:]) for _ in range(2)
        )
        self.readout = nn.Linear(5 * g1, 1)

    def forward(self, x: Tensor) -> Tensor:
        image = self.front(self.sinc(x).abs().unsqueeze(1))  # (B, 1, filters // 3, time)
        maps = self.encoder(image).abs()  # (B, C, F, T)
        s = self.pool_s(self.gat_s(maps.amax(3).transpose(1, 2) + self.position))
        t = self.pool_t(self.gat_t(maps.amax(2).transpose(1, 2)))
        outs = [branch(t, s) for branch in self.branches]
        t, s, master = (torch.maximum(a, b) for a, b in zip(*outs, strict=True))
        features = [t.abs().amax(1), t.mean(1), s.abs().amax(1), s.mean(1), master.squeeze(1)]
        return self.readout(torch.cat(features, dim=1)).squeeze(1)
