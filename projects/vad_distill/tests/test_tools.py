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


STAND_IN = '''
from vad_distill.model import Student, preset


class CyTran(Student):
    """A stand-in for the official student: ours at the tiny preset, outputs scaled by SCALE."""

    SCALE = {scale}

    def __init__(self, input_nc, output_nc, n_downsampling, depth, heads):
        assert (input_nc, output_nc, n_downsampling, depth, heads) == (9, 1, 4, 5, 5)
        super().__init__(preset("tiny"))

    def forward(self, x):
        return tuple(self.SCALE * y for y in super().forward(x))
'''


def _stand_in_repo(root, scale: float):
    (root / "vit_pytorch").mkdir(parents=True)
    (root / "vit_pytorch" / "cytran.py").write_text(STAND_IN.format(scale=scale))
    return root


def test_the_official_comparison_shares_weights_and_reports_the_largest_difference(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("OFFICIAL_REPO", str(_stand_in_repo(tmp_path / "same", 1.0)))
    _, comparison = benchmarks("tiny", batches=(2,), repeats=1)
    record = measure(comparison, "vad_distill")
    assert comparison.labels == ("official", "ours") and comparison.target.label
    assert "max abs output difference 0.00e+00" in record.detail  # equal weights, equal outputs
    assert record.unit == "x" and record.value > 0 and set(record.rates) == {"official", "ours"}
    # an "official" student whose outputs differ (x 2) shows up in the elementwise difference
    monkeypatch.setenv("OFFICIAL_REPO", str(_stand_in_repo(tmp_path / "other", 2.0)))
    _, comparison = benchmarks("tiny", batches=(2,), repeats=1)
    assert "max abs output difference 0.00e+00" not in measure(comparison, "vad_distill").detail


def test_an_official_repo_without_the_student_is_a_clear_error(tmp_path, monkeypatch):
    import pytest

    from shared.errors import ConfigError

    monkeypatch.setenv("OFFICIAL_REPO", str(tmp_path))
    _, comparison = benchmarks("tiny", batches=(2,), repeats=1)
    with pytest.raises(ConfigError, match=r"OFFICIAL_REPO.*vit_pytorch/cytran\.py"):
        comparison.pair()
