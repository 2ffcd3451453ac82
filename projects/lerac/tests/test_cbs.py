"""CBS: the Gaussian kernel against hand values, where the blur goes, and the σ schedule."""

from __future__ import annotations

import math

import pytest
import torch
from lerac.cbs import GaussianSmoothing, attach_smoothing, gaussian_kernel, smoothed_convs
from lerac.module import CBSClassifier

from shared.errors import ConfigError
from shared.models import digits_resnet


def test_kernel_hand_values():
    # 1-D weights e^{-1/2}, 1, e^{-1/2} for σ = 1; the 2-D kernel is their outer product / sum².
    side = math.exp(-0.5)
    total = (1 + 2 * side) ** 2
    expected = (
        torch.tensor(
            [[side * side, side, side * side], [side, 1.0, side], [side * side, side, side * side]]
        )
        / total
    )
    kernel = gaussian_kernel(3, 1.0)
    assert torch.allclose(kernel, expected, rtol=1e-6)
    assert kernel[1, 1].item() == pytest.approx(0.20417996, rel=1e-6)
    assert kernel[0, 1].item() == pytest.approx(0.12384140, rel=1e-6)
    assert kernel[0, 0].item() == pytest.approx(0.07511361, rel=1e-6)
    assert kernel.sum().item() == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(ConfigError, match="odd"):
        gaussian_kernel(4, 1.0)


def test_blur_of_a_delta_is_the_kernel_per_channel():
    image = torch.zeros(1, 2, 5, 5)
    image[0, :, 2, 2] = 1.0
    out = GaussianSmoothing(3, 0.5)(image)
    for channel in range(2):
        assert torch.allclose(out[0, channel, 1:4, 1:4], gaussian_kernel(3, 0.5), atol=1e-7)
    assert out[0, :, 0].abs().sum() == 0


def test_blur_follows_stem_and_both_block_convs_not_shortcuts():
    model = digits_resnet(10)
    names = smoothed_convs(model)
    assert names == ["conv1"] + [f"layer{s}.0.conv{i}" for s in range(1, 5) for i in (1, 2)]
    smoothing = GaussianSmoothing(3, 1.0)
    seen = []
    handles = attach_smoothing(model, smoothing)
    model.conv1.register_forward_hook(lambda _m, _i, out: seen.append(out))
    assert len(handles) == 9
    x = torch.randn(2, 3, 16, 16)
    model(x)
    # The stem's output, as the network sees it, is blur(conv1(x)).
    with torch.no_grad():
        direct = torch.nn.functional.conv2d(x, model.conv1.weight, padding=1)
        assert torch.allclose(seen[0], smoothing(direct), atol=1e-5)


def test_cbs_module_sets_sigma_per_epoch():
    module = CBSClassifier(cbs_sigma=1.0, cbs_factor=0.9, cbs_every=5)
    sigmas = []
    for epoch in (0, 4, 5, 10):
        module.smooth_for_epoch(epoch)
        sigmas.append(float(module.smoothing.sigma))
    assert sigmas == pytest.approx([1.0, 1.0, 0.9, 0.81], rel=1e-6)
    assert "smoothing.sigma" in module.state_dict()


def test_blur_on_cvt_follows_each_stage_patch_embedding_only():
    from shared.models.cvt import CvT13

    model = CvT13(10, 32, embed_dim=(8, 16, 24), depth=(1, 2, 3), num_heads=(1, 2, 3))
    assert smoothed_convs(model) == [
        f"model.cvt.encoder.stages.{s}.embedding.convolution_embeddings.projection"
        for s in range(3)
    ]
