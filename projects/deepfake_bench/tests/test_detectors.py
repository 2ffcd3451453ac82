"""Detector internals: F3Net's bands, the full-size paths tiny, DeepfakeBench key names."""

import numpy as np
import pytest
import torch
from deepfake_bench.detectors.cnndet import CNNDetection
from deepfake_bench.detectors.f3net import FADHead, band_mask, dct_matrix
from deepfake_bench.detectors.probe import Probe
from deepfake_bench.detectors.spectrum_lr import SpectrumLR, radial_bins

from shared.errors import ConfigError


def test_dct_is_orthonormal_and_all_band_reconstructs_the_image():
    d = dct_matrix(8)
    assert torch.allclose(d @ d.T, torch.eye(8), atol=1e-6)
    head = FADHead(8)
    for f in head.filters:
        f.learnable.data.fill_(0.0)  # 2σ(0) − 1 = 0: the fixed bands alone
    x = torch.rand(2, 3, 8, 8)
    out = head(x)
    assert out.shape == (2, 12, 8, 8)
    assert torch.allclose(out[:, 9:], x, atol=1e-5)  # the "all" band [0, 2S] is the identity


def test_bands_follow_the_official_inclusive_bounds():
    # size 32: low [0, 11], mid [11, 16], high [16, 64] over i + j (32 // 2.82 = 11.0)
    low, mid = band_mask(0, 32 // 2.82, 32), band_mask(32 // 2.82, 16, 32)
    index = np.add.outer(np.arange(32), np.arange(32))
    assert np.array_equal(low.numpy(), (index <= 11).astype(np.float32))
    assert np.array_equal(mid.numpy(), ((index >= 11) & (index <= 16)).astype(np.float32))


def test_spectrum_has_23_rings_at_32_px():
    assert int(radial_bins(32).max()) + 1 == 23
    assert SpectrumLR().linear.in_features == 23


def test_f3net_full_size_has_deepfakebench_key_names_and_shapes():
    from deepfake_bench.detectors.f3net import F3Net

    state = F3Net(image_size=32, size="full", xception_width=1 / 16).state_dict()
    for key in ("FAD_head._DCT_all", "FAD_head._DCT_all_T", "FAD_head.filters.0.base",
                "FAD_head.filters.3.learnable", "backbone.conv1.weight", "backbone.bn1.running_mean",
                "backbone.block1.skip.weight", "backbone.block1.skipbn.weight",
                "backbone.block1.rep.0.conv1.weight", "backbone.block1.rep.0.pointwise.weight",
                "backbone.block1.rep.1.weight", "backbone.block2.rep.1.conv1.weight",
                "backbone.block12.rep.1.pointwise.weight", "backbone.conv3.conv1.weight",
                "backbone.conv4.pointwise.weight", "backbone.bn4.weight",
                "backbone.last_linear.weight", "backbone.adjust_channel.0.weight"):  # fmt: skip
        assert key in state, key
    assert "backbone.block4.skip.weight" not in state  # middle flow: identity shortcut
    assert state["backbone.conv1.weight"].shape[1] == 12
    assert state["backbone.last_linear.weight"].shape[0] == 2


def test_f3net_full_size_loads_a_checkpoint_strictly_and_scores(tmp_path):
    from deepfake_bench.detectors.f3net import F3Net

    torch.manual_seed(0)
    source = F3Net(image_size=32, size="full", xception_width=1 / 16).eval()
    torch.save(source.state_dict(), tmp_path / "f3net_best.pth")
    loaded = F3Net(32, "full", xception_width=1 / 16, checkpoint=str(tmp_path / "f3net_best.pth"))
    x = torch.rand(2, 3, 32, 32)
    logits = source.backbone(source.FAD_head((x - 0.5) / 0.5))
    expected = torch.softmax(logits, 1)[:, 1]  # DeepfakeBench's probability
    assert torch.allclose(loaded.eval().predict_proba(x), expected, atol=1e-6)


def test_cnndetection_full_size_is_resnet50_and_loads_its_checkpoint_format(tmp_path):
    full = CNNDetection(size="full")
    assert sum(p.numel() for p in full.parameters()) == 23_510_081  # ResNet-50, fc 2048 -> 1
    torch.save({"model": full.net.state_dict()}, tmp_path / "blur_jpg_prob0.5.pth")
    loaded = CNNDetection(size="full", checkpoint=str(tmp_path / "blur_jpg_prob0.5.pth")).eval()
    x = torch.rand(1, 3, 32, 32)
    assert torch.allclose(loaded(x), full.eval()(x))


def test_probe_full_size_uses_a_tiny_clip_tower_and_refuses_no_weights():
    vit = {"image_size": 32, "patch_size": 16, "width": 16, "layers": 1, "heads": 2,
           "mlp_ratio": 2.0, "output_dim": 8}  # fmt: skip
    probe = Probe(size="full", vision=vit)
    assert probe.head.in_features == 8
    assert not any(p.requires_grad for p in probe.encoder.parameters())
    assert probe.predict_proba(torch.rand(3, 3, 48, 48)).shape == (3,)
    with pytest.raises(ConfigError, match="pretrained"):
        Probe(size="full")


def test_probe_lite_pretraining_uses_reals_only_and_freezes_the_encoder(real_patches):
    probe = Probe(width=8, pretrain_steps=3)
    images = torch.from_numpy(real_patches).permute(0, 3, 1, 2).contiguous()
    before = {k: v.clone() for k, v in probe.encoder.state_dict().items()}
    probe.prepare(images, torch.zeros(0, 3, 32, 32, dtype=torch.uint8))  # no fakes needed
    assert any(not torch.equal(before[k], v) for k, v in probe.encoder.state_dict().items())
    assert not any(p.requires_grad for p in probe.encoder.parameters())


def test_frame_video_score_is_the_mean_of_frame_probabilities():
    from deepfake_bench.detectors.frame_video import FrameVideo

    video = FrameVideo(frame_args={"widths": (8, 16), "stem_stride": 2}).eval()
    clips = torch.rand(2, 3, 3, 32, 32)
    frames = video.frame.predict_proba(clips.flatten(0, 1)).view(2, 3)
    assert torch.allclose(video.predict_proba(clips), frames.mean(1))
    assert torch.allclose(torch.sigmoid(video(clips)), frames.mean(1), atol=1e-5)


def test_frame_video_refuses_a_non_image_frame_detector():
    from deepfake_bench.detectors.frame_video import FrameVideo

    with pytest.raises(ConfigError, match="frame_detector"):
        FrameVideo("frame_cnn")


def test_xception_detector_loads_deepfakebench_names_and_gives_its_probability(tmp_path):
    from deepfake_bench.detectors.xception import XceptionDetector

    torch.manual_seed(0)
    source = XceptionDetector(width=1 / 16).eval()
    state = source.state_dict()
    assert {"backbone.conv1.weight", "backbone.block12.skip.weight", "backbone.last_linear.bias",
            "backbone.adjust_channel.1.running_var"} <= set(state)  # fmt: skip
    torch.save(state, tmp_path / "xception_best.pth")
    loaded = XceptionDetector(1 / 16, str(tmp_path / "xception_best.pth")).eval()
    x = torch.rand(2, 3, 40, 40)
    expected = torch.softmax(source.backbone((x - 0.5) / 0.5), 1)[:, 1]
    assert torch.allclose(loaded.predict_proba(x), expected, atol=1e-6)


def test_xception_full_width_has_the_original_parameter_count():
    from deepfake_bench.detectors.xception import Xception

    # FaceForensics++'s Xception: 20.8 M with its 2-way head, plus the 1x1 adjust_channel block
    # DeepfakeBench keeps (2048 * 512 + 512 conv, 2 * 512 BN).
    n = sum(p.numel() for p in Xception(3, 2).parameters())
    assert n == 20_811_050 + 2048 * 512 + 512 + 2 * 512
