"""Throughput and A/B timing done right, declared by each project and run here.

A project's ``bench.py`` declares what is timed (:class:`Comparison`, :class:`Throughput`) and
its targets (:class:`Target`); :func:`run_all` builds, times, records and prints them. Warm-up
first; on a GPU every timed call ends with ``torch.cuda.synchronize``; A and B run interleaved
in one process (alternating which goes first) so drifting load hits both. A record holds every
round's value, their median with its min-max and a 95 % interval of the median (a seeded
bootstrap over the rounds), plus items/s; it names the machine, torch version, thread count and
load average. A target is ``met`` only when the whole interval is within it, ``missed`` when
the whole interval is outside it, ``unresolved`` otherwise.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from shared.formatting import format_number
from shared.machine import describe_machine

Work = Callable[[], Any]
"""One timed call (a training step, a forward pass, a batch of saliency maps...)."""

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 0
MET, MISSED, UNRESOLVED = "met", "missed", "unresolved"


# --- the interval of a median -----------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ascending values, interpolated linearly between order
    statistics at position ``q * (n - 1)`` (numpy's default method)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = q * (len(sorted_values) - 1)
    below = int(position)
    above = min(below + 1, len(sorted_values) - 1)
    fraction = position - below
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * fraction


def bootstrap_interval(
    values: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the median of ``values``.

    ``resamples`` times, draw ``len(values)`` values with replacement and take their median;
    the interval runs from the ``(1 - confidence) / 2`` to the ``(1 + confidence) / 2``
    quantile of those medians. The draws come from ``random.Random(seed)`` through its
    ``random()`` stream (which Python keeps stable across versions), so the same values always
    give the same interval.
    """
    if not values:
        raise ValueError("bootstrap of no values")
    values = list(values)
    n = len(values)
    rng = random.Random(seed)
    draw = rng.random
    medians = sorted(
        statistics.median([values[int(draw() * n)] for _ in range(n)]) for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    return percentile(medians, tail), percentile(medians, 1 - tail)


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A bound on a benchmark's value: ``<= bound`` (a cost) or ``>= bound`` (a speed-up)."""

    bound: float
    higher_is_better: bool = False
    note: str = ""

    @classmethod
    def at_most(cls, bound: float, note: str = "") -> Target:
        return cls(bound, False, note)

    @classmethod
    def at_least(cls, bound: float, note: str = "") -> Target:
        return cls(bound, True, note)

    @classmethod
    def equal_speed(cls, tolerance: float = 0.05) -> Target:
        """B no slower than A: a time ratio ``<= 1 + tolerance`` (a tie cannot be shown exactly)."""
        if not 0 < tolerance < 1:
            raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
        return cls(round(1 + tolerance, 12), False, f"equal speed, {tolerance * 100:g} % tolerance")

    @property
    def label(self) -> str:
        text = f"{'>=' if self.higher_is_better else '<='} {self.bound:g}"
        return f"{text} ({self.note})" if self.note else text

    def verdict(self, low: float, high: float) -> str:
        """``met`` when all of ``[low, high]`` satisfies the bound, ``missed`` when none does."""
        inside_low, inside_high = (
            (low >= self.bound, high >= self.bound)
            if self.higher_is_better
            else (low <= self.bound, high <= self.bound)
        )
        if inside_low and inside_high:
            return MET
        if not inside_low and not inside_high:
            return MISSED
        return UNRESOLVED


def _as_target(target: Target | float | None) -> Target | None:
    return target if target is None or isinstance(target, Target) else Target.at_most(target)


# --- records ----------------------------------------------------------------------------------


@dataclass
class BenchRecord:
    """One line of ``make bench``: a ratio (``unit="x"``) or a throughput (``unit="items/s"``).

    ``value`` is the median of ``samples`` (one per round or repeat), ``low``/``high`` their
    min-max and ``interval`` the bootstrap interval of the median (computed from ``samples``
    when not given). ``rates`` holds each side's median items/s of a comparison.
    """

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
    interval: tuple[float, float] | None = None
    target_note: str = ""
    samples: list[float] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)
    number: int = 1

    def __post_init__(self) -> None:
        if self.interval is None and self.samples:
            self.interval = bootstrap_interval(self.samples)
        if self.interval is not None:
            self.interval = (float(self.interval[0]), float(self.interval[1]))

    @classmethod
    def from_samples(
        cls,
        project: str,
        name: str,
        samples: Sequence[float],
        unit: str,
        target: Target | float | None = None,
        detail: str = "",
        rates: dict[str, float] | None = None,
        number: int = 1,
    ) -> BenchRecord:
        samples = [float(s) for s in samples]
        target = _as_target(target)
        return cls(
            project,
            name,
            statistics.median(samples),
            unit,
            min(samples),
            max(samples),
            None if target is None else target.bound,
            False if target is None else target.higher_is_better,
            detail,
            target_note="" if target is None else target.note,
            samples=samples,
            rates=dict(rates or {}),
            number=number,
        )

    @property
    def target_spec(self) -> Target | None:
        if self.target is None:
            return None
        return Target(self.target, self.higher_is_better, self.target_note)

    @property
    def verdict(self) -> str | None:
        """``met``/``missed``/``unresolved`` from the interval (``None`` without a target)."""
        target = self.target_spec
        if target is None:
            return None
        if self.interval is None:
            return UNRESOLVED
        return target.verdict(*self.interval)

    def to_dict(self) -> dict[str, Any]:
        target = self.target_spec
        return {
            **asdict(self),
            "interval": None if self.interval is None else list(self.interval),
            "target_label": "" if target is None else target.label,
            "verdict": self.verdict,
        }


