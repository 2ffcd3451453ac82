"""Anomaly scores from a teacher/student forward: the released code's presets and the paper's map.

The code scorer (what produced the released numbers) averages over tokens: the teacher error
e_T against the test target (frame + an all-normal map channel) and the teacher-student
discrepancy d_TS, per dataset preset. The paper scorer builds a pixel map
alpha (x - x_hat)^2 + beta (x_hat - x_tilde)^2 + gamma * map, blurs it, takes the frame maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import torch

from fast_vad_mae.model import MAEOutput, unpatchify
from shared.errors import ConfigError
from shared.vad.evaluation import PostProcess
from shared.vad.evaluator import FrameScore, PixelMaps, Video


@dataclass(frozen=True)
class ScorerPreset:
    kind: Literal["code", "paper"]
    post: PostProcess
    error: Literal["L1", "L2"] = "L2"
    use_teacher_error: bool = True
    use_discrepancy: bool = True
    weights: tuple[float, float, float] = (0.4, 0.3, 0.3)  # paper alpha, beta, gamma
    spatial_sigma: float = 1.0


SCORERS: dict[str, ScorerPreset] = {
    "code_avenue": ScorerPreset("code", PostProcess(37, 11.0, False), "L2"),
    "code_shanghai": ScorerPreset(
        "code", PostProcess(899, 282.0, True), "L1", use_discrepancy=False
    ),
    "paper_avenue": ScorerPreset("paper", PostProcess(37, 11.0, False)),
    "paper_shanghai": ScorerPreset("paper", PostProcess(899, 282.0, True)),
    "demo": ScorerPreset("code", PostProcess(11, 3.0, False), "L2"),
    "demo_teacher_only": ScorerPreset(
        "code", PostProcess(11, 3.0, False), "L2", use_discrepancy=False
    ),
    "demo_paper": ScorerPreset("paper", PostProcess(11, 3.0, False)),
}


def scorer(name: str) -> ScorerPreset:
    if name not in SCORERS:
        raise ConfigError("scorer", name, f"one of {sorted(SCORERS)}")
    return SCORERS[name]


def map_key(name: str) -> str:
    """The pixel map a scorer's regions (and a paper scorer's frame scores) read: with the
    discrepancy term only if the scorer uses the student."""
    return "map" if scorer(name).use_discrepancy else "map_teacher"


def _code_score(preset: ScorerPreset, video: Video) -> np.ndarray:
    key = preset.error.lower()
    score = np.zeros(len(video[f"e_{key}"]))
    if preset.use_teacher_error:
        score = score + video[f"e_{key}"]
    if preset.use_discrepancy:
        score = score + video[f"d_{key}"]
    return score


def _map_maximum(maps: PixelMaps, video: Video) -> np.ndarray:
    return maps(video).max(axis=(1, 2))


def frame_score(name: str) -> FrameScore:
    """Scorer ``name`` for :class:`shared.vad.evaluator.VideoEvaluator`: a code scorer sums
    the collected ``e_*`` / ``d_*`` components, a paper scorer takes the maximum of its blurred
    pixel map; both blur the same map for their region metrics."""
    preset = scorer(name)
    maps = PixelMaps(map_key(name), preset.spatial_sigma)
    if preset.kind == "paper":
        return FrameScore(partial(_map_maximum, maps), preset.post, maps)
    return FrameScore(partial(_code_score, preset), preset.post, maps)


def _error(a: torch.Tensor, b: torch.Tensor, kind: str) -> torch.Tensor:
    return (a - b).abs() if kind == "L1" else (a - b) ** 2


def teacher_error(output: MAEOutput, target_tokens: torch.Tensor, kind: str) -> torch.Tensor:
    """e_T (B,): mean over tokens and values of the teacher's L1 or L2 error against the target."""
    return _error(target_tokens, output.teacher, kind).mean(dim=(1, 2))


def discrepancy(output: MAEOutput, kind: str) -> torch.Tensor:
    """d_TS (B,): mean over tokens and values of the teacher-student L1 or L2 difference."""
    if output.student is None:
        raise ValueError("the discrepancy needs the student prediction (with_student=True)")
    return _error(output.teacher, output.student, kind).mean(dim=(1, 2))


def pixel_map(
    output: MAEOutput,
    target: torch.Tensor,
    patch_size: int,
    grid: tuple[int, int],
    weights: tuple[float, float, float],
) -> torch.Tensor:
    """The paper's map (B, H, W): alpha teacher error + beta discrepancy + gamma predicted map.

    Errors are averaged over the image channels; the predicted map channel is taken from
    [-1, 1] to [0, 1]. Without a student the discrepancy term is left out.
    """
    alpha, beta, gamma = weights
    teacher = unpatchify(output.teacher, patch_size, grid)
    result = alpha * ((target[:, :3] - teacher[:, :3]) ** 2).mean(1)
    if output.student is not None:
        student = unpatchify(output.student, patch_size, grid)
        result = result + beta * ((teacher[:, :3] - student[:, :3]) ** 2).mean(1)
    return result + gamma * ((teacher[:, 3] + 1) / 2).clamp(0, 1)
