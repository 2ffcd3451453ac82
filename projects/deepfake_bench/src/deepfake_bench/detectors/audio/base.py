"""What every audio detector shares: the input check and the training crop.

Audio batches are float32 waveforms (B, T) at 16 kHz, one utterance per row (a datamodule pads
a batch to one length). ``augment`` is the training crop of section 4.3: a random window of
``crop`` samples per utterance (1 s; the originals use 64,600 samples, about 4 s), and
repeat-padding (as RawNet2 and AASIST pad) when an utterance is shorter than the crop.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from deepfake_bench.data.asvspoof import SAMPLE_RATE
from deepfake_bench.detectors.base import Detector

__all__ = ["SAMPLE_RATE", "AudioDetector", "check_waveforms", "crop_or_pad"]


def check_waveforms(x: Tensor, min_length: int, field: str = "waveforms") -> Tensor:
    """A clear error for anything but float (B, T) with T >= ``min_length``."""
    if x.ndim != 2 or not x.is_floating_point() or x.shape[1] < min_length:
        raise ValueError(
            f"`{field}` has shape {tuple(x.shape)} and dtype {x.dtype}, expected float "
            f"(batch, samples) waveforms with at least {min_length} samples"
        )
    return x


def crop_or_pad(waveforms: Tensor, length: int, generator: torch.Generator) -> Tensor:
    """(B, T) -> (B, length): a random window per row, or the row repeated when T < length."""
    check_waveforms(waveforms, 1)
    batch, samples = waveforms.shape
    if samples < length:
        waveforms = waveforms.repeat(1, -(-length // samples))
        return waveforms[:, :length].contiguous()
    offsets = torch.randint(samples - length + 1, (batch, 1), generator=generator)
    return waveforms.gather(1, offsets + torch.arange(length))


class AudioDetector(Detector):
    """A detector of float32 (B, T) 16 kHz waveforms whose training batches are cropped to
    ``crop`` samples."""

    modality: ClassVar[str] = "audio"

    def __init__(self, crop: int = SAMPLE_RATE) -> None:
        super().__init__()
        self.crop = crop

    def augment(self, waveforms: Tensor, generator: torch.Generator) -> Tensor:
        """float32 (B, T) -> (B, crop): seeded random crops, repeat-padded when short."""
        return crop_or_pad(waveforms, self.crop, generator)