# --- timing -----------------------------------------------------------------------------------


def _synchronize(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def _time_call(fn: Work, device: torch.device | str | None, number: int = 1) -> float:
    """Seconds per call of ``fn``, averaged over ``number`` back-to-back calls."""
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(number):
        fn()
    _synchronize(device)
    return (time.perf_counter() - start) / number


def throughput_rates(
    fn: Work,
    items: int,
    *,
    warmup: int = 3,
    repeats: int = 10,
    device: torch.device | str | None = None,
) -> list[float]:
    """Items/s of each of ``repeats`` timed calls of ``fn`` (``items`` per call), after warm-up."""
    for _ in range(warmup):
        fn()
    return [items / _time_call(fn, device) for _ in range(repeats)]


def throughput(
    fn: Work,
    items: int,
    *,
    warmup: int = 3,
    repeats: int = 10,
    device: torch.device | str | None = None,
) -> tuple[float, float, float]:
    """Median, min and max items/s of ``fn`` (which processes ``items`` items per call)."""
    rates = throughput_rates(fn, items, warmup=warmup, repeats=repeats, device=device)
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
        self,
        project: str,
        name: str,
        target: Target | float | None = None,
        detail: str = "",
        labels: tuple[str, str] = ("A", "B"),
        number: int = 1,
    ) -> BenchRecord:
        """The record of these rounds (each side's items/s in ``rates``, keyed by ``labels``); a
        bare number as ``target`` means ``<= target``."""
        rates = dict(zip(labels, (self.a_items_per_s, self.b_items_per_s), strict=True))
        return BenchRecord.from_samples(
            project, name, self.ratios, "x", target, detail, rates, number
        )


