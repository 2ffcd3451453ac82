"""Audio-visual clips as the AV detectors read them: the first frames of an mp4 and the audio
that plays with them, mono at 16 kHz.

AV detectors compare lips with voice, so a clip is a *contiguous* window from the start (not
frames sampled across the video, as :mod:`deepfake_bench.data.videos` does for frame-level
detectors). Audio of any rate or layout is resampled to 16 kHz mono. AAC encoders prepend
priming samples; :func:`write_av_clip` gives the audio a zero start time, so the muxer records
them in the mp4's edit list and the decoder drops them, keeping audio and video aligned.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from shared.data.errors import DatasetFormatError

SAMPLE_RATE = 16_000
EXPECTED = "an mp4 with a video and an audio stream"


def read_av_clip(path: Path, n_frames: int, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n_frames, H, W, 3) RGB frames and float32 (n_samples,) 16 kHz mono audio from the
    start of ``path``; a file that cannot be decoded or is shorter is a DatasetFormatError
    naming it."""
    import av

    frames: list[np.ndarray] = []
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            kinds = sorted(s.type for s in container.streams)
            if "video" in kinds and "audio" in kinds:
                resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
                for frame in container.decode(video=0, audio=0):
                    if isinstance(frame, av.VideoFrame):
                        frames += [frame.to_ndarray(format="rgb24")][: n_frames - len(frames)]
                    else:
                        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
                    if len(frames) >= n_frames and sum(map(len, chunks)) >= n_samples:
                        break
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except (av.error.FFmpegError, IndexError) as error:
        raise DatasetFormatError(path, f"an undecodable file ({error})", EXPECTED) from error
    if "video" not in kinds or "audio" not in kinds:
        raise DatasetFormatError(path, f"streams {kinds}", EXPECTED)
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if len(frames) < n_frames or len(audio) < n_samples:
        raise DatasetFormatError(
            path, f"{len(frames)} frames and {len(audio)} audio samples (16 kHz)",
            f"at least {n_frames} frames and {n_samples} samples (a truncated file?)",
        )  # fmt: skip
    return np.stack(frames), audio[:n_samples].astype(np.float32)


def write_av_clip(path: Path, frames: np.ndarray, audio: np.ndarray, fps: int = 25,
                  sample_rate: int = SAMPLE_RATE, crf: int = 18) -> Path:  # fmt: skip
    """An mp4 with H.264 video (yuv420p, ``crf``) of uint8 (T, H, W, 3) ``frames`` and AAC mono
    audio of float ``audio`` in [-1, 1], reproducible to the byte (see the x264 options)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height = frames.shape[2], frames.shape[1]
        video.pix_fmt = "yuv420p"
        # x264's SIMD paths wrote different bytes for the same frames in ~1 % of runs here;
        # its C path (asm=0), single-threaded, is reproducible and fast enough at 64 px
        video.options = {"crf": str(crf), "preset": "veryfast", "threads": "1",
                         "x264-params": "asm=0"}  # fmt: skip
        sound = container.add_stream("aac", rate=sample_rate)
        sound.layout = "mono"
        for t, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        samples = np.clip(audio, -1, 1).astype(np.float32)[None, :]
        chunk = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        chunk.sample_rate, chunk.pts, chunk.time_base = sample_rate, 0, Fraction(1, sample_rate)
        container.mux(sound.encode(chunk))
        container.mux(sound.encode())
    return path
