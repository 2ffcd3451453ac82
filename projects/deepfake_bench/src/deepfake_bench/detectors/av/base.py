"""What every audio-visual detector shares: the clip check, the FakeAVCeleb labels, the
class-balanced BCE and the frame sampler that lets frame-level video detectors read clips.

A clip is uint8 (or float in [0, 1]) video (B, T, 3, H, W) at 25 fps with float32 16 kHz audio
(B, S), S = 640 T samples. ``kind`` is FakeAVCeleb's 4-way type: 0 RealVideo-RealAudio,
1 FakeVideo-RealAudio, 2 RealVideo-FakeAudio, 3 FakeVideo-FakeAudio; fake = 1 throughout.
An audio-visual detector trains by its own :meth:`AVDetector.loss` (each modality's label,
extra terms); :meth:`AVDetector.prepare` gets the whole training split before the first step
and :meth:`AVDetector.calibrate` gets it again, with the current weights, before every
validation and test (closed-form parts fitted on top of learnt ones: late fusion's regression).
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, check_waveforms
from deepfake_bench.detectors.base import Detector

FPS = 25
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640: one video frame of audio


def check_clips(video: Tensor, audio: Tensor) -> None:
    """A clear error, naming the field, for anything but (B, T, 3, H, W) video with (B, S) audio."""
    if video.ndim != 5 or video.shape[2] != 3:
        raise ValueError(
            f"`video` has shape {tuple(video.shape)}, expected uint8 or float "
            "(batch, frames, 3, height, width) clips"
        )
    check_waveforms(audio, SAMPLES_PER_FRAME, "audio")
    if len(video) != len(audio):
        raise ValueError(f"`video` has {len(video)} clips but `audio` has {len(audio)}")


def av_labels(kind: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """FakeAVCeleb 4-way type -> (video, audio, fused) labels, fake = 1: the fused label is real
    only for RealVideo-RealAudio (MRDF's and the spec's §3 mapping)."""
    return kind % 2, kind // 2, (kind > 0).long()


def balanced_bce(logits: Tensor, labels: Tensor) -> Tensor:
    """BCE with the reals and the fakes weighing half each (class ratios differ a lot between
    manipulation types); the plain mean when the batch holds one class only."""
    labels = labels.to(logits)
    bce = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    fake = labels > 0.5
    if fake.all() or not fake.any():
        return bce.mean()
    return (bce[fake].mean() + bce[~fake].mean()) / 2


def sample_frames(video: Tensor, n_frames: int, size: int) -> Tensor:
    """(B, T, 3, H, W) -> (B, min(n, T), 3, size, size): frames at the centres of n equal
    segments (uniform, as DeepfakeBench samples), box-resampled; uint8 stays uint8."""
    batch, steps = video.shape[:2]
    if n_frames < steps:
        video = video[:, (2 * torch.arange(n_frames) + 1) * steps // (2 * n_frames)]
    if video.shape[-2:] == (size, size):
        return video
    frames = F.interpolate(video.flatten(0, 1).float(), size=(size, size), mode="area")
    if video.dtype == torch.uint8:
        frames = frames.round().clamp(0, 255).to(torch.uint8)
    return frames.view(batch, -1, 3, size, size)


class AVDetector(Detector):
    """A detector of (video, audio) clips: ``forward`` returns the fused logit (larger = more
    fake); ``head_logits`` adds the per-modality scores it has."""

    modality: ClassVar[str] = "audio_visual"

    def prepare(self, video: Tensor, audio: Tensor, kind: Tensor) -> None:  # type: ignore[override]
        """Fit what gradient steps do not learn, on the whole training split (nothing here)."""

    def calibrate(self, video: Tensor, audio: Tensor, kind: Tensor) -> None:
        """Refit closed-form parts on the training split, current weights (nothing here)."""

    def augment(  # type: ignore[override]
        self, video: Tensor, audio: Tensor, generator: torch.Generator
    ) -> tuple[Tensor, Tensor]:
        """The training augmentation of uint8 video and float audio (none by default)."""
        return video, audio

    def loss(self, video: Tensor, audio: Tensor, kind: Tensor) -> Tensor:
        """The training loss of one batch with its 4-way ``kind`` labels."""
        raise NotImplementedError

    def head_logits(self, video: Tensor, audio: Tensor) -> dict[str, Tensor]:
        """``{"fused": (B,)}`` logits, with ``"video"`` and ``"audio"`` where the detector has
        per-modality scores (one pass, for the per-modality AUCs)."""
        return {"fused": self.forward(video, audio)}

    def predict_proba(self, video: Tensor, audio: Tensor) -> Tensor:  # type: ignore[override]
        return torch.sigmoid(self.forward(video, audio))
