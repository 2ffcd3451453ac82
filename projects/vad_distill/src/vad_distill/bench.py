"""`make bench`: frames/s of the student at 640x360 on the CPU, batch 1 and 32 (the comparison
with the official student, issue 12 item 6, is not built yet)."""

from __future__ import annotations

from functools import partial

from shared.bench import Throughput
from vad_distill.timed_calls import student_call


def benchmarks(
    preset_name: str = "avenue_640x360", batches: tuple[int, ...] = (1, 32), repeats: int = 5
) -> list[Throughput]:
    return [
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
