"""The benchmark compares like with like: its OpenCV baseline computes our probabilities."""

import json

import numpy as np
import pytest
import torch
from cbm import gpu_check
from cbm.bench import lean_saliency_loop, official_saliency_loop, train_steps
from cbm.saliency import sobel_patch_saliency

from shared.models.resnet_cifar import digits_resnet


@pytest.mark.parametrize("loop_fn", [official_saliency_loop, lean_saliency_loop])
@pytest.mark.parametrize("size", [32, 64])
def test_opencv_loop_baselines_give_the_same_probabilities(size, loop_fn):
    # At 64 px both resize the 32 px image: PIL's bilinear filter vs ours in 8 bits.
    pytest.importorskip("cv2")
    images = np.random.default_rng(1).integers(0, 256, size=(6, 32, 32, 3), dtype=np.uint8)
    loop = loop_fn(images, size)
    batch = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    ours = sobel_patch_saliency(batch, 4, size=size)
    np.testing.assert_allclose(ours.numpy(), loop, rtol=1e-6)


def test_the_two_timed_steps_differ_only_by_the_masking():
    torch.manual_seed(0)
    images, labels = torch.randn(8, 3, 16, 16), torch.arange(8)
    probs = torch.zeros(8, 16)
    probs[:, 0] = 1.0
    seen = []
    model = digits_resnet(10)
    model.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    plain, masked = train_steps(model, images, labels, probs, ratio=0.01)
    plain()
    masked()
    assert torch.equal(seen[0], images)
    assert torch.equal(seen[1][:, :, :4, :4], torch.zeros(8, 3, 4, 4))
    assert torch.equal(seen[1][:, :, 4:], images[:, :, 4:])


def test_gpu_check_reports_a_missing_gpu_as_a_json_line(capsys):
    if torch.cuda.is_available():
        pytest.skip("has CUDA: the real check runs on the GPU machine")
    gpu_check.main()
    line = json.loads(capsys.readouterr().out.strip())
    assert line == {
        "project": "cbm",
        "check": "cuda_available",
        "value": 0.0,
        "unit": "bool",
        "detail": "no CUDA device; nothing checked",
    }


def test_benchmarks_declare_the_step_and_both_saliency_baselines():
    from cbm.bench import SALIENCY_TARGET, STEP_TARGET, benchmarks

    default = benchmarks()
    assert [(d.items, d.rounds, d.number, d.warmup) for d in default] == [
        (64, 15, 5, 3),
        (512, 5, 1, 1),
        (512, 5, 1, 1),
    ]
    assert [d.target for d in default] == [STEP_TARGET, SALIENCY_TARGET, None]
    assert (STEP_TARGET.bound, STEP_TARGET.higher_is_better) == (1.10, False)
    assert (SALIENCY_TARGET.bound, SALIENCY_TARGET.higher_is_better) == (5.0, True)
    pytest.importorskip("cv2")
    for declared in benchmarks(count=4, rounds=3):
        ours_or_plain, other = declared.pair()
        ours_or_plain()
        other()


def test_gpu_check_declares_the_step_the_ratio_and_the_throughput():
    assert [c.name for c in gpu_check.checks()] == [
        "ResNet-18 + MaskIn (CIFAR 32 px)",
        "train step with MaskIn / without (ResNet-18, batch 64, bf16)",
        "Sobel saliency throughput (CIFAR at 64 px)",
    ]
