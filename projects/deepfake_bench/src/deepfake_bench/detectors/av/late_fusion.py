"""``av_late_fusion``: a video detector and an audio detector, each trained by BCE on its own
modality's label, fused by a logistic regression on their two logits (spec §4.4).

Video branch: ``frame_cnn`` (``cnndet_lite`` per frame, mean of frame probabilities) on
``frames`` uniformly sampled frames box-resampled to ``frame_size``; audio branch:
``lfcc_lcnn`` on the waveform (1-s training crops). The fused logit is w_v z_v + w_a z_a + b.

The regression is a function of the branches' weights and the training split, so it is refitted
by :meth:`LateFusion.calibrate` whenever the branches may have changed: the module calls it
before every validation and every test. A checkpoint then always holds the regression of its
own branches (fitting once at the end of training would pair the best checkpoint's branches
with the last epoch's regression). Before any fit it is the plain sum of the two logits.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import Tensor

from deepfake_bench.detectors.audio.lcnn import LFCCLCNN
from deepfake_bench.detectors.av.base import (
    AVDetector,
    av_labels,
    balanced_bce,
    check_clips,
    sample_frames,
)
from deepfake_bench.detectors.frame_video import FrameVideo

FULL = {"frames": 32, "frame_size": 224, "video_args": {"frame_args": {"size": "full"}},
        "audio_args": {"size": "full"}}  # fmt: skip


def fit_fusion(logits: np.ndarray, labels: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    """(N, 2) branch logits and fused labels -> (weights (2,), bias) of a class-balanced
    L2-regularised logistic regression (scikit-learn, lbfgs)."""
    model = LogisticRegression(C=c, class_weight="balanced")
    model.fit(np.asarray(logits, np.float64), np.asarray(labels).astype(int))
    return model.coef_[0], float(model.intercept_[0])


class LateFusion(AVDetector):
    """Args:
    size: ``lite`` or ``full`` (ResNet-50 frames at 224 px, 32 frames, the original LCNN).
    frames: video frames sampled per clip (DeepfakeBench: 32; CPU scale: 8).
    frame_size: the frame detector's input size in pixels.
    video_args: ``frame_cnn``'s arguments (its frame detector and that one's settings).
    audio_args: ``lfcc_lcnn``'s arguments.
    c: inverse L2 strength of the fusion regression.
    """

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        frames: int | None = None,
        frame_size: int | None = None,
        video_args: dict[str, Any] | None = None,
        audio_args: dict[str, Any] | None = None,
        c: float = 1.0,
    ) -> None:
        super().__init__()
        full = FULL if size == "full" else {}
        self.frames = frames or full.get("frames", 8)
        self.frame_size = frame_size or full.get("frame_size", 32)
        self.video = FrameVideo(**(video_args or full.get("video_args", {})))
        self.audio = LFCCLCNN(**(audio_args or full.get("audio_args", {})))
        self.c = c
        self.register_buffer("fusion_weight", torch.ones(2))
        self.register_buffer("fusion_bias", torch.zeros(()))

    def branch_logits(self, video: Tensor, audio: Tensor) -> Tensor:
        """(B, 2): the video and the audio detector's logits."""
        check_clips(video, audio)
        frames = sample_frames(video, self.frames, self.frame_size)
        return torch.stack([self.video(frames), self.audio(audio)], 1)

    def forward(self, video: Tensor, audio: Tensor) -> Tensor:
        return self.head_logits(video, audio)["fused"]

    def head_logits(self, video: Tensor, audio: Tensor) -> dict[str, Tensor]:
        logits = self.branch_logits(video, audio)
        fused = logits @ self.fusion_weight + self.fusion_bias
        return {"fused": fused, "video": logits[:, 0], "audio": logits[:, 1]}

    def augment(
        self, video: Tensor, audio: Tensor, generator: torch.Generator
    ) -> tuple[Tensor, Tensor]:
        """The branches' own augmentations: the frame detector's (blur + JPEG, per frame) on
        the sampled frames, the audio detector's random crop."""
        frames = sample_frames(video, self.frames, self.frame_size)
        return self.video.augment(frames, generator), self.audio.augment(audio, generator)

    def loss(self, video: Tensor, audio: Tensor, kind: Tensor) -> Tensor:
        """Each branch's class-balanced BCE on its own modality's label."""
        logits = self.branch_logits(video, audio)
        video_label, audio_label, _ = av_labels(kind)
        return balanced_bce(logits[:, 0], video_label) + balanced_bce(logits[:, 1], audio_label)

    def prepare(self, video: Tensor, audio: Tensor, kind: Tensor) -> None:
        """The branches' own preparation, each by its modality's label (closed-form frame
        detectors such as ``spectrum_lr`` fit here)."""
        video_label, audio_label, _ = av_labels(kind)
        frames = sample_frames(video, self.frames, self.frame_size)
        self.video.prepare(frames[video_label == 0], frames[video_label == 1])
        self.audio.prepare(audio[audio_label == 0], audio[audio_label == 1])

    @torch.no_grad()
    def calibrate(self, video: Tensor, audio: Tensor, kind: Tensor, batch_size: int = 64) -> None:
        """Refit the fusion regression on the branches' logits of the training split (scored
        in eval mode, in batches, on the detector's device)."""
        device, training = self.fusion_weight.device, self.training
        self.eval()
        logits = torch.cat([
            self.branch_logits(v.to(device), a.to(device)).cpu()
            for v, a in zip(video.split(batch_size), audio.split(batch_size), strict=True)
        ])  # fmt: skip
        self.train(training)
        weight, bias = fit_fusion(logits.double().numpy(), av_labels(kind)[2].cpu().numpy(), self.c)
        self.fusion_weight.copy_(torch.from_numpy(weight))
        self.fusion_bias.fill_(bias)