def compare(
    fn_a: Work,
    fn_b: Work,
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


# --- declarations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """B against A, interleaved: the record is the per-round time ratio B/A (> 1: B slower).

    ``pair()`` builds the two calls (models, batches, optimizers) when the benchmark runs, not
    when it is declared. Each of ``rounds`` rounds times ``number`` back-to-back calls of each
    side after ``warmup`` calls of each. ``detail`` is text, or a function called after
    ``pair()`` (for something learnt while building, e.g. an equal-output check).
    ``inference`` runs warm-up and rounds in ``torch.inference_mode``.
    """

    name: str
    pair: Callable[[], tuple[Work, Work]]
    items: int
    rounds: int = 15
    number: int = 1
    warmup: int = 3
    target: Target | None = None
    detail: str | Callable[[], str] = ""
    labels: tuple[str, str] = ("A", "B")
    inference: bool = False


@dataclass(frozen=True)
class Throughput:
    """Items/s of one call: ``work()`` builds the call; ``repeats`` calls timed one by one."""

    name: str
    work: Callable[[], Work]
    items: int
    repeats: int = 10
    warmup: int = 3
    unit: str = "items/s"
    target: Target | None = None
    detail: str | Callable[[], str] = ""
    inference: bool = False


Benchmark = Comparison | Throughput


def _detail(declared: str | Callable[[], str], protocol: str) -> str:
    text = declared() if callable(declared) else declared
    return f"{text}; {protocol}" if text else protocol


def measure(
    benchmark: Benchmark, project: str, device: torch.device | str | None = None
) -> BenchRecord:
    """Build, warm up and time one declaration; ``device`` is synchronised around each call."""
    mode = torch.inference_mode() if benchmark.inference else contextlib.nullcontext()
    if isinstance(benchmark, Comparison):
        fn_a, fn_b = benchmark.pair()
        with mode:
            result = compare(
                fn_a,
                fn_b,
                benchmark.items,
                warmup=benchmark.warmup,
                repeats=benchmark.rounds,
                number=benchmark.number,
                device=device,
            )
        steps = f"{benchmark.number} call{'s' if benchmark.number > 1 else ''}"
        protocol = f"{benchmark.rounds} interleaved rounds of {steps} per side"
        return result.record(
            project,
            benchmark.name,
            benchmark.target,
            _detail(benchmark.detail, protocol),
            benchmark.labels,
            benchmark.number,
        )
    if isinstance(benchmark, Throughput):
        fn = benchmark.work()
        with mode:
            rates = throughput_rates(
                fn,
                benchmark.items,
                warmup=benchmark.warmup,
                repeats=benchmark.repeats,
                device=device,
            )
        protocol = (
            f"{benchmark.repeats} timed calls of {benchmark.items} after {benchmark.warmup} warm-up"
        )
        return BenchRecord.from_samples(
            project,
            benchmark.name,
            rates,
            benchmark.unit,
            benchmark.target,
            _detail(benchmark.detail, protocol),
        )
    raise TypeError(f"not a benchmark declaration: {benchmark!r}")


def summary(record: BenchRecord) -> str:
    """``name: median unit [interval] (min-max), target -> verdict`` on one line."""
    text = f"{record.name}: {format_number(record.value)} {record.unit}"
    if record.interval is not None:
        low, high = map(format_number, record.interval)
        text += f", 95 % interval {low}-{high}"
    text += f", min-max {format_number(record.low)}-{format_number(record.high)}"
    if record.target_spec is not None:
        text += f", target {record.target_spec.label}: {record.verdict}"
    return text


def run_all(
    project: str,
    benchmarks: Iterable[Benchmark],
    device: torch.device | str | None = None,
    log: Callable[[str], None] | None = None,
) -> list[BenchRecord]:
    """Run each declaration in order; ``log`` (default: stderr) gets one line per record."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    records = []
    for benchmark in benchmarks:
        start = time.perf_counter()
        record = measure(benchmark, project, device)
        log(f"  {project}: {summary(record)} ({time.perf_counter() - start:.0f} s)")
        records.append(record)
    return records


# --- tables -----------------------------------------------------------------------------------


def rates_text(rates: dict[str, float]) -> str:
    """``A 4123.5 items/s, B 4001.2 items/s`` (empty without rates)."""
    return ", ".join(f"{label} {rate:.1f} items/s" for label, rate in rates.items())


def format_table(records: list[BenchRecord]) -> str:
    """A Markdown table of records, with the machine of the first one underneath."""
    lines = [
        "| project | benchmark | median | 95 % interval | min-max | target | verdict | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        target = "" if r.target_spec is None else r.target_spec.label
        interval = "" if r.interval is None else "-".join(map(format_number, r.interval))
        detail = "; ".join(filter(None, (rates_text(r.rates), r.detail)))
        lines.append(
            f"| {r.project} | {r.name} | {format_number(r.value)} {r.unit} | {interval} | "
            f"{format_number(r.low)}-{format_number(r.high)} | {target} | {r.verdict or ''} | {detail} |"
        )
    if records:
        m = records[0].machine
        lines.append(
            f"\nMachine: {m['cpu']} ({m['cores']} cores), GPU: {m['gpu'] or 'none'}, torch "
            f"{m['torch']}, {m['threads']} thread(s), load average {m['load_avg_1m']}."
        )
    return "\n".join(lines)
