"""The official-checkout comparison, on a stand-in checkout with the official call signature.

The stand-in (written here, not the official code) subclasses our model, so the plumbing is
tested — import from a path, cleanup, weight sharing, equal-output check, interleaved records —
while the real A/B needs a ristea/aed-mae checkout (``OFFICIAL_REPO``).
"""

import sys

import pytest
from fast_vad_mae import bench
from fast_vad_mae.model import MaskedAutoencoderCvT, preset

STAND_IN = """
import torch
from fast_vad_mae.losses import distillation_loss, teacher_loss
from fast_vad_mae.model import MaskedAutoencoderCvT, patchify, preset


class StandIn(MaskedAutoencoderCvT):
    train_TS = False

    def forward(self, imgs, targets, grad_mask=None, mask_ratio=0.75):
        out = super().forward(imgs, mask_ratio, with_student=self.train_TS)
        tokens = patchify(targets, self.patch_size)
        error = ((tokens - out.teacher) ** 2).mean((1, 2))
        if not self.train_TS:
            loss = teacher_loss(out.teacher, targets, out.mask, grad_mask, self.patch_size)
            return loss, out.teacher, out.mask, error
        loss = distillation_loss(out.student, out.teacher, out.mask)
        return loss, out.teacher, out.mask, [((out.teacher - out.student) ** 2).mean((1, 2)), error]


def mae_cvt_patch16(**kwargs):
    return StandIn(preset("tiny"))
"""


def test_official_comparison_plumbing(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "mae_cvt.py").write_text("")
    (tmp_path / "model" / "model_factory.py").write_text(STAND_IN)
    official = bench.official_model(tmp_path).eval()
    assert "model" not in sys.modules and str(tmp_path) not in sys.path  # forgotten again
    ours = MaskedAutoencoderCvT(preset("tiny")).eval()
    assert bench.check_equal_outputs(ours, official, bench.inputs(ours, 2)) == pytest.approx(
        0.0, abs=1e-6
    )
    records = bench.official_comparison(ours, official, repeats=2)
    assert [r.name for r in records] == [
        "ours/official time, teacher b1",
        "ours/official time, teacher+student b1",
    ]
    assert all(r.unit == "x" and r.target == 1.05 and "score diff" in r.detail for r in records)
    assert all(
        r.target_note == "equal speed, 5 % tolerance" and len(r.samples) == 2 for r in records
    )
    assert all(set(r.rates) == {"official", "ours"} for r in records)


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model/mae_cvt\.py"):
        bench.official_model(tmp_path)


def test_fps_benchmarks_declare_both_calls_at_batch_1_and_32_in_inference_mode():
    declared = bench.fps_benchmarks()
    assert [d.name for d in declared] == [
        f"avenue 320x640 {call} b{batch}"
        for batch in (1, 32)
        for call in ("teacher", "teacher+student")
    ]
    assert [(d.items, d.repeats, d.warmup) for d in declared] == [(1, 10, 3)] * 2 + [(32, 5, 3)] * 2
    assert all(d.inference and d.unit == "frames/s" and d.target is None for d in declared)
    assert bench.EQUAL_SPEED.label == "<= 1.05 (equal speed, 5 % tolerance)"
