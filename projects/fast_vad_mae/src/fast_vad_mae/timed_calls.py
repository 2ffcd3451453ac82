"""The calls whose speed we report: what the official benchmark times, and what inference needs.

``teacher``: one eval forward at mask ratio 0.5 through the teacher, plus its loss and frame score
(the official ``util/time_benchmark.py`` call). ``teacher_student``: the stage-2 inference forward,
teacher and student, with both frame scores (what scoring a video really costs).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from fast_vad_mae.losses import distillation_loss, teacher_loss
from fast_vad_mae.model import MaskedAutoencoderCvT, patchify
from fast_vad_mae.scoring import discrepancy, teacher_error


def inputs(
    model: MaskedAutoencoderCvT, batch: int, device: str = "cpu", seed: int = 0
) -> dict[str, torch.Tensor]:
    """Random frames in [-1, 1], an all-normal target map and gradients in 0..255."""
    generator = torch.Generator().manual_seed(seed)
    height, width = model.config.img_size
    x = torch.rand(batch, 9, height, width, generator=generator) * 2 - 1
    y = torch.cat((x[:, 3:6], -torch.ones(batch, 1, height, width)), dim=1)
    g = torch.rand(batch, 3, height, width, generator=generator) * 255
    return {k: v.to(device) for k, v in {"x": x, "y": y, "g": g}.items()}


def teacher_call(
    model: MaskedAutoencoderCvT, data: dict[str, torch.Tensor]
) -> Callable[[], torch.Tensor]:
    p = model.patch_size

    def call() -> torch.Tensor:
        out = model(data["x"], 0.5)
        teacher_loss(out.teacher, data["y"], out.mask, data["g"], p)
        return teacher_error(out, patchify(data["y"], p), "L2")

    return call


def teacher_student_call(
    model: MaskedAutoencoderCvT, data: dict[str, torch.Tensor]
) -> Callable[[], torch.Tensor]:
    p = model.patch_size

    def call() -> torch.Tensor:
        out = model(data["x"], 0.5, with_student=True)
        distillation_loss(out.student, out.teacher, out.mask)
        return teacher_error(out, patchify(data["y"], p), "L2") + discrepancy(out, "L2")

    return call
