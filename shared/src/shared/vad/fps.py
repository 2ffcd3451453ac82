"""Frames-per-second measured honestly (spec protocol): pre-built tensors (no data loading),
``torch.inference_mode``, warm-up, median and spread over timed repeats, CUDA synchronised,
and the machine (threads, load) recorded with every number (by :class:`BenchRecord`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from shared.bench import BenchRecord, throughput


@dataclass
class FPSResult:
    name: str
    batch: int
    median: float
    low: float
    high: float

    def record(self, project: str, detail: str = "") -> BenchRecord:
        note = f"batch {self.batch}, inference_mode, warm-up excluded, data loading excluded"
        return BenchRecord(
            project,
            self.name,
            self.median,
            "frames/s",
            self.low,
            self.high,
            higher_is_better=True,
            detail=f"{note}{'; ' + detail if detail else ''}",
        )


def measure_fps(
    name: str,
    forward: Callable[[torch.Tensor], Any],
    inputs: torch.Tensor,
    *,
    warmup: int = 3,
    repeats: int = 10,
) -> FPSResult:
    """Time ``forward(inputs)`` in inference mode; frames/s = batch size / call time."""
    with torch.inference_mode():
        median, low, high = throughput(
            lambda: forward(inputs),
            inputs.shape[0],
            warmup=warmup,
            repeats=repeats,
            device=inputs.device,
        )
    return FPSResult(name, inputs.shape[0], median, low, high)
