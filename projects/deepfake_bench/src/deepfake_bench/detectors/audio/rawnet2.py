"""``rawnet2_lite``: RawNet2 (Tak et al., ICASSP 2021), the ASVspoof 2021 raw-waveform baseline.

Sinc band-pass bank (:mod:`.sinc`) -> |·| -> maxpool 3 -> BN -> LeakyReLU(0.3) -> residual 1-D
blocks (BN-LeakyReLU pre-activation except the first, two conv 3 with a 1×1 shortcut when the
width changes, maxpool 3, filter-wise scaling) -> BN -> LeakyReLU -> GRU -> last step -> FC -> 1.
Filter-wise feature map scaling (FMS): s = sigmoid(FC(mean over time of x)) per filter, and
x -> x · s + s (the original's multiplicative-and-additive form).
Lite: 20 filters × 129 taps, blocks (20, 20, 64, 64), GRU 64 (82 k parameters).
Full (``size="full"``): 20 filters × 1024 (-> 1025) taps, blocks (20, 20, 128, 128, 128, 128),
3-layer GRU 1024, FC 1024 -> 1024 -> 1 (17.6 M parameters, 16.1 M of them the GRU; 64,600-sample inputs).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, AudioDetector
from deepfake_bench.detectors.audio.sinc import SincConv

SIZES = {
    "lite": {"kernel_size": 129, "blocks": (20, 20, 64, 64), "gru_hidden": 64,
             "gru_layers": 1, "fc_hidden": 0},
    "full": {"kernel_size": 1024, "blocks": (20, 20, 128, 128, 128, 128), "gru_hidden": 1024,
             "gru_layers": 3, "fc_hidden": 1024},
}  # fmt: skip


class FilterwiseScaling(nn.Module):
    """FMS: x · s + s with s = sigmoid(Linear(mean over time of x)), one scale per filter."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.fc = nn.Linear(channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        scale = torch.sigmoid(self.fc(x.mean(-1))).unsqueeze(-1)
        return x * scale + scale


class ResBlock1d(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool) -> None:
        super().__init__()
        self.pre = nn.Identity() if first else nn.Sequential(nn.BatchNorm1d(cin), nn.LeakyReLU(0.3))
        self.body = nn.Sequential(
            nn.Conv1d(cin, cout, 3, padding=1),
            nn.BatchNorm1d(cout),
            nn.LeakyReLU(0.3),
            nn.Conv1d(cout, cout, 3, padding=1),
        )
        self.shortcut = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()
        self.pool = nn.MaxPool1d(3)
        self.fms = FilterwiseScaling(cout)

    def forward(self, x: Tensor) -> Tensor:
        return self.fms(self.pool(self.body(self.pre(x)) + self.shortcut(x)))


class RawNet2(AudioDetector):
    """Args:
    size: ``lite`` or ``full`` (the original shapes); the arguments below override it.
    n_filters: sinc filters.
    kernel_size, blocks, gru_hidden, gru_layers: front end taps, block widths, GRU shape.
    fc_hidden: a hidden FC layer after the GRU (0: GRU -> FC -> 1 directly).
    crop: training crop in samples.
    """

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        n_filters: int = 20,
        kernel_size: int | None = None,
        blocks: tuple[int, ...] | None = None,
        gru_hidden: int | None = None,
        gru_layers: int | None = None,
        fc_hidden: int | None = None,
        crop: int = SAMPLE_RATE,
    ) -> None:
        super().__init__(crop)
        given = {"kernel_size": kernel_size, "blocks": blocks, "gru_hidden": gru_hidden,
                 "gru_layers": gru_layers, "fc_hidden": fc_hidden}  # fmt: skip
        shape = SIZES[size] | {k: v for k, v in given.items() if v is not None}
        self.sinc = SincConv(n_filters, shape["kernel_size"])
        self.front = nn.Sequential(nn.MaxPool1d(3), nn.BatchNorm1d(n_filters), nn.LeakyReLU(0.3))
        widths = (n_filters, *shape["blocks"])
        self.blocks = nn.Sequential(
            *(ResBlock1d(cin, cout, i == 0) for i, (cin, cout) in enumerate(pairwise(widths)))
        )
        self.post = nn.Sequential(nn.BatchNorm1d(widths[-1]), nn.LeakyReLU(0.3))
        self.gru = nn.GRU(widths[-1], shape["gru_hidden"], shape["gru_layers"], batch_first=True)
        hidden = shape["fc_hidden"]
        self.fc = (
            nn.Sequential(nn.Linear(shape["gru_hidden"], hidden), nn.Linear(hidden, 1))
            if hidden
            else nn.Linear(shape["gru_hidden"], 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        features = self.post(self.blocks(self.front(self.sinc(x).abs())))
        last = self.gru(features.transpose(1, 2))[0][:, -1]
        return self.fc(last).squeeze(1)
