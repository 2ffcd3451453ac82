"""The audio track's spoof systems S01-S04: bona fide speech re-synthesized through a vocoder.

=====  ===================  ====================================================================
id     name                 method
=====  ===================  ====================================================================
S01    ``griffin_lim``      |STFT| (n_fft 512, hop 128) -> Griffin-Lim phase recovery
S02    ``mel_griffin_lim``  80-bin mel power -> pseudo-inverse of the mel basis -> Griffin-Lim
S03    ``world``            WORLD analysis (DIO, StoneMask, CheapTrick, D4C) -> synthesis, F0 x U
S04    ``lpc_noise``        frame-wise LPC-16 envelope excited by noise / a pulse train, OLA
=====  ===================  ====================================================================

They are registered by attack id in ``deepfake_bench.registry.SPOOFERS``. Every spoofer maps a float32 mono waveform to one of the same length and sample rate, finite,
peak-normalised to the input's peak (loudness is no cue) and deterministic for a seed. Train/dev
use S01/S02; eval adds S03/S04, unseen in training as ASVspoof's eval attacks are.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

import numpy as np

from deepfake_bench.synth.audio.speech import SAMPLE_RATE, check_waveform

MIN_SAMPLES = 1024  # a few STFT / LPC frames; shorter input is no utterance


class Spoofer:
    """Base class: :meth:`__call__` checks the input and shapes the output of :meth:`resynthesize`."""

    attack: ClassVar[str]

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate

    def resynthesize(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, seed: int) -> np.ndarray:
        """The spoofed ``x``: same length, float32, finite, peak equal to ``x``'s."""
        peak = check_waveform(x, f"spoofer {self.attack} input", MIN_SAMPLES)
        x = np.asarray(x, dtype=np.float64)
        y = self.resynthesize(x, np.random.default_rng(seed))
        y = np.pad(y[: len(x)], (0, max(len(x) - len(y), 0)))  # the input's length exactly
        out_peak = check_waveform(y, f"spoofer {self.attack} output")
        return (y * (peak / out_peak)).astype(np.float32)


