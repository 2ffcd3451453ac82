"""``mrdf_lite``: MRDF (Zou et al., ICASSP 2024, cross- and within-modality regularisation) at
CPU scale, with ``sync_lite``'s two encoders in place of AV-HuBERT's.

Per time step the audio and video embeddings (``dim`` each) are concatenated, projected to
``dim`` and fused by a transformer encoder (``layers``, ``heads``, sinusoidal positions), as
AV-HuBERT fuses its two streams; the fused head (Linear-ReLU-Linear) reads the mean over time.
The audio and video heads read each stream's mean after LayerNorm-Linear-Dropout. Loss =
fused + audio + video BCE (MRDF's two-class CE, as one logit; class-balanced like every
detector here) on the labels of :func:`~deepfake_bench.detectors.av.base.av_labels`, plus
the cross-modal term on c = cos(mean audio embedding, mean video embedding) of each clip:
1 − c for real–real clips, max(c − m, 0) otherwise (m = ``margin_contrast``). With
``margin_audio`` / ``margin_video`` set, MRDF's within-modality terms over all pairs of the
batch: 1 − cos for same-label pairs, max(cos − m, 0) for different-label pairs.

Departures from the official code (github.com/Vincent-ZHQ/MRDF): its fused head reads the first
time step (we pool over time); its ``mrdf_ce.py`` pairs the audio CE with the video head's
logits and vice versa (each head learns its own modality's label here).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepfake_bench.detectors.av.base import AVDetector, av_labels, balanced_bce, check_clips
from deepfake_bench.detectors.av.sync import MouthEncoder, SpeechEncoder


def cross_modal_loss(
    audio: Tensor, video: Tensor, real_pair: Tensor, margin: float = 0.0
) -> Tensor:
    """MRDF's cross-modal term: mean over clips of 1 − c (real–real clips) or max(c − m, 0)
    (any fake modality), c the cosine of the clip's (B, D) audio and video embeddings."""
    c = F.cosine_similarity(audio, video, dim=-1)
    return torch.where(real_pair, 1 - c, (c - margin).clamp_min(0)).mean()


def within_modality_loss(embeddings: Tensor, labels: Tensor, margin: float = 0.0) -> Tensor:
    """MRDF's within-modality term over all B² ordered pairs (i, j) of (B, D) embeddings:
    1 − cos for equal labels, max(cos − m, 0) for different ones."""
    unit = F.normalize(embeddings, dim=-1)
    cos = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    return torch.where(same, 1 - cos, (cos - margin).clamp_min(0)).mean()


def sinusoids(steps: int, dim: int, device: torch.device) -> Tensor:
    """(steps, dim) Transformer sinusoidal positions (sin on even, cos on odd features)."""
    position = torch.arange(steps, device=device, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, device=device) * (-math.log(10_000.0) / dim))
    out = torch.zeros(steps, dim, device=device)
    out[:, 0::2] = torch.sin(position * rates)
    out[:, 1::2] = torch.cos(position * rates[: dim // 2])
    return out


def projection(dim_in: int, dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(dim_in), nn.Linear(dim_in, dim), nn.Dropout(dropout))


class MRDFOutputs(NamedTuple):
    """Logits (B,) of the three heads and the (B, dim) pooled encoder embeddings."""

    fused: Tensor
    audio: Tensor
    video: Tensor
    audio_embedding: Tensor
    video_embedding: Tensor


class MRDFLite(AVDetector):
    """Args:
    dim: encoder and transformer width (d).
    heads: attention heads.
    layers: transformer layers.
    width: encoder channel width (as ``sync_lite``'s).
    dropout: in the projections and the transformer.
    margin_contrast: m of the cross-modal term.
    margin_audio, margin_video: margins of the within-modality terms (``None``: off).
    """

    def __init__(
        self,
        dim: int = 64,
        heads: int = 4,
        layers: int = 2,
        width: int = 16,
        dropout: float = 0.1,
        margin_contrast: float = 0.0,
        margin_audio: float | None = None,
        margin_video: float | None = None,
    ) -> None:
        super().__init__()
        self.margin_contrast = margin_contrast
        self.margin_audio, self.margin_video = margin_audio, margin_video
        self.video_encoder = MouthEncoder(dim, width)
        self.audio_encoder = SpeechEncoder(dim, width)
        self.project_video = projection(dim, dim, dropout)
        self.project_audio = projection(dim, dim, dropout)
        self.project_fused = projection(2 * dim, dim, dropout)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout, batch_first=True, norm_first=True
        )
        self.fusion = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.video_head = nn.Linear(dim, 1)
        self.audio_head = nn.Linear(dim, 1)
        self.fused_head = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, 1)
        )

    def outputs(self, video: Tensor, audio: Tensor) -> MRDFOutputs:
        check_clips(video, audio)
        visual = self.video_encoder(video)  # (B, T, dim)
        speech = self.audio_encoder(audio, visual.shape[1])
        tokens = self.project_fused(torch.cat([speech, visual], -1))
        fused = self.fusion(tokens + sinusoids(*tokens.shape[1:], tokens.device)).mean(1)
        return MRDFOutputs(
            self.fused_head(fused).squeeze(1),
            self.audio_head(self.project_audio(speech).mean(1)).squeeze(1),
            self.video_head(self.project_video(visual).mean(1)).squeeze(1),
            speech.mean(1),
            visual.mean(1),
        )

    def forward(self, video: Tensor, audio: Tensor) -> Tensor:
        return self.outputs(video, audio).fused

    def head_logits(self, video: Tensor, audio: Tensor) -> dict[str, Tensor]:
        out = self.outputs(video, audio)
        return {"fused": out.fused, "video": out.video, "audio": out.audio}

    def loss(self, video: Tensor, audio: Tensor, kind: Tensor) -> Tensor:
        """Fused + audio + video BCE + the cross-modal term (+ the within-modality terms)."""
        out = self.outputs(video, audio)
        video_label, audio_label, fused_label = av_labels(kind)
        loss = (
            balanced_bce(out.fused, fused_label)
            + balanced_bce(out.audio, audio_label)
            + balanced_bce(out.video, video_label)
            + cross_modal_loss(
                out.audio_embedding, out.video_embedding, fused_label == 0, self.margin_contrast
            )
        )
        if self.margin_audio is not None:
            loss = loss + within_modality_loss(out.audio_embedding, audio_label, self.margin_audio)
        if self.margin_video is not None:
            loss = loss + within_modality_loss(out.video_embedding, video_label, self.margin_video)
        return loss
