"""``lfcc_lcnn``: the ASVspoof 2021 LFCC-LCNN baseline — LFCC 20 + Δ + ΔΔ fed as a one-channel
(frames × 60) image to a light CNN with Max-Feature-Map activations.

Stem conv 5×5 -> MFM -> maxpool 2; then blocks [conv 1×1 -> MFM -> BN -> conv 3×3 -> MFM],
with a maxpool 2 after the blocks in ``pool_after`` (as the original pools after its 2nd, 3rd
and 5th conv pairs) and a BN after the others; a final BN, mean over time, FC -> 1.
Lite: MFM widths (16, 24, 32, 16, 16), no recurrence. Full (``size="full"``): the original
widths (32, 48, 64, 32, 32) and ``blstm``: two bidirectional LSTM layers, added to their input,
before the pooling over time.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, AudioDetector
from deepfake_bench.detectors.audio.lfcc import LFCC

WIDTHS = {"lite": (16, 24, 32, 16, 16), "full": (32, 48, 64, 32, 32)}


class MaxFeatureMap(nn.Module):
    """Max-Feature-Map: the element-wise max of the two halves of the channel axis (dim 1),
    a competitive activation that halves the channels."""

    def forward(self, x: Tensor) -> Tensor:
        first, second = x.chunk(2, dim=1)
        return torch.maximum(first, second)


def mfm_conv(cin: int, cout: int, kernel: int) -> nn.Sequential:
    """A same-padded conv to 2 × ``cout`` channels followed by MFM (-> ``cout``)."""
    return nn.Sequential(nn.Conv2d(cin, 2 * cout, kernel, padding=kernel // 2), MaxFeatureMap())


class LCNNBlock(nn.Sequential):
    """conv 1×1 -> MFM -> BN -> conv 3×3 -> MFM, then maxpool 2 or BN."""

    def __init__(self, cin: int, cout: int, pool: bool) -> None:
        super().__init__(
            mfm_conv(cin, cin, 1),
            nn.BatchNorm2d(cin),
            mfm_conv(cin, cout, 3),
            nn.MaxPool2d(2) if pool else nn.BatchNorm2d(cout),
        )


class LFCCLCNN(AudioDetector):
    """Args:
    size: ``lite`` or ``full`` (original widths, BLSTM on).
    widths: MFM output channels of the stem and of each block (overrides the size's).
    pool_after: indices of the blocks followed by a maxpool 2.
    blstm: two residual bidirectional LSTM layers before pooling (overrides the size's).
    crop: training crop in samples.
    """

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        widths: tuple[int, ...] | None = None,
        pool_after: tuple[int, ...] = (0, 1, 3),
        blstm: bool | None = None,
        crop: int = SAMPLE_RATE,
    ) -> None:
        super().__init__(crop)
        widths = tuple(widths or WIDTHS[size])
        self.lfcc = LFCC()
        pairs = enumerate(pairwise(widths))
        blocks = [LCNNBlock(cin, cout, i in pool_after) for i, (cin, cout) in pairs]
        self.cnn = nn.Sequential(mfm_conv(1, widths[0], 5), nn.MaxPool2d(2), *blocks)
        self.bn = nn.BatchNorm2d(widths[-1])
        height = self.lfcc.n_features // 2 ** (1 + sum(i < len(blocks) for i in pool_after))
        dim = widths[-1] * height
        use_blstm = size == "full" if blstm is None else blstm
        self.blstm = (
            nn.LSTM(dim, dim // 2, num_layers=2, batch_first=True, bidirectional=True)
            if use_blstm
            else None
        )
        self.fc = nn.Linear(dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        image = self.lfcc(x).unsqueeze(1)  # (B, 1, frames, features)
        maps = self.bn(self.cnn(image))  # (B, C, frames', features')
        sequence = maps.permute(0, 2, 1, 3).flatten(2)  # (B, frames', C × features')
        if self.blstm is not None:
            sequence = sequence + self.blstm(sequence)[0]
        return self.fc(sequence.mean(1)).squeeze(1)
