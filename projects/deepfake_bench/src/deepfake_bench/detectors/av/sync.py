"""``sync_lite``: SyncNet's idea (Chung & Zisserman, 2016) — a clip is suspicious when its mouth
motion and its speech disagree — as one audio-visual distance per clip.

Video stream: the lower-centre crop of the face (``mouth_box``, fractions of the frame) in
grayscale, normalised as MRDF/AV-HuBERT normalise lip crops (mean 0.421, std 0.165), through a
small 2-D CNN per frame and a 1-D temporal conv -> ``dim`` per frame. Audio stream: AV-HuBERT's
features (26 log-mel filterbank energies, 25 ms windows every 10 ms, four consecutive frames
stacked -> 104 features at 25 Hz, one step per video frame, layer-normalised over the
utterance) through 1-D convs -> ``dim`` per step. Score: d = mean over time of 1 − cos(v_t, a_t);
the logit is exp(s) (d − o), increasing in d, so larger = more fake.

Training is self-supervised and sees real clips only: :meth:`SyncLite.loss` drops every fake
clip of the batch and builds, per real clip, an in-sync pair and a pair whose audio is shifted
by 5-15 frames (either direction), both as windows of T − 15 steps, and fits BCE (shifted = 1).
It is an ordinary training loss, so the module's optimiser, epochs and checkpoint selection
apply unchanged; a batch without a real clip gives a zero loss without gradient.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepfake_bench.detectors.audio.base import SAMPLE_RATE
from deepfake_bench.detectors.audio.sinc import mel_edges
from deepfake_bench.detectors.av.base import AVDetector, check_clips
from deepfake_bench.detectors.base import as_float_images

MOUTH_MEAN, MOUTH_STD = 0.421, 0.165
GRAY = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma


def mouth_crops(
    video: Tensor, box: tuple[float, float, float, float], size: tuple[int, int]
) -> Tensor:
    """(B, T, 3, H, W) -> (B, T, 1, *size): rows ``box[0]:box[1]`` and columns ``box[2]:box[3]``
    (fractions of H and W) in grayscale, bilinearly resized, normalised."""
    batch, steps, _, height, width = video.shape
    top, bottom, left, right = box
    crop = video[..., int(top * height) : math.ceil(bottom * height),
                 int(left * width) : math.ceil(right * width)]  # fmt: skip
    weights = torch.tensor(GRAY, device=video.device).view(3, 1, 1)
    gray = (as_float_images(crop) * weights).sum(2, keepdim=True).flatten(0, 1)
    gray = F.interpolate(gray, size=size, mode="bilinear", align_corners=False, antialias=True)
    return ((gray - MOUTH_MEAN) / MOUTH_STD).view(batch, steps, 1, *size)


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


def temporal_head(cin: int, dim: int) -> nn.Sequential:
    """1-D conv (kernel 5, 200 ms) -> BN -> ReLU -> 1×1 conv to ``dim`` over (B, C, T)."""
    return nn.Sequential(
        nn.Conv1d(cin, dim, 5, padding=2), nn.BatchNorm1d(dim), nn.ReLU(inplace=True),
        nn.Conv1d(dim, dim, 1),
    )  # fmt: skip


class MouthEncoder(nn.Module):
    """(B, T, 3, H, W) clips -> (B, T, dim): per-frame CNN on mouth crops, then temporal conv."""

    def __init__(
        self,
        dim: int = 64,
        width: int = 16,
        box: tuple[float, float, float, float] = (0.5, 0.9, 0.25, 0.75),
        size: tuple[int, int] = (24, 32),
    ) -> None:
        super().__init__()
        self.box, self.size = tuple(box), tuple(size)
        self.frame_cnn = nn.Sequential(
            conv_bn_relu(1, width), conv_bn_relu(width, 2 * width),
            conv_bn_relu(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.temporal = temporal_head(4 * width, dim)

    def forward(self, video: Tensor) -> Tensor:
        crops = mouth_crops(video, self.box, self.size)
        per_frame = self.frame_cnn(crops.flatten(0, 1)).view(*crops.shape[:2], -1)
        return self.temporal(per_frame.transpose(1, 2)).transpose(1, 2)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int) -> Tensor:
    """(n_mels, n_fft // 2 + 1) triangles over ``n_mels + 2`` mel-spaced edges, 0 Hz - Nyquist."""
    edges = mel_edges(n_mels + 1, 0.0, sample_rate / 2).double()
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising, falling = (freqs - left) / (centre - left), (right - freqs) / (right - centre)
    return torch.minimum(rising, falling).clamp_min(0).float()


class LogFilterbank(nn.Module):
    """float (B, S) 16 kHz -> (B, steps, n_mels × stack) AV-HuBERT/MRDF audio features: the
    waveform is end-padded so window k starts at sample ``hop × k``, ``stack`` windows make one
    video frame's step; zero-padded or cut to ``steps`` (the video's length, as MRDF does)."""

    def __init__(
        self, n_mels: int = 26, win_length: int = 400, hop_length: int = 160, n_fft: int = 512,
        stack: int = 4, sample_rate: int = SAMPLE_RATE, eps: float = 1e-6,
    ) -> None:  # fmt: skip
        super().__init__()
        self.win_length, self.hop_length, self.n_fft = win_length, hop_length, n_fft
        self.stack, self.eps = stack, eps
        self.n_features = n_mels * stack
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)
        self.register_buffer(
            "filters", mel_filterbank(n_mels, n_fft, sample_rate), persistent=False
        )

    def forward(self, audio: Tensor, steps: int) -> Tensor:
        padded = F.pad(audio, (0, self.win_length - self.hop_length))
        frames = padded.unfold(1, self.win_length, self.hop_length) * self.window
        power = torch.fft.rfft(frames, n=self.n_fft).abs().square()
        log_mel = torch.log(power @ self.filters.T + self.eps)
        usable = log_mel.shape[1] // self.stack * self.stack
        stacked = log_mel[:, :usable].reshape(len(audio), -1, self.n_features)
        stacked = F.layer_norm(stacked, stacked.shape[1:])
        return F.pad(stacked, (0, 0, 0, max(0, steps - stacked.shape[1])))[:, :steps]


