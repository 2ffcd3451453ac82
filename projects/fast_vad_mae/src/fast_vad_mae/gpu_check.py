"""`python -m fast_vad_mae.gpu_check`: one bf16 training step at paper resolution and the FPS
benchmark on CUDA, as JSON lines. Imports neither jsonargparse nor ``shared.cli``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import cache, partial

import torch

from fast_vad_mae.losses import teacher_loss
from fast_vad_mae.model import MaskedAutoencoderCvT, preset
from fast_vad_mae.timed_calls import inputs, teacher_call, teacher_student_call
from shared import gpucheck
from shared.bench import Throughput
from shared.gpucheck import Check, GpuCheck

PROJECT = "fast_vad_mae"
CALLS = (("teacher", teacher_call), ("teacher+student", teacher_student_call))


def checks(
    device: str,
    card: str,
    preset_name: str = "avenue_p16",
    batches: tuple[int, ...] = (1, 32),
    warmup: int = 5,
    repeats: int = 20,
) -> list[GpuCheck]:
    """The bf16 step (largest batch) and frames/s of both timed calls per batch size."""
    size = "x".join(map(str, preset(preset_name).img_size))

    @cache
    def model() -> MaskedAutoencoderCvT:
        torch.manual_seed(0)
        return MaskedAutoencoderCvT(preset(preset_name)).to(device)

    def train_step() -> tuple[float, str]:
        """One AdamW step of the teacher loss, the forward pass in bf16 autocast."""
        net = model()
        optimizer = torch.optim.AdamW(
            net.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05
        )
        data = inputs(net, max(batches), device)
        start = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16):
            out = net(data["x"], 0.5)
        loss = teacher_loss(out.teacher.float(), data["y"], out.mask, data["g"], net.patch_size)
        loss.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        return float(loss), f"finite={bool(torch.isfinite(loss))}; {seconds:.2f} s; {card}"

    def bf16_call(make: Callable, batch: int) -> Callable[[], torch.Tensor]:
        net = model().eval()
        call = make(net, inputs(net, batch, device))

        def bf16() -> torch.Tensor:
            with torch.autocast(device, dtype=torch.bfloat16):
                return call()

        return bf16

    declared: list[GpuCheck] = [
        Check(f"train_step_bf16_b{max(batches)}_{size}", train_step, "loss")
    ]
    declared += [
        Throughput(
            f"fps_{name}_b{batch}_bf16_{size}",
            partial(bf16_call, make, batch),
            batch,
            repeats=repeats,
            warmup=warmup,
            unit="frames/s",
            detail=f"{card}; paper: 1655 FPS on an RTX 3090",
            inference=True,
        )
        for batch in batches
        for name, make in CALLS
    ]
    return declared


def run_checks(device: str, card: str, **shrink: object) -> list[dict]:
    """Run :func:`checks` on ``device`` (``shrink``: its size arguments); returns the lines."""
    return gpucheck.run_checks(PROJECT, checks(device, card, **shrink), device)[0]


def main() -> int:
    return gpucheck.main(PROJECT, lambda: checks("cuda", torch.cuda.get_device_name(0)))


if __name__ == "__main__":
    sys.exit(main())
