"""The harness of each project's ``gpu_check.py`` (run by ``tools/gpu_check.py``).

A project declares its checks: :class:`TrainStep` (bf16 SGD steps at paper resolution),
:class:`Check` (any other computed value) and the :class:`shared.bench.Comparison` /
:class:`shared.bench.Throughput` declarations of ``make bench``; :func:`main` runs them on CUDA
and prints one JSON line per check. A check that raises prints an error line and the others
still run (the process then exits 1).

Runs on a GPU machine's own PyTorch stack (torch >= 2.11, no jsonargparse), so it imports only
torch, the standard library and ``shared.bench``/``shared.machine`` (torch only).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from shared.bench import BenchRecord, Comparison, Throughput, measure, summary

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def emit(
    project: str, check: str, value: float, unit: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    """Print one result line ``{"project", "check", "value", "unit", "detail", ...extra}`` and
    return it."""
    line = {"project": project, "check": check, "value": value, "unit": unit, "detail": detail}
    line.update(extra)
    print(json.dumps(line), flush=True)
    return line


def emit_record(project: str, check: str, record: BenchRecord) -> dict[str, Any]:
    """Emit a ``shared.bench`` record: median as the value, and its min-max, 95 % interval,
    target, verdict and rounds as extra keys."""
    data = record.to_dict()
    extra = {
        key: data[key]
        for key in (
            "low",
            "high",
            "interval",
            "target",
            "higher_is_better",
            "target_label",
            "verdict",
            "samples",
            "rates",
            "number",
        )
    }
    return emit(project, check, record.value, record.unit, record.detail, **extra)


def cuda_device() -> torch.device:
    if not torch.cuda.is_available():
        raise RuntimeError("CUDA is not available")
    return torch.device("cuda")


def bf16_train_step(
    project: str,
    name: str,
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: LossFn | None = None,
    steps: int = 5,
) -> float:
    """Train ``steps`` SGD steps in bf16 autocast; emit ms/step (after one warm-up) and peak memory.

    ``loss_fn(model, inputs, targets)`` defaults to cross-entropy on ``model(inputs)``. Returns
    the last loss, and raises if it is not finite.
    """
    return _bf16_steps(project, name, model, inputs, targets, loss_fn, steps)[0]


def _bf16_steps(
    project: str,
    name: str,
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: LossFn | None,
    steps: int,
) -> tuple[float, dict[str, Any]]:
    device = cuda_device()
    model = model.to(device).train()
    inputs, targets = inputs.to(device), targets.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = loss_fn or (lambda m, x, y: F.cross_entropy(m(x), y))
    torch.cuda.reset_peak_memory_stats(device)

    def step() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = loss_fn(model, inputs, targets)
        loss.backward()
        optimizer.step()
        return loss

    step()
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    torch.cuda.synchronize(device)
    ms = (time.perf_counter() - start) / steps * 1000
    value = float(loss.detach().float())
    if not math.isfinite(value):
        raise RuntimeError(f"{project}/{name}: non-finite loss {value} in bf16")
    peak = torch.cuda.max_memory_allocated(device) / 2**30
    line = emit(
        project,
        f"{name}: bf16 train step",
        ms,
        "ms/step",
        f"batch {len(inputs)}, input {tuple(inputs.shape[1:])}, loss {value:.3f}, peak {peak:.2f} GiB",
    )
    return value, line


# --- declarations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainStep:
    """``steps`` bf16 SGD steps of ``build() -> (model, inputs, targets)`` (:func:`bf16_train_step`)."""

    name: str
    build: Callable[[], tuple[nn.Module, torch.Tensor, torch.Tensor]]
    loss_fn: LossFn | None = None
    steps: int = 5


@dataclass(frozen=True)
class Check:
    """Any other value: ``compute() -> (value, detail)``, printed as check ``name`` in ``unit``."""

    name: str
    compute: Callable[[], tuple[float, str]]
    unit: str


GpuCheck = TrainStep | Check | Comparison | Throughput

NO_CUDA = {"check": "cuda_available", "value": 0.0, "unit": "bool"}
NO_CUDA_DETAIL = "no CUDA device; nothing checked"


def run_one(project: str, check: GpuCheck, device: torch.device | str) -> dict[str, Any]:
    """Run one declaration and print (and return) its line."""
    if isinstance(check, TrainStep):
        model, inputs, targets = check.build()
        return _bf16_steps(project, check.name, model, inputs, targets, check.loss_fn, check.steps)[
            1
        ]
    if isinstance(check, Check):
        value, detail = check.compute()
        return emit(project, check.name, float(value), check.unit, detail)
    if isinstance(check, Comparison | Throughput):
        record = measure(check, project, device)
        print(f"  {project}: {summary(record)}", file=sys.stderr, flush=True)
        return emit_record(project, check.name, record)
    raise TypeError(f"not a GPU check declaration: {check!r}")


def run_checks(
    project: str, checks: Sequence[GpuCheck], device: torch.device | str = "cuda"
) -> tuple[list[dict[str, Any]], list[str]]:
    """Run every declaration in order; a failing one prints an error line and the rest go on.

    Returns the lines of the checks that ran and the names of those that failed.
    """
    lines, failed = [], []
    for check in checks:
        try:
            lines.append(run_one(project, check, device))
        except Exception as error:  # one failing check must not hide the others
            failed.append(check.name)
            emit(project, f"{check.name}: FAILED", 0.0, "error", f"{type(error).__name__}: {error}")
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
    return lines, failed


def main(project: str, checks: Callable[[], Sequence[GpuCheck]]) -> int:
    """``python -m <project>.gpu_check``: the checks on CUDA; without CUDA one ``cuda_available``
    line (value 0) and exit status 0. Returns the exit status (1 when a check failed)."""
    if not torch.cuda.is_available():
        emit(project, NO_CUDA["check"], NO_CUDA["value"], NO_CUDA["unit"], NO_CUDA_DETAIL)
        return 0
    torch.manual_seed(0)
    _, failed = run_checks(project, checks(), cuda_device())
    if failed:
        print(f"{project}: failed checks: {', '.join(failed)}", file=sys.stderr, flush=True)
    return 1 if failed else 0