class SpeechEncoder(nn.Module):
    """(B, S) waveforms -> (B, steps, dim): stacked log-mel features through 1-D convs."""

    def __init__(self, dim: int = 64, width: int = 16) -> None:
        super().__init__()
        self.features = LogFilterbank()
        self.conv = nn.Sequential(
            nn.Conv1d(self.features.n_features, 4 * width, 5, padding=2),
            nn.BatchNorm1d(4 * width), nn.ReLU(inplace=True), temporal_head(4 * width, dim),
        )  # fmt: skip

    def forward(self, audio: Tensor, steps: int) -> Tensor:
        return self.conv(self.features(audio, steps).transpose(1, 2)).transpose(1, 2)


def sync_distance(video: Tensor, audio: Tensor) -> Tensor:
    """(B, T, D) embeddings of both streams -> (B,) mean over time of 1 − cos(v_t, a_t)."""
    return (1 - F.cosine_similarity(video, audio, dim=-1)).mean(1)


class SyncPairs(NamedTuple):
    """Training pairs as windows of ``length`` steps: clip index into the batch, the video and
    the audio window's first step, and whether the audio is shifted (1) or in sync (0)."""

    clip: Tensor
    video_start: Tensor
    audio_start: Tensor
    shifted: Tensor
    length: int


