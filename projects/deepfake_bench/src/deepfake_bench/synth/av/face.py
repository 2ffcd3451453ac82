"""The procedural talking face of DFB-Synth's AV track: a parametric cartoon head over a photo.

A :class:`Face` is an identity's look (head shape, skin tone, eyes, brows, hair, mouth, how wide
the mouth opens for a given loudness); a :class:`Track` is what moves in one clip, frame by
frame: head pose (a smooth random walk), eye closure (blinks as a Poisson process) and mouth
opening (the clip's own audio envelope: RMS in 40 ms windows, one per frame at 25 fps,
smoothed). Shapes are drawn anti-aliased at 4x and area-downsampled, composited over a
background crop, then :func:`camera` adds sensor noise and a per-frame JPEG, as a webcam would.
Geometry is in 64-px frame units with the head centre as origin, y pointing down.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIZE = 64  # frame side (px)
FPS = 25
SECONDS = 2.0
N_FRAMES = round(FPS * SECONDS)  # 50
SAMPLE_RATE = 16_000
HOP = SAMPLE_RATE // FPS  # 640 samples = 40 ms: one RMS window per frame
N_SAMPLES = round(SAMPLE_RATE * SECONDS)  # 32,000
SCALE = 4  # supersampling factor of the drawing canvas
CENTRE = (32.0, 35.0)  # the head's rest position in the frame
TONES = 5  # skin-tone bins: the `race` folder label tone1..tone5

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class Face:
    """One identity's look; ``tone`` in [0, 1] (dark to light) sets ``skin``."""

    tone: float
    skin: Colour
    hair: Colour
    lips: Colour
    iris: Colour
    head: tuple[float, float]  # semi-axes (rx, ry)
    hair_style: int  # 0 short, 1 long (hair falls behind the head to the shoulders)
    eye_gap: float  # half the distance between the eye centres
    eye_y: float  # eye height above the head centre
    eye_size: tuple[float, float]  # semi-axes of an open eye
    brow_lift: float  # brow height above the eye's top
    brow_tilt: float  # inner end lower (>0, stern) or higher (<0, surprised)
    mouth_width: float
    mouth_y: float  # mouth height below the head centre
    mouth_gain: float  # mouth opening per unit of normalised loudness
    light: float  # side-lighting gradient across the face

    @property
    def tone_label(self) -> str:
        return f"tone{1 + min(int(self.tone * TONES), TONES - 1)}"


def sample_face(rng: np.random.Generator) -> Face:
    """A random identity; every field is drawn independently of the others."""
    tone = float(rng.uniform())
    dark, light = np.array([95.0, 62.0, 45.0]), np.array([242.0, 208.0, 182.0])
    skin = (dark + tone * (light - dark)) * rng.uniform(0.94, 1.06, 3)
    hair = rng.uniform(15, 70) * rng.uniform(0.6, 1.6, 3) if rng.random() < 0.8 else \
        rng.uniform(150, 230) * np.array([1.0, 0.85, 0.55])  # fmt: skip
    lips = skin * np.array([0.85, 0.55, 0.55]) + rng.uniform(-10, 10, 3)
    iris = rng.uniform(20, 140) * rng.uniform(0.5, 1.2, 3)
    rx = float(rng.uniform(14.5, 18.5))

    def colour(c: np.ndarray) -> Colour:
        r, g, b = np.clip(c, 0, 255)
        return (float(r), float(g), float(b))

    return Face(
        tone=tone, skin=colour(skin), hair=colour(hair), lips=colour(lips), iris=colour(iris),
        head=(rx, float(rx * rng.uniform(1.15, 1.4))), hair_style=int(rng.integers(2)),
        eye_gap=float(rx * rng.uniform(0.36, 0.46)), eye_y=float(rng.uniform(3.0, 5.5)),
        eye_size=(float(rng.uniform(2.6, 3.6)), float(rng.uniform(1.4, 2.1))),
        brow_lift=float(rng.uniform(1.2, 2.8)), brow_tilt=float(rng.uniform(-1.0, 1.0)),
        mouth_width=float(rng.uniform(4.0, 6.5)), mouth_y=float(rng.uniform(9.0, 12.0)),
        mouth_gain=float(rng.uniform(0.65, 1.0)), light=float(rng.uniform(-0.25, 0.25)),
    )  # fmt: skip


@dataclass(frozen=True)
class Track:
    """What moves in a clip, per frame: ``pose`` (T, 4) = (dx, dy, angle in degrees, scale),
    ``mouth`` (T,) opening in [0, 1], ``blink`` (T,) eye closure in [0, 1]."""

    pose: np.ndarray
    mouth: np.ndarray
    blink: np.ndarray


