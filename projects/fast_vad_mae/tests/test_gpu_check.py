"""The GPU check's code path, shrunk and on the CPU (bf16 autocast works there too)."""

import math

from fast_vad_mae.gpu_check import run_checks


def test_gpu_check_runs_shrunk_on_cpu(capsys):
    lines = run_checks("cpu", "cpu", preset_name="tiny", batches=(1, 2), warmup=1, repeats=1)
    assert [line["check"] for line in lines] == [
        "train_step_bf16_b2_64x64",
        "fps_teacher_b1_bf16_64x64",
        "fps_teacher+student_b1_bf16_64x64",
        "fps_teacher_b2_bf16_64x64",
        "fps_teacher+student_b2_bf16_64x64",
    ]
    assert math.isfinite(lines[0]["value"]) and all(line["value"] > 0 for line in lines[1:])
    assert capsys.readouterr().out.count('"project": "fast_vad_mae"') == 5
