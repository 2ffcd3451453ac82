"""`python -m vad_distill.gpu_check`: a bf16 distillation step and the student's bf16 frames/s at
640x360 (batch 1 and 256) on CUDA, as JSON lines. Imports neither jsonargparse nor
``shared.cli``."""

from __future__ import annotations

import sys
from functools import partial

import torch

from shared import gpucheck
from shared.bench import Throughput
from shared.gpucheck import GpuCheck, TrainStep
from vad_distill.losses import stage_loss
from vad_distill.model import Student, preset
from vad_distill.timed_calls import student_call

PROJECT = "vad_distill"


def _kd_loss(model: torch.nn.Module, x: torch.Tensor, targets: tuple) -> torch.Tensor:
    student = tuple(t.float() for t in model(x))
    return stage_loss(student, [targets], [1.0])


def checks(
    device: str = "cuda",
    preset_name: str = "avenue_640x360",
    batches: tuple[int, ...] = (1, 256),
    train_batch: int = 16,
    repeats: int = 10,
) -> list[GpuCheck]:
    config = preset(preset_name)
    size = "x".join(map(str, reversed(config.image_size)))  # W x H, as the paper names it

    def build() -> tuple[torch.nn.Module, torch.Tensor, tuple]:
        torch.manual_seed(0)
        b = train_batch
        x = torch.randn(b, config.in_channels, *config.image_size, device=device)
        maps = (
            torch.rand(b, 1, device=device),
            torch.rand(b, 1, 4, 4, device=device),
            torch.rand(b, 1, 16, 16, device=device),
        )
        return Student(config).to(device), x, maps

    return [
        TrainStep(f"kd_step_bf16_b{train_batch}_{size}", build, _kd_loss),
        *(
            Throughput(
                f"fps_student_b{batch}_bf16_{size}",
                partial(student_call, preset_name, batch, device, torch.bfloat16),
                batch,
                repeats=repeats,
                warmup=3,
                unit="frames/s",
                detail="paper: 1480 FPS",
                inference=True,
            )
            for batch in batches
        ),
    ]


if __name__ == "__main__":
    sys.exit(gpucheck.main(PROJECT, checks))