def griffin_lim(
    magnitude: np.ndarray, length: int, n_iter: int, n_fft: int, hop: int,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """A waveform of ``length`` samples whose |STFT| approximates ``magnitude`` (random initial
    phase from ``rng``, librosa's momentum 0.99)."""
    import librosa

    return librosa.griffinlim(
        magnitude, n_iter=n_iter, hop_length=hop, n_fft=n_fft, length=length, random_state=rng
    )


class GriffinLim(Spoofer):
    attack = "S01"

    def __init__(self, n_iter: int = 32, n_fft: int = 512, hop: int = 128,
                 sample_rate: int = SAMPLE_RATE) -> None:  # fmt: skip
        super().__init__(sample_rate)
        self.n_iter, self.n_fft, self.hop = n_iter, n_fft, hop

    def resynthesize(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import librosa

        magnitude = np.abs(librosa.stft(x, n_fft=self.n_fft, hop_length=self.hop))
        return griffin_lim(magnitude, len(x), self.n_iter, self.n_fft, self.hop, rng)


@cache
def mel_pseudo_inverse(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """The Moore-Penrose pseudo-inverse of librosa's mel basis (computed once per shape): the
    least-squares inverse, 10x cheaper than librosa's NNLS ``mel_to_stft``."""
    import librosa

    return np.linalg.pinv(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels))


class MelGriffinLim(Spoofer):
    attack = "S02"

    def __init__(self, n_mels: int = 80, n_iter: int = 32, n_fft: int = 512, hop: int = 128,
                 sample_rate: int = SAMPLE_RATE) -> None:  # fmt: skip
        super().__init__(sample_rate)
        self.n_mels, self.n_iter, self.n_fft, self.hop = n_mels, n_iter, n_fft, hop

    def resynthesize(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import librosa

        mel = librosa.feature.melspectrogram(
            y=x, sr=self.sample_rate, n_fft=self.n_fft, hop_length=self.hop, n_mels=self.n_mels
        )
        power = mel_pseudo_inverse(self.sample_rate, self.n_fft, self.n_mels) @ mel
        magnitude = np.sqrt(np.maximum(power, 0.0))  # the pinv can undershoot below zero
        return griffin_lim(magnitude, len(x), self.n_iter, self.n_fft, self.hop, rng)


def import_pyworld() -> Any:
    """pyworld, or an ImportError saying how to get it (it needs ``pkg_resources``, which
    setuptools 81 removed)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            import pyworld
    except ImportError as error:
        raise ImportError(
            f"spoofer S03 (world) needs pyworld, which failed to import ({error}); install "
            "`pyworld==0.3.5` with `setuptools<81` (it imports pkg_resources)"
        ) from error
    return pyworld


class World(Spoofer):
    """``f0_scale``: the F0 is multiplied by one factor drawn from U(low, high) per utterance
    (``None``: kept), so the spoof is also a mild prosody change."""

    attack = "S03"

    def __init__(self, f0_scale: tuple[float, float] | None = (0.95, 1.05),
                 frame_period: float = 5.0, sample_rate: int = SAMPLE_RATE) -> None:  # fmt: skip
        super().__init__(sample_rate)
        self.f0_scale, self.frame_period = f0_scale, frame_period

    def resynthesize(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pw = import_pyworld()
        rate, period = self.sample_rate, self.frame_period
        f0, times = pw.dio(x, rate, frame_period=period)
        f0 = pw.stonemask(x, f0, times, rate)
        envelope = pw.cheaptrick(x, f0, times, rate)
        aperiodicity = pw.d4c(x, f0, times, rate)
        if self.f0_scale is not None:
            f0 = f0 * rng.uniform(*self.f0_scale)
        return pw.synthesize(f0, envelope, aperiodicity, rate, frame_period=period)


def frame_pitch(
    frames: np.ndarray, window: np.ndarray, sample_rate: int, fmin: float, fmax: float
) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz) and periodicity (0-1) of windowed ``frames`` (frame, count), all at once: the
    peak of the normalised autocorrelation in the lag range, divided by the window's own
    autocorrelation (Boersma 1993) so that long lags are not penalised by the taper."""
    size = frames.shape[0]

    def autocorrelation(a: np.ndarray) -> np.ndarray:
        return np.fft.irfft(np.abs(np.fft.rfft(a, 2 * size, axis=0)) ** 2, axis=0)[:size]

    r, rw = autocorrelation(frames), autocorrelation(window)
    lags = np.arange(int(sample_rate / fmax), int(sample_rate / fmin) + 1)
    energy = r[0]
    normalised = r[lags] / np.where(energy > 0, energy, 1.0) / (rw[lags] / rw[0])[:, None]
    best = normalised.argmax(axis=0)
    periodicity = np.where(energy > 0, normalised[best, np.arange(frames.shape[1])], 0.0)
    return sample_rate / lags[best], periodicity


def overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """Frames (frame, count) summed at ``hop`` spacing; one NumPy add per frame/hop offset
    (two at 50% overlap), not one per frame."""
    size, count = frames.shape
    parts = size // hop
    out = np.zeros((count + parts - 1, hop))
    for r in range(parts):
        out[r : r + count] += frames[r * hop : (r + 1) * hop].T
    return out.ravel()


class LPCNoise(Spoofer):
    """A classic LPC vocoder, vectorised over frames: per 32 ms Hann frame (50% overlap) an
    order-16 Burg LPC envelope (``librosa.lpc`` on all frames at once) and an F0/voicing
    decision; the excitation is a pulse train that follows the F0 contour in voiced frames and
    white noise in unvoiced ones. The all-pole filtering of every frame is one batched FFT
    division, E(ω)/A(ω) on a grid 4x the frame (the impulse-response tail beyond it is
    negligible for Burg's stable filters); the filtered frames are Hann-windowed (the zero-state
    transient at their start falls under the window's rise), matched to the input frame's energy
    and overlap-added."""

    attack = "S04"

    def __init__(self, order: int = 16, frame: int = 512, hop: int = 256, fmin: float = 70.0,
                 fmax: float = 400.0, voicing: float = 0.5,
                 sample_rate: int = SAMPLE_RATE) -> None:  # fmt: skip
        super().__init__(sample_rate)
        if frame != 2 * hop:
            raise ValueError(
                f"spoofer S04: frame {frame} and hop {hop}, expected frame = 2 x hop "
                "(a periodic Hann window sums to one at 50% overlap)"
            )
        self.order, self.frame, self.hop = order, frame, hop
        self.fmin, self.fmax, self.voicing = fmin, fmax, voicing

    def resynthesize(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import librosa
        from scipy.signal import get_window

        size, hop, rate = self.frame, self.hop, self.sample_rate
        padded = np.pad(x, (size // 2, size // 2 + hop))  # frame i is centred on sample i*hop
        window = get_window("hann", size)  # periodic
        frames = librosa.util.frame(padded, frame_length=size, hop_length=hop) * window[:, None]
        count = frames.shape[1]
        # A whisper of noise keeps silent frames' normal equations well-conditioned.
        dithered = frames + 1e-6 * rng.standard_normal(frames.shape)
        coefficients = librosa.lpc(dithered, order=self.order, axis=0)  # (order + 1, count)

        f0, periodicity = frame_pitch(frames, window, rate, self.fmin, self.fmax)
        voiced = periodicity > self.voicing
        f0 = np.where(voiced, f0, np.median(f0[voiced]) if voiced.any() else 100.0)
        centres = np.arange(count) * hop + size // 2  # in padded samples
        phase = np.cumsum(np.interp(np.arange(len(padded)), centres, f0) / rate)
        pulses = np.diff(np.floor(phase), prepend=0.0)  # one unit pulse per period
        noise = rng.standard_normal(len(padded))
        excitation = np.where(
            voiced,
            librosa.util.frame(pulses, frame_length=size, hop_length=hop),
            librosa.util.frame(noise, frame_length=size, hop_length=hop),
        )

        n_fft = 4 * size
        spectrum = np.fft.rfft(excitation, n_fft, axis=0) / np.fft.rfft(coefficients, n_fft, axis=0)
        filtered = np.fft.irfft(spectrum, n_fft, axis=0)[:size] * window[:, None]
        target = np.sum(frames**2, axis=0)
        energy = np.sum(filtered**2, axis=0)
        filtered *= np.sqrt(target / np.where(energy > 0, energy, 1.0))
        return overlap_add(filtered, hop)[size // 2 : size // 2 + len(x)]
