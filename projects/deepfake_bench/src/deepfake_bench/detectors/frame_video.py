"""``frame_cnn``: a frame-level video detector, DeepfakeBench style — an image detector scores
every sampled frame, and the video's P(fake) is the mean of its frame probabilities
(DeepfakeBench's "video AUC" groups frames by video folder and averages them).

Input: uint8 or float (B, T, 3, H, W), T frames per video (DeepfakeBench: 32; CPU scale: 8).
``forward`` returns the logit of the mean frame probability, so the video-level metrics path
is the same as every detector's.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from deepfake_bench.detectors.base import Detector
from deepfake_bench.registry import DETECTORS


class FrameVideo(Detector):
    """Args:
    frame_detector: the registered image detector applied to each frame.
    frame_args: its builder's arguments.
    """

    modality = "video"

    def __init__(
        self, frame_detector: str = "cnndet_lite", frame_args: dict[str, Any] | None = None
    ):
        super().__init__()
        self.frame = DETECTORS.build(frame_detector, **(frame_args or {}))
        self.frame.check_modality("image", "model.init_args.detector.args.frame_detector")
        self.trains_by_gradient = self.frame.trains_by_gradient

    @staticmethod
    def _frames(x: Tensor) -> Tensor:
        return x.flatten(0, 1)

    def frame_probabilities(self, x: Tensor) -> Tensor:
        """(B, T, ...) -> (B, T) P(fake) per frame."""
        return self.frame.predict_proba(self._frames(x)).view(x.shape[:2])

    def predict_proba(self, x: Tensor) -> Tensor:
        return self.frame_probabilities(x).mean(1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.logit(self.predict_proba(x), eps=1e-6)

    def augment(self, videos: Tensor, generator: torch.Generator) -> Tensor:
        return self.frame.augment(self._frames(videos), generator).view(videos.shape)

    def prepare(self, reals: Tensor, fakes: Tensor) -> None:
        self.frame.prepare(self._frames(reals), self._frames(fakes))
