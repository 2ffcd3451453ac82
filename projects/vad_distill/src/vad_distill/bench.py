"""`make bench`: frames/s of the student at 640x360 on the CPU, batch 1 and 32.

With ``OFFICIAL_REPO=/path/to/fast-aed`` (a checkout of ristea/fast-aed, never vendored; its
code needs ``einops``) it also times the official student on the same tensors at batch 1,
interleaved in one process with the official weights loaded into ours, after comparing the
three outputs elementwise (the largest absolute difference, in the record's detail); target:
ours / official time <= 1.05.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, partial

import torch

from shared.bench import Benchmark, Comparison, Target, Throughput
from vad_distill.model import Student, preset
from vad_distill.official import official_student
from vad_distill.timed_calls import student_call

EQUAL_SPEED = Target.equal_speed(0.05)


def max_abs_difference(ours: torch.nn.Module, official: torch.nn.Module, x: torch.Tensor) -> float:
    """The largest elementwise |ours - official| over the student's three outputs, with the
    official weights loaded into ours (strict: the key names are the official ones)."""
    ours.load_state_dict(official.state_dict(), strict=True)
    with torch.inference_mode():
        pairs = zip(ours(x), official(x), strict=True)
        return max(float((a - b).abs().max()) for a, b in pairs)


def official_benchmarks(
    ours: Callable[[], torch.nn.Module],
    official: Callable[[], torch.nn.Module],
    preset_name: str = "avenue_640x360",
    rounds: int = 15,
) -> list[Comparison]:
    """The interleaved ours/official time ratio at batch 1 (> 1: ours slower)."""

    @cache
    def setup() -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor, float]:
        mine, theirs = ours().eval(), official().eval()
        torch.manual_seed(0)
        config = preset(preset_name)
        x = torch.randn(1, config.in_channels, *config.image_size)
        return mine, theirs, x, max_abs_difference(mine, theirs, x)

    def pair() -> tuple[Callable, Callable]:
        mine, theirs, x, _ = setup()
        return partial(theirs, x), partial(mine, x)

    return [
        Comparison(
            f"ours/official student time, {preset_name}, batch 1",
            pair,
            1,
            rounds=rounds,
            target=EQUAL_SPEED,
            detail=lambda: (
                f"ratio = ours / official time; max abs output difference {setup()[3]:.2e}"
            ),
            labels=("official", "ours"),
            inference=True,
        )
    ]


def benchmarks(
    preset_name: str = "avenue_640x360", batches: tuple[int, ...] = (1, 32), repeats: int = 5
) -> list[Benchmark]:
    declared: list[Benchmark] = [
        Throughput(
            f"student forward, {preset_name}, batch {batch}",
            partial(student_call, preset_name, batch),
            items=batch,
            repeats=repeats,
            warmup=1,
            unit="frames/s",
            detail="paper: 1480 FPS on a GPU",
            inference=True,
        )
        for batch in batches
    ]
    if repo := os.environ.get("OFFICIAL_REPO"):
        declared += official_benchmarks(
            lambda: Student(preset(preset_name)), lambda: official_student(repo), preset_name
        )
    return declared