def audio_envelope(audio: np.ndarray, n_frames: int = N_FRAMES) -> np.ndarray:
    """Loudness per video frame: RMS of each 40 ms window, smoothed (1-2-1), peak 1."""
    x = np.pad(audio.astype(np.float64), (0, max(n_frames * HOP - len(audio), 0)))
    rms = np.sqrt(np.mean(x[: n_frames * HOP].reshape(n_frames, HOP) ** 2, axis=1))
    smooth = np.convolve(np.pad(rms, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return smooth / max(smooth.max(), 1e-12)


def mouth_opening(envelope: np.ndarray, gain: float, rng: np.random.Generator) -> np.ndarray:
    """The mouth follows the loudness (times the identity's gain), with a little jitter."""
    return np.clip(gain * envelope + rng.normal(0, 0.03, len(envelope)), 0.0, 1.0)


def head_walk(rng: np.random.Generator, n: int = N_FRAMES) -> np.ndarray:
    """(n, 4) head pose: a Gaussian-smoothed random walk, softly bounded (tanh) to about
    ±4 px, ±10 degrees and ±4 % scale."""
    from scipy.ndimage import gaussian_filter1d

    steps = rng.normal(0, 1, (n + 20, 4)) * np.array([0.6, 0.4, 1.4, 0.006])
    walk = gaussian_filter1d(np.cumsum(steps, axis=0), sigma=3, axis=0)[10:-10]
    walk -= walk.mean(axis=0) - rng.normal(0, 1, 4) * np.array([1.5, 1.0, 3.0, 0.01])
    bounds = np.array([4.0, 3.0, 10.0, 0.04])
    pose = bounds * np.tanh(walk / bounds)
    pose[:, 3] += 1.0
    return pose


def blinks(rng: np.random.Generator, n: int = N_FRAMES, rate: float = 0.4) -> np.ndarray:
    """Eye closure per frame: blinks start as a Poisson process (``rate`` per second) and
    close the eyes over 4 frames (160 ms)."""
    closure = np.zeros(n + 4)
    profile = np.array([0.5, 1.0, 1.0, 0.5])
    for start in np.flatnonzero(rng.random(n) < rate / FPS):
        closure[start : start + 4] = np.maximum(closure[start : start + 4], profile)
    return closure[:n]


def talking_track(face: Face, envelope: np.ndarray, rng: np.random.Generator) -> Track:
    """A clip's motion: the head walks, the eyes blink, the mouth follows ``envelope``."""
    n = len(envelope)
    return Track(head_walk(rng, n), mouth_opening(envelope, face.mouth_gain, rng), blinks(rng, n))


class _Pose:
    """Maps face coordinates (origin: head centre) to canvas pixels for one frame."""

    def __init__(self, pose: np.ndarray) -> None:
        dx, dy, angle, scale = pose
        self.angle, self.scale = float(angle), float(scale) * SCALE
        theta = np.deg2rad(angle)
        self.rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        self.centre = np.array([CENTRE[0] + dx, CENTRE[1] + dy]) * SCALE

    def point(self, x: float, y: float) -> tuple[int, int]:
        p = self.centre + self.scale * self.rotation @ np.array([x, y])
        return round(p[0]), round(p[1])

    def ellipse(self, canvas: np.ndarray, centre: tuple[float, float], axes: tuple[float, float],
                colour: Colour, arc: tuple[int, int] = (0, 360), angle: float = 0.0) -> None:  # fmt: skip
        size = (max(round(axes[0] * self.scale), 1), max(round(axes[1] * self.scale), 1))
        cv2.ellipse(canvas, self.point(*centre), size, self.angle + angle, *arc, colour, -1,
                    cv2.LINE_AA)  # fmt: skip

    def polygon(
        self, canvas: np.ndarray, points: list[tuple[float, float]], colour: Colour
    ) -> None:
        corners = np.array([self.point(x, y) for x, y in points], np.int32)
        cv2.fillConvexPoly(canvas, corners, colour, cv2.LINE_AA)

    def line(self, canvas: np.ndarray, a: tuple[float, float], b: tuple[float, float],
             colour: Colour, width: float) -> None:  # fmt: skip
        cv2.line(canvas, self.point(*a), self.point(*b), colour,
                 max(round(width * self.scale), 1), cv2.LINE_AA)  # fmt: skip


def _shade(colour: Colour, factor: float) -> Colour:
    r, g, b = (min(c * factor, 255.0) for c in colour)
    return (r, g, b)


def _draw_frame(face: Face, p: _Pose, mouth: float, blink: float) -> tuple[np.ndarray, np.ndarray]:
    """The face layer (RGB) and its coverage (one channel) on the 4x canvas."""
    side = SIZE * SCALE
    rgb = np.zeros((side, side, 3), np.float32)
    cover = np.zeros((side, side), np.float32)
    rx, ry = face.head
    white = (1.0, 1.0, 1.0)
    silhouette = []  # (kind, args) drawn on both layers
    if face.hair_style == 1:
        silhouette.append(("polygon", ([(-1.1 * rx, -0.2 * ry), (1.1 * rx, -0.2 * ry),
                                        (1.25 * rx, 1.5 * ry), (-1.25 * rx, 1.5 * ry)],
                                       face.hair)))  # fmt: skip
    silhouette += [
        ("polygon", ([(-0.38 * rx, 0.5 * ry), (0.38 * rx, 0.5 * ry), (0.45 * rx, 2.0 * ry),
                      (-0.45 * rx, 2.0 * ry)], _shade(face.skin, 0.82))),
        ("ellipse", ((0.0, -0.12 * ry), (1.08 * rx, 0.98 * ry), face.hair)),
        ("ellipse", ((0.0, 0.0), (rx, ry), face.skin)),
    ]  # fmt: skip
    for kind, args in silhouette:
        getattr(p, kind)(rgb, *args)
        getattr(p, kind)(cover, *args[:-1], white)
    p.ellipse(rgb, (0.0, -0.62 * ry), (1.0 * rx, 0.42 * ry), face.hair, arc=(180, 360))  # fringe
    ew, eh = face.eye_size
    for side_sign in (-1.0, 1.0):
        x, y = side_sign * face.eye_gap, -face.eye_y
        if blink < 0.85:
            p.ellipse(rgb, (x, y), (ew, eh * (1 - blink)), (236.0, 234.0, 228.0))
            p.ellipse(rgb, (x, y), (0.55 * eh, 0.55 * eh * (1 - blink)), face.iris)
            p.ellipse(rgb, (x, y), (0.25 * eh, 0.25 * eh * (1 - blink)), (15.0, 12.0, 12.0))
        else:
            p.line(rgb, (x - ew, y), (x + ew, y), _shade(face.skin, 0.6), 0.5)
        brow_y = y - eh - face.brow_lift
        inner = x - side_sign * 0.8 * ew
        p.line(rgb, (inner, brow_y + 0.4 * face.brow_tilt), (x + side_sign * 1.1 * ew, brow_y),
               face.hair, 0.8)  # fmt: skip
    p.line(rgb, (0.0, -face.eye_y + 1.0), (0.4, 3.5), _shade(face.skin, 0.78), 0.6)
    p.ellipse(rgb, (0.0, 4.2), (1.6, 0.7), _shade(face.skin, 0.7))
    width, opening = face.mouth_width, float(np.clip(mouth, 0.0, 1.0))
    p.ellipse(rgb, (0.0, face.mouth_y), (width, 1.1 + 3.6 * opening), face.lips)
    if opening > 0.05:
        p.ellipse(rgb, (0.0, face.mouth_y), (0.78 * width, 0.2 + 3.1 * opening), (58.0, 18.0, 24.0))
        if opening > 0.35:
            p.ellipse(rgb, (0.0, face.mouth_y - 2.0 * opening), (0.6 * width, 0.7),
                      (230.0, 228.0, 220.0))  # fmt: skip
    else:
        p.line(rgb, (-0.9 * width, face.mouth_y), (0.9 * width, face.mouth_y),
               _shade(face.lips, 0.6), 0.35)  # fmt: skip
    return rgb, cover


def _downsample(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def render(face: Face, background: np.ndarray, track: Track) -> np.ndarray:
    """float32 (T, 64, 64, 3) frames in [0, 255]: ``face`` moving as ``track`` says, lit from
    one side, over the uint8 (64, 64, 3) ``background``."""
    frames = np.empty((len(track.mouth), SIZE, SIZE, 3), np.float32)
    xs = np.arange(SIZE, dtype=np.float32)[None, :, None]
    for t, (pose, mouth, blink) in enumerate(zip(track.pose, track.mouth, track.blink,
                                                  strict=True)):  # fmt: skip
        rgb, cover = _draw_frame(face, _Pose(pose), mouth, blink)
        rgb, alpha = _downsample(rgb), np.clip(_downsample(cover), 0.0, 1.0)[..., None]
        light = 1.0 + face.light * np.clip((xs - CENTRE[0] - pose[0]) / face.head[0], -1.2, 1.2)
        frames[t] = alpha * np.clip(rgb * light, 0, 255) + (1 - alpha) * background
    return frames


def face_region(face: Face, track: Track, feather: float = 1.5) -> np.ndarray:
    """float32 (T, 64, 64) alpha of the inner face (brows to chin, cheek to cheek), feathered
    with a Gaussian of ``feather`` px: what a face swap replaces."""
    alphas = np.empty((len(track.mouth), SIZE, SIZE), np.float32)
    rx, ry = face.head
    top = face.eye_y + face.eye_size[1] + face.brow_lift + 1.0
    bottom = min(face.mouth_y + 5.0, 0.92 * ry)
    for t, pose in enumerate(track.pose):
        canvas = np.zeros((SIZE * SCALE, SIZE * SCALE), np.float32)
        _Pose(pose).ellipse(canvas, (0.0, (bottom - top) / 2), (0.82 * rx, (bottom + top) / 2),
                            (1.0, 1.0, 1.0))  # fmt: skip
        alphas[t] = cv2.GaussianBlur(_downsample(canvas), (0, 0), feather)
    return alphas


def camera(frames: np.ndarray, rng: np.random.Generator, noise: float, quality: int) -> np.ndarray:
    """uint8 frames after Gaussian sensor noise (``noise`` grey levels) and a JPEG round trip
    at ``quality`` per frame."""
    noisy = np.clip(frames + rng.normal(0, noise, frames.shape), 0, 255).astype(np.uint8)
    out = np.empty_like(noisy)
    for t, frame in enumerate(noisy):
        _, data = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        out[t] = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
    return out
