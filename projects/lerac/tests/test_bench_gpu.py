"""The benchmark's two arms train the same model; the GPU check imports no jsonargparse."""

from __future__ import annotations

import subprocess
import sys

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


@pytest.mark.slow
def test_gpu_check_imports_no_jsonargparse():
    code = "import sys, lerac.gpu_check; assert 'jsonargparse' not in sys.modules, 'jsonargparse'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


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
