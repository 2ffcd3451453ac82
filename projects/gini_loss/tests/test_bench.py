"""The benchmark declares the digits lines (control, tap floor, objective alone, full step) and
the ResNet-18 step, each timed against the CE step on the same backbone; the GPU check's list."""

from gini_loss import gpu_check
from gini_loss.bench import TARGET, benchmarks


def test_benchmarks_declare_the_same_rounds_and_targets():
    declared = benchmarks()
    digits, cifar = (
        "(digits ResNet, batch 64, 16x16, CPU)",
        "(CIFAR ResNet-18, batch 64, 32x32, CPU)",
    )
    assert [d.name for d in declared] == [
        f"control: CE / CE {digits}",
        f"tap floor: CE + 1e-8*sum(tap) / CE {digits}",
        f"objective alone, back to back / CE train step {digits}",
        f"train step, CE+Gini+KL / CE {digits}",
        f"train step, CE+Gini+KL / CE {cifar}",
    ]
    assert [(d.items, d.rounds, d.number) for d in declared] == [(64, 61, 5)] * 4 + [(64, 11, 1)]
    assert [d.target for d in declared] == [None, None, None, TARGET, TARGET]
    assert (TARGET.bound, TARGET.higher_is_better) == (1.05, False)


def test_the_digits_lines_share_one_ce_step_on_one_backbone():
    declared = benchmarks()[:4]
    pairs = [d.pair() for d in declared]
    assert len({id(ce) for ce, _ in pairs}) == 1  # every line is timed against the same CE step
    assert len({id(other) for _, other in pairs}) == 4
    for ce, other in pairs:
        ce()
        other()


def test_gpu_check_declares_the_step_and_the_ratio():
    assert [c.name for c in gpu_check.checks()] == [
        "ResNet-50 CE+Gini+KL (conv5)",
        "train step, CE+Gini+KL / CE (ResNet-50, batch 200, bf16)",
    ]
