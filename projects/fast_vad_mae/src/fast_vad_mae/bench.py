"""`make bench`: SD-MAE speed at paper resolution (Avenue preset, 320x640) on this machine.

Frames/s of the teacher-only call (the official benchmark's) and of teacher + student
(inference), batch 1 and 32, on pre-built tensors in inference mode after warm-up. With
``OFFICIAL_REPO=/path/to/aed-mae`` (a checkout of ristea/aed-mae, never vendored here) it also
times the official model on the same tensors, interleaved in one process, after checking that
both give equal outputs with shared weights (target: equal speed with a 5 % tolerance, i.e. a
time ratio <= 1.05).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path

import torch

from fast_vad_mae.model import MaskedAutoencoderCvT, preset
from fast_vad_mae.timed_calls import inputs, teacher_call, teacher_student_call
from shared.bench import Benchmark, BenchRecord, Comparison, Target, Throughput, run_all

PROJECT = "fast_vad_mae"
REPEATS = {1: 10, 32: 5}  # batch 32 is ~30 s per call set on a 2-core CPU
EQUAL_SPEED = Target.equal_speed(0.05)  # ours no slower than the official model, within 5 %


@contextmanager
def _official_checkout(path: Path):
    """Import the official package (top-level ``model``/``util``) from a checkout, then forget it."""
    if not (path / "model" / "mae_cvt.py").is_file():
        raise FileNotFoundError(
            f"OFFICIAL_REPO={path} holds no model/mae_cvt.py (a ristea/aed-mae checkout)"
        )
    sys.path.insert(0, str(path))
    try:
        yield importlib.import_module("model.model_factory")
    finally:
        sys.path.remove(str(path))
        for name in [m for m in sys.modules if m.split(".")[0] in ("model", "util")]:
            del sys.modules[name]


def official_model(path: Path) -> torch.nn.Module:
    """The released ``mae_cvt_patch16`` with the Avenue settings (L2 scores, motion-weighted loss)."""
    with _official_checkout(path) as factory:
        return factory.mae_cvt_patch16(
            img_size=(320, 640), abnormal_score_func=["L2", "L2"], grad_weighted_loss=True
        )


def _official_call(model: torch.nn.Module, data: dict[str, torch.Tensor], student: bool):
    def call():
        model.train_TS = student
        return model(data["x"], targets=data["y"], grad_mask=data["g"].clone(), mask_ratio=0.5)[-1]

    return call


def check_equal_outputs(
    ours: MaskedAutoencoderCvT, official: torch.nn.Module, data: dict[str, torch.Tensor]
) -> float:
    """Largest absolute difference of the frame scores with shared weights and the same mask draw."""
    ours.load_state_dict(official.state_dict(), strict=True)
    worst = 0.0
    with torch.inference_mode():
        for student in (False, True):
            torch.manual_seed(0)
            theirs = _official_call(official, data, student)()
            torch.manual_seed(0)
            mine = (teacher_student_call if student else teacher_call)(ours, data)()
            reference = theirs[0] + theirs[1] if student else theirs
            worst = max(worst, float((mine - reference).abs().max()))
    return worst


@cache
def avenue_model() -> MaskedAutoencoderCvT:
    """The Avenue preset (320x640) with seeded random weights, built once per process."""
    torch.manual_seed(0)
    return MaskedAutoencoderCvT(preset("avenue_p16")).eval()


def fps_benchmarks() -> list[Throughput]:
    """Frames/s of both timed calls at batch 1 and 32, in inference mode."""
    return [
        Throughput(
            f"avenue 320x640 {name} b{batch}",
            lambda make=make, batch=batch: make(avenue_model(), inputs(avenue_model(), batch)),
            batch,
            repeats=repeats,
            unit="frames/s",
            detail="fp32 CPU, inference_mode, data loading excluded; "
            "paper: 1655 FPS on an RTX 3090 (not comparable)",
            inference=True,
        )
        for batch, repeats in REPEATS.items()
        for name, make in (("teacher", teacher_call), ("teacher+student", teacher_student_call))
    ]


def official_benchmarks(
    ours: Callable[[], MaskedAutoencoderCvT],
    official: Callable[[], torch.nn.Module],
    repeats: int = 15,
) -> list[Comparison]:
    """Interleaved ours/official time ratios at batch 1, after the equal-output check (which
    loads the official weights into ours); target: equal speed, within 5 %."""

    @cache
    def setup() -> tuple[MaskedAutoencoderCvT, torch.nn.Module, dict[str, torch.Tensor], float]:
        model, theirs = ours(), official()
        data = inputs(model, 1)
        return model, theirs, data, check_equal_outputs(model, theirs, data)

    def pair(student: bool, make: Callable) -> tuple[Callable, Callable]:
        model, theirs, data, _ = setup()
        return _official_call(theirs, data, student), make(model, data)

    return [
        Comparison(
            f"ours/official time, {name} b1",
            partial(pair, student, make),
            1,
            rounds=repeats,
            target=EQUAL_SPEED,
            detail=lambda: (
                f"ratio = ours / official time; max abs score difference {setup()[3]:.2e}"
            ),
            labels=("official", "ours"),
            inference=True,
        )
        for name, student, make in (
            ("teacher", False, teacher_call),
            ("teacher+student", True, teacher_student_call),
        )
    ]


def benchmarks() -> list[Benchmark]:
    """FPS, and with ``OFFICIAL_REPO`` set the A/B against the official model."""
    declared: list[Benchmark] = list(fps_benchmarks())
    if official_path := os.environ.get("OFFICIAL_REPO"):
        declared += official_benchmarks(
            avenue_model, lambda: official_model(Path(official_path)).eval()
        )
    return declared


def official_comparison(
    model: MaskedAutoencoderCvT, official: torch.nn.Module, repeats: int = 15
) -> list[BenchRecord]:
    """The records of :func:`official_benchmarks` on these two models."""
    return run_all(PROJECT, official_benchmarks(lambda: model, lambda: official, repeats))


def main(argv: list[str] | None = None) -> None:
    """``python -m fast_vad_mae.bench [--official-only PATH]`` (PATH: an aed-mae checkout)."""
    import argparse

    from shared.bench import format_table
    from shared.runtime import configure_threads

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--official-only", type=Path, help="only the interleaved A/B vs PATH")
    args = parser.parse_args(argv)
    print(f"torch threads: {configure_threads()}")
    if args.official_only:
        records = official_comparison(avenue_model(), official_model(args.official_only).eval())
    else:
        records = run_all(PROJECT, benchmarks())
    print(format_table(records))


if __name__ == "__main__":
    main()
