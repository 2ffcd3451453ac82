"""The GPU check and the benchmarks, exercised on the CPU at tiny size."""

from __future__ import annotations

import math

import pytest
from curriculum_dpo import bench, gpu_check
from curriculum_dpo.timed_steps import TINY


def test_gpu_check_step_builds_and_starts_at_log2() -> None:
    (check,) = gpu_check.checks()
    model, images, context = gpu_check.build(TINY, device="cpu")
    assert images.shape == (2 * gpu_check.PAIRS, 4, 8, 8)
    assert check.loss_fn(model, images, context).item() == pytest.approx(math.log(2), abs=1e-7)


def test_benchmarks_run_once() -> None:
    comparison, sampling = bench.benchmarks()
    assert comparison.target.label.startswith("<= 1.5") and comparison.items == 2 * bench.PAIRS
    for call in comparison.pair():
        call()
    sampling.work()()
