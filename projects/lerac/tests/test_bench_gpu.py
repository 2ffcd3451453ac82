"""The benchmark's two arms train the same model; the GPU check imports no jsonargparse."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from lerac.bench import step_pair

from shared.models import digits_resnet


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
