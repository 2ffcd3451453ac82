"""``lfcc_gmm``: the ASVspoof LFCC-GMM baseline — one diagonal-covariance GMM per class on LFCC
frames, scored by the log-likelihood ratio.

:meth:`LFCCGMM.prepare` fits the two GMMs by EM (scikit-learn); their weights, means and
variances are then copied into parameters so that scoring runs in torch on batches and is
saved with the checkpoint. Score per utterance = mean frame log-likelihood under the spoof
GMM − under the bona fide GMM (larger = more fake; ASVspoof files use the opposite sign).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, AudioDetector
from deepfake_bench.detectors.audio.lfcc import LFCC

COMPONENTS = {"lite": 32, "full": 512}


class LFCCGMM(AudioDetector):
    """Args:
    size: ``lite`` (32 components per GMM) or ``full`` (512, the original baseline).
    n_components: overrides the size's component count.
    max_iter: EM iterations.
    seed: EM initialisation seed.
    crop: training crop in samples (unused by the closed-form fit, kept for the contract).
    """

    trains_by_gradient = False

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        n_components: int | None = None,
        max_iter: int = 100,
        seed: int = 0,
        crop: int = SAMPLE_RATE,
    ) -> None:
        super().__init__(crop)
        self.lfcc = LFCC()
        self.n_components = n_components or COMPONENTS[size]
        self.max_iter, self.seed = max_iter, seed
        shape = (2, self.n_components, self.lfcc.n_features)  # [bona fide, spoof]
        self.log_weights = nn.Parameter(torch.zeros(shape[:2]))
        self.means = nn.Parameter(torch.zeros(shape))
        self.log_vars = nn.Parameter(torch.zeros(shape))

    def frame_log_likelihood(self, frames: Tensor) -> Tensor:
        """(..., D) frames -> (..., 2) log p(frame | bona fide GMM), log p(frame | spoof GMM)."""
        x = frames[..., None, None, :]  # (..., 1, 1, D) against (2, K, D)
        squared = (x - self.means).square() * torch.exp(-self.log_vars)
        gauss = -0.5 * (squared + self.log_vars + math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(gauss + self.log_weights, dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        loglik = self.frame_log_likelihood(self.lfcc(x)).mean(1)  # (B, 2)
        return loglik[:, 1] - loglik[:, 0]

    @torch.no_grad()
    def prepare(self, reals: Tensor, fakes: Tensor) -> None:
        """Fit the bona fide GMM on the frames of ``reals`` and the spoof GMM on ``fakes``
        (float32 (N, T) waveforms)."""
        from sklearn.mixture import GaussianMixture

        for index, waveforms in enumerate((reals, fakes)):
            frames = self.lfcc(waveforms.float()).flatten(0, 1).double().numpy()
            gmm = GaussianMixture(
                self.n_components, covariance_type="diag", max_iter=self.max_iter,
                random_state=self.seed,
            ).fit(frames)  # fmt: skip
            self.log_weights[index] = torch.from_numpy(gmm.weights_).log()
            self.means[index] = torch.from_numpy(gmm.means_)
            self.log_vars[index] = torch.from_numpy(gmm.covariances_).log()
