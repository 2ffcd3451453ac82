"""Frame scores at three scales and the pixel maps for region metrics (spec §5)."""

from __future__ import annotations

import pytest
import torch
from vad_distill.scoring import frame_scores, pixel_maps


def test_frame_scores_by_hand():
    small = torch.tensor([[0.2], [0.9]])
    medium = torch.zeros(2, 1, 4, 4)
    medium[0, 0, 1, 2], medium[1, 0, 3, 3] = 0.5, 0.3
    high = torch.zeros(2, 1, 16, 16)
    high[0, 0, 7, 7], high[1, 0, 0, 15] = 0.8, 0.0
    scores = frame_scores(small, medium, high)
    assert scores["S"].tolist() == pytest.approx([0.2, 0.9])
    assert scores["M"].tolist() == pytest.approx([0.5, 0.3])
    assert scores["L"].tolist() == pytest.approx([0.8, 0.0])
    assert scores["MIX"].tolist() == pytest.approx([0.5, 0.4])


@pytest.mark.parametrize("transposed", [False, True])
def test_pixel_maps_come_back_in_image_orientation(transposed):
    """A hot cell at row 2, column 13 of the map (image orientation) lands in the top-right of
    a 32x64 frame, whichever layout the model ran on."""
    high = torch.zeros(1, 1, 16, 16)
    high[0, 0, 2, 13] = 1.0
    given = high.transpose(-1, -2) if transposed else high
    maps = pixel_maps(given, (32, 64), transposed)
    assert maps.shape == (1, 32, 64)
    row, column = divmod(int(maps[0].argmax()), 64)
    assert (row // 2, column // 4) == (2, 13)
