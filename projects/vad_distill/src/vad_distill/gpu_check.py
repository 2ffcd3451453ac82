"""`python -m vad_distill.gpu_check`: one bf16 distillation step (the student with the stage loss
against random teacher maps) and the student's bf16 frames/s at 640x360, batch 1 and 256, on
CUDA, as JSON lines. Imports neither jsonargparse nor ``shared.cli``."""

from __future__ import annotations

import sys
import time
from functools import partial

import torch

from shared import gpucheck
from shared.bench import Throughput
from shared.gpucheck import Check, GpuCheck
from vad_distill.losses import stage_loss
from vad_distill.model import Student, preset
from vad_distill.optim import OfficialAdam
from vad_distill.timed_calls import student_call

PROJECT = "vad_distill"


def checks(
    device: str = "cuda",
    preset_name: str = "avenue_640x360",
    batches: tuple[int, ...] = (1, 256),
    train_batch: int = 48,
    repeats: int = 10,
    warmup: int = 3,
    dtype: torch.dtype = torch.bfloat16,
) -> list[GpuCheck]:
    """The declarations; tests shrink them and run them in float32 on the CPU."""
    config = preset(preset_name)
    size = "x".join(map(str, reversed(config.image_size)))  # W x H, as the paper names it
    tag = "bf16" if dtype == torch.bfloat16 else str(dtype).removeprefix("torch.")
    cast = dtype if dtype != torch.float32 else None

    def train_step() -> tuple[float, str]:
        torch.manual_seed(0)
        b = train_batch
        model = Student(config).to(device)
        optimizer = OfficialAdam(model.parameters())
        x = torch.randn(b, config.in_channels, *config.image_size, device=device)
        maps = (torch.rand(b, 1, device=device), torch.rand(b, 1, 4, 4, device=device),
                torch.rand(b, 1, 16, 16, device=device))  # fmt: skip
        start = time.perf_counter()
        with torch.autocast(device, dtype=dtype, enabled=cast is not None):
            student = model(x)
        loss = stage_loss(tuple(t.float() for t in student), [maps], [1.0])
        loss.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        return float(
            loss.detach()
        ), f"finite={bool(torch.isfinite(loss))}; first step {seconds:.2f} s"

    return [
        Check(f"kd_step_{tag}_b{train_batch}_{size}", train_step, "loss"),
        *(
            Throughput(
                f"fps_student_b{batch}_{tag}_{size}",
                partial(student_call, preset_name, batch, device, cast),
                batch,
                repeats=repeats,
                warmup=warmup,
                unit="frames/s",
                detail="paper: 1480 FPS",
                inference=True,
            )
            for batch in batches
        ),
    ]


if __name__ == "__main__":
    sys.exit(gpucheck.main(PROJECT, checks))