def sync_pairs(
    kind: Tensor,
    steps: int,
    shifts: tuple[int, int] = (5, 15),
    generator: torch.Generator | None = None,
) -> SyncPairs:
    """Per real clip (``kind == 0``; fakes are never used) one in-sync pair and one pair with
    the audio shifted by U{shifts} frames, earlier or later; windows of ``steps − shifts[1]``
    steps, so every offset fits inside the clip."""
    low, high = shifts
    if not 0 < low <= high < steps:
        raise ValueError(f"shifts {shifts} need 0 < min <= max < {steps}, the clip's frames")
    clips = torch.nonzero(kind.cpu() == 0).flatten()
    n, span = len(clips), high  # window starts lie in [0, span]

    def uniform() -> Tensor:
        return torch.rand(n, generator=generator)

    sync_start = (uniform() * (span + 1)).long()
    shift = low + (uniform() * (high - low + 1)).long()
    first = (uniform() * (span - shift + 1)).long()
    audio_later = uniform() < 0.5
    video_start = torch.where(audio_later, first, first + shift)
    audio_start = torch.where(audio_later, first + shift, first)
    return SyncPairs(
        clips.repeat(2), torch.cat([sync_start, video_start]),
        torch.cat([sync_start, audio_start]), torch.cat([torch.zeros(n), torch.ones(n)]),
        steps - span,
    )  # fmt: skip


def windows(sequences: Tensor, start: Tensor, length: int) -> Tensor:
    """(P, T, D) -> (P, length, D): row p from step ``start[p]``."""
    index = start.to(sequences.device)[:, None] + torch.arange(length, device=sequences.device)
    return sequences.gather(1, index[..., None].expand(-1, -1, sequences.shape[-1]))


class SyncLite(AVDetector):
    """Args:
    dim: embedding size per time step of both streams.
    width: channel width of the encoders (the mouth CNN has width, 2 width, 4 width).
    shifts: the shifted pairs' offset range in frames.
    mouth_box: (top, bottom, left, right) of the mouth crop, fractions of the frame.
    mouth_size: the crop's (height, width) after resizing.
    """

    def __init__(
        self,
        dim: int = 64,
        width: int = 16,
        shifts: tuple[int, int] = (5, 15),
        mouth_box: tuple[float, float, float, float] = (0.5, 0.9, 0.25, 0.75),
        mouth_size: tuple[int, int] = (24, 32),
    ) -> None:
        super().__init__()
        self.shifts = tuple(shifts)
        self.video_encoder = MouthEncoder(dim, width, mouth_box, mouth_size)
        self.audio_encoder = SpeechEncoder(dim, width)
        self.log_scale = nn.Parameter(torch.tensor(math.log(4.0)))
        self.offset = nn.Parameter(torch.tensor(1.0))

    def embed(self, video: Tensor, audio: Tensor) -> tuple[Tensor, Tensor]:
        """(B, T, dim) per-frame embeddings of the mouth and of the speech."""
        check_clips(video, audio)
        visual = self.video_encoder(video)
        return visual, self.audio_encoder(audio, visual.shape[1])

    def logit(self, distance: Tensor) -> Tensor:
        """exp(s) (d − o): strictly increasing in the distance d."""
        return self.log_scale.exp() * (distance - self.offset)

    def forward(self, video: Tensor, audio: Tensor) -> Tensor:
        return self.logit(sync_distance(*self.embed(video, audio)))

    def loss(self, video: Tensor, audio: Tensor, kind: Tensor) -> Tensor:
        """BCE of in-sync (0) vs shifted (1) windows of the batch's real clips only."""
        pairs = sync_pairs(kind, video.shape[1], self.shifts)
        if len(pairs.clip) == 0:
            return torch.zeros((), device=video.device)
        clips, inverse = pairs.clip.unique(return_inverse=True)
        clips, inverse = clips.to(video.device), inverse.to(video.device)
        visual, speech = self.embed(video[clips], audio[clips])
        visual = windows(visual[inverse], pairs.video_start, pairs.length)
        speech = windows(speech[inverse], pairs.audio_start, pairs.length)
        logits = self.logit(sync_distance(visual, speech))
        return F.binary_cross_entropy_with_logits(logits, pairs.shifted.to(logits))
