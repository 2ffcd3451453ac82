"""The benchmark's two arms train the same model; the GPU check runs on CUDA."""

from __future__ import annotations

import pytest
import torch
from lerac.bench import step_pair

from shared.models import cifar_resnet18, digits_resnet


@pytest.mark.parametrize("mode", ["official", "paper"])
def test_bench_arms_train_identical_copies(mode):
    torch.manual_seed(0)
    model = digits_resnet(10)
    images, labels = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    before = model.fc.weight.detach().clone()
    conventional, with_lerac = step_pair(model, images, labels, mode)
    for _ in range(3):
        conventional()
        with_lerac()
    assert not torch.equal(model.fc.weight, before)  # the LeRaC arm really trains `model`


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_check_runs(capsys):
    from lerac.gpu_check import main

    main()
    assert '"project": "lerac"' in capsys.readouterr().out


def test_step_pairs_build_for_the_gpu_check_model():
    """ResNet-18 reaches the floor deeper than the digits net; paper mode must still order."""
    images, labels = torch.randn(2, 3, 8, 8), torch.tensor([0, 1])
    for mode in ("official", "paper"):
        conventional, with_lerac = step_pair(cifar_resnet18(10), images, labels, mode)
        conventional()
        with_lerac()


def test_benchmarks_declare_the_digits_steps_and_build_the_real_pair():
    from lerac.bench import TARGET, benchmarks

    declared = benchmarks()
    assert [d.name for d in declared] == [
        f"train step, LeRaC {mode} / conventional (digits ResNet, batch 64, 16 px)"
        for mode in ("official", "paper")
    ]
    assert all((d.items, d.rounds, d.number, d.target) == (64, 15, 5, TARGET) for d in declared)
    assert (TARGET.bound, TARGET.higher_is_better) == (1.02, False)
    conventional, with_lerac = declared[1].pair()
    conventional()
    with_lerac()


def test_gpu_check_declares_groups_steps_and_the_fp32_ratios():
    from lerac.gpu_check import checks

    assert [c.name for c in checks()] == [
        "ResNet-18 CIFAR (32 px): LeRaC groups",
        "ResNet-18 CIFAR (32 px)",
        "WRN-52-2 CIFAR (32 px): LeRaC groups",
        "WRN-52-2 CIFAR (32 px)",
        "CvT-13 ImageNet-200 (224 px): LeRaC groups",
        "CvT-13 ImageNet-200 (224 px)",
        "train step, LeRaC official / conventional (ResNet-18, batch 64, 32 px, fp32)",
        "train step, LeRaC paper / conventional (ResNet-18, batch 64, 32 px, fp32)",
    ]
    assert checks()[0].compute()[0] == 10.0  # ResNet-18's LeRaC groups, built on the CPU
