"""Throughput and A/B timing done right.

Warm-up first; on a GPU every timed call ends with ``torch.cuda.synchronize``; A and B run
interleaved in one process (alternating which goes first) so drifting load hits both; the
result is the median of the pairwise B/A time ratios with their min-max, plus items/s; every
record names the machine, torch version, thread count and load average.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from shared.machine import describe_machine


def _synchronize(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def _time_call(fn: Callable[[], Any], device: torch.device | str | None, number: int = 1) -> float:
    """Seconds per call of ``fn``, averaged over ``number`` back-to-back calls."""
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(number):
        fn()
    _synchronize(device)
    return (time.perf_counter() - start) / number


@dataclass
class BenchRecord:
    """One line of ``make bench``: a ratio (``unit="x"``) or a throughput (``unit="items/s"``)."""

    project: str
    name: str
    value: float
    unit: str
    low: float
    high: float
    target: float | None = None
    higher_is_better: bool = False
    detail: str = ""
    machine: dict[str, Any] = field(default_factory=describe_machine)

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def throughput(
    fn: Callable[[], Any],
    items: int,
    *,
    warmup: int = 3,
    repeats: int = 10,
    device: torch.device | str | None = None,
) -> tuple[float, float, float]:
    """Median, min and max items/s of ``fn`` (which processes ``items`` items per call)."""
    for _ in range(warmup):
        fn()
    rates = [items / _time_call(fn, device) for _ in range(repeats)]
    return statistics.median(rates), min(rates), max(rates)


@dataclass
class ABComparison:
    """B/A time ratios (>1 means B is slower) and each side's median items/s."""

    ratios: list[float]
    a_items_per_s: float
    b_items_per_s: float

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def record(
        self, project: str, name: str, target: float | None = None, detail: str = ""
    ) -> BenchRecord:
        info = f"A {self.a_items_per_s:.1f} items/s, B {self.b_items_per_s:.1f} items/s"
        return BenchRecord(
            project,
            name,
            self.median,
            "x",
            min(self.ratios),
            max(self.ratios),
            target,
            higher_is_better=False,
            detail=f"{info}{'; ' + detail if detail else ''}",
        )


def compare(
    fn_a: Callable[[], Any],
    fn_b: Callable[[], Any],
    items: int,
    *,
    warmup: int = 3,
    repeats: int = 15,
    number: int = 1,
    device: torch.device | str | None = None,
) -> ABComparison:
    """Time A and B interleaved; returns the per-round B/A ratios.

    Each round times ``number`` back-to-back calls of each side (as ``timeit`` does), which
    averages out scheduler and timer jitter when one call takes only milliseconds.
    """
    for _ in range(warmup):
        fn_a()
        fn_b()
    ratios, times_a, times_b = [], [], []
    for round_index in range(repeats):
        if round_index % 2 == 0:
            time_a, time_b = _time_call(fn_a, device, number), _time_call(fn_b, device, number)
        else:
            time_b, time_a = _time_call(fn_b, device, number), _time_call(fn_a, device, number)
        times_a.append(time_a)
        times_b.append(time_b)
        ratios.append(time_b / time_a)
    return ABComparison(
        ratios, items / statistics.median(times_a), items / statistics.median(times_b)
    )


def format_table(records: list[BenchRecord]) -> str:
    """A Markdown table of records, with the machine of the first one underneath."""
    lines = [
        "| project | benchmark | value | min-max | target | ok | detail |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        target = "" if r.target is None else f"{'>=' if r.higher_is_better else '<='} {r.target:g}"
        ok = {None: "", True: "yes", False: "NO"}[r.passed]
        lines.append(
            f"| {r.project} | {r.name} | {r.value:.3f} {r.unit} | {r.low:.3f}-{r.high:.3f} | "
            f"{target} | {ok} | {r.detail} |"
        )
    if records:
        m = records[0].machine
        lines.append(
            f"\nMachine: {m['cpu']} ({m['cores']} cores), GPU: {m['gpu'] or 'none'}, torch "
            f"{m['torch']}, {m['threads']} thread(s), load average {m['load_avg_1m']}."
        )
    return "\n".join(lines)
