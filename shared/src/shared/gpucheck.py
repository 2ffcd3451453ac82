"""Building blocks for each project's ``gpu_check.py`` (run by ``tools/gpu_check.py``).

Runs on a GPU machine's own PyTorch stack (torch >= 2.11, no jsonargparse), so it imports only
torch and the standard library. Each check prints one JSON line that the driver tabulates.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from shared.bench import BenchRecord


def emit(project: str, check: str, value: float, unit: str, detail: str = "") -> dict[str, Any]:
    """Print one result line ``{"project", "check", "value", "unit", "detail"}`` and return it."""
    line = {"project": project, "check": check, "value": value, "unit": unit, "detail": detail}
    print(json.dumps(line), flush=True)
    return line


def emit_record(project: str, check: str, record: BenchRecord) -> dict[str, Any]:
    """Emit a ``shared.bench`` record, its min-max and target in the detail."""
    target = ""
    if record.target is not None:
        target = f"; target {'>=' if record.higher_is_better else '<='} {record.target:g}"
    detail = f"min-max {record.low:.3f}-{record.high:.3f}{target}; {record.detail}"
    return emit(project, check, record.value, record.unit, detail)


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
    loss_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    steps: int = 5,
) -> float:
    """Train ``steps`` SGD steps in bf16 autocast; emit ms/step (after one warm-up) and peak memory.

    ``loss_fn(model, inputs, targets)`` defaults to cross-entropy on ``model(inputs)``. Returns
    the last loss, and raises if it is not finite.
    """
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
    emit(
        project,
        f"{name}: bf16 train step",
        ms,
        "ms/step",
        f"batch {len(inputs)}, input {tuple(inputs.shape[1:])}, loss {value:.3f}, peak {peak:.2f} GiB",
    )
    return value
