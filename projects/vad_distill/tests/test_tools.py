"""The GPU check and the benchmark run shrunk on the CPU (the reproduction: test_reproduce.py)."""

from __future__ import annotations

import math

import torch
from vad_distill.bench import benchmarks
from vad_distill.gpu_check import checks

from shared import gpucheck
from shared.bench import measure


def test_gpu_check_runs_shrunk_on_cpu(capsys):
    declared = checks(
        "cpu", "tiny", batches=(1, 2), train_batch=2, repeats=1, warmup=0, dtype=torch.float32
    )
    lines, failed = gpucheck.run_checks("vad_distill", declared, "cpu")
    assert failed == []
    assert [line["check"] for line in lines] == [
        "kd_step_float32_b2_64x64",
        "fps_student_b1_float32_64x64",
        "fps_student_b2_float32_64x64",
    ]
    assert math.isfinite(lines[0]["value"]) and all(line["value"] > 0 for line in lines[1:])
    capsys.readouterr()


def test_bench_declarations_run_shrunk():
    (bench,) = benchmarks("tiny", batches=(2,), repeats=1)
    record = measure(bench, "vad_distill")
    assert bench.items == 2 and record is not None
