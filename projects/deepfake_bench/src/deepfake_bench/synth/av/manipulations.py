"""The AV track's seven manipulations: three video edits, two voice spoofers and their pairs.

======================== ===================== ====== =========================================
method                   FakeAVCeleb type      split  what changes
======================== ===================== ====== =========================================
lipsync_shift            FakeVideo-RealAudio   ID     the mouth follows another utterance, or
                                                      the clip's own one 200-400 ms off
faceswap_blend           FakeVideo-RealAudio   ID     the inner face of another identity,
                                                      feathered in, colours mismatched
voice_gl                 RealVideo-FakeAudio   ID     the voice re-synthesized by S01
faceswap_blend+voice_gl  FakeVideo-FakeAudio   ID     both
gen_frames               FakeVideo-RealAudio   OOD    every frame re-synthesized by an image
                                                      generator fitted on real train frames
voice_world              RealVideo-FakeAudio   OOD    the voice re-synthesized by S03 (WORLD)
gen_frames+voice_world   FakeVideo-FakeAudio   OOD    both
======================== ===================== ====== =========================================

The ID methods play FakeAVCeleb's part (what detectors train on), the OOD ones BioDeepAV's (new
generator families). ``meta_data.csv`` can only hold FakeAVCeleb's own method names, so each
method also names its nearest FakeAVCeleb analogue (``fakeavceleb``); DFB-Synth's own name is
in the build's ``clips.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepfake_bench.synth.av.face import FPS, Face, Track, face_region, mouth_opening
from deepfake_bench.synth.generators.base import ImageGenerator

LIPSYNC = "lipsync_shift"
FACESWAP = "faceswap_blend"
GEN_FRAMES = "gen_frames"
OFFSET_SECONDS = (0.2, 0.4)  # lipsync_shift's audio-video offset range


@dataclass(frozen=True)
class Manipulation:
    """``video``: the video edit (``None``: real video); ``attack``: the spoofer applied to the
    voice (``None``: real audio); ``ood``: made only for the out-of-distribution test set."""

    name: str
    video: str | None
    attack: str | None
    ood: bool
    fakeavceleb: str  # the nearest method of FakeAVCeleb's meta_data.csv

    @property
    def type(self) -> str:
        video = "FakeVideo" if self.video else "RealVideo"
        return f"{video}-{'FakeAudio' if self.attack else 'RealAudio'}"


MANIPULATIONS = {m.name: m for m in (
    Manipulation(LIPSYNC, LIPSYNC, None, False, "wav2lip"),
    Manipulation(FACESWAP, FACESWAP, None, False, "faceswap"),
    Manipulation("voice_gl", None, "S01", False, "rtvc"),
    Manipulation(f"{FACESWAP}+voice_gl", FACESWAP, "S01", False, "faceswap-wav2lip"),
    Manipulation(GEN_FRAMES, GEN_FRAMES, None, True, "fsgan"),
    Manipulation("voice_world", None, "S03", True, "rtvc"),
    Manipulation(f"{GEN_FRAMES}+voice_world", GEN_FRAMES, "S03", True, "fsgan-wav2lip"),
)}  # fmt: skip
"""Every method in the benchmark's fixed column order (ID first, then OOD)."""
METHOD_NAMES = tuple(MANIPULATIONS)


def shifted(series: np.ndarray, frames: int) -> np.ndarray:
    """``series`` delayed by ``frames`` (advanced when negative); the gap holds its edge value."""
    if frames == 0:
        return series.copy()
    out = np.roll(series, frames)
    if frames > 0:
        out[:frames] = series[0]
    else:
        out[frames:] = series[-1]
    return out


def lipsync_offset(rng: np.random.Generator) -> int:
    """A signed offset of 200-400 ms, in frames (5-10 at 25 fps)."""
    low, high = (round(s * FPS) for s in OFFSET_SECONDS)
    return int(rng.integers(low, high + 1)) * (1 if rng.random() < 0.5 else -1)


def lipsync_shift(track: Track, face: Face, envelope: np.ndarray, offset: int,
                  rng: np.random.Generator) -> Track:  # fmt: skip
    """``track`` with its mouth driven by ``envelope`` (another utterance's, or the clip's own)
    shifted by ``offset`` frames: lips no longer match the voice the clip carries."""
    mouth = mouth_opening(shifted(envelope, offset), face.mouth_gain, rng)
    return Track(track.pose, mouth, track.blink)


def faceswap_blend(target: np.ndarray, donor: np.ndarray, face: Face, track: Track,
                   rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """float frames of ``target`` with the inner face of ``donor`` (the same motion, rendered
    as another identity) blended in through a feathered mask, after a random per-channel
    colour gain: the seam and colour mismatch of a face swap."""
    alpha = face_region(face, track, feather=float(rng.uniform(1.0, 2.0)))[..., None]
    gain = rng.uniform(0.94, 1.06, 3).astype(np.float32)
    return alpha * np.clip(donor * gain, 0, 255) + (1 - alpha) * target


def gen_frames(frames: np.ndarray, generator: ImageGenerator, seed: int) -> np.ndarray:
    """uint8 frames re-synthesized one by one by a fitted image-to-image ``generator``."""
    out = generator.generate(len(frames), frames, seed=seed)
    if out.shape != frames.shape:
        raise ValueError(
            f"frame generator {type(generator).__name__} returned shape {out.shape}, expected "
            f"{frames.shape} (an image-to-image generator that keeps the frame size)"
        )
    return out
