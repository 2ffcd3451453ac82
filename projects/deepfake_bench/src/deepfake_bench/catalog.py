"""Fills :mod:`deepfake_bench.registry`: every detector and generator with its metadata and the
smallest settings that still exercise its code (``test_kwargs``, used by the contract tests)."""

from __future__ import annotations

from deepfake_bench.data.biodeepav import LAYOUT as BIODEEP_LAYOUT
from deepfake_bench.data.biodeepav import SOURCE as BIODEEP_SOURCE
from deepfake_bench.data.biodeepav import read_biodeepav
from deepfake_bench.data.deepfakebench_json import LAYOUT as DFB_LAYOUT
from deepfake_bench.data.deepfakebench_json import SOURCE as DFB_SOURCE
from deepfake_bench.data.deepfakebench_json import read_deepfakebench_json
from deepfake_bench.data.image_folders import LAYOUT as IMAGE_LAYOUT
from deepfake_bench.data.image_folders import discover_folders, read_manifest
from deepfake_bench.detectors.cnndet import CNNDetection
from deepfake_bench.detectors.f3net import F3Net
from deepfake_bench.detectors.frame_video import FrameVideo
from deepfake_bench.detectors.probe import Probe
from deepfake_bench.detectors.spectrum_lr import SpectrumLR
from deepfake_bench.detectors.xception import XceptionDetector
from deepfake_bench.registry import DATASETS, DETECTORS, GENERATORS
from deepfake_bench.synth.generators.conv_ae import ConvAE
from deepfake_bench.synth.generators.dcgan import DCGAN
from deepfake_bench.synth.generators.ddpm import DDPM
from deepfake_bench.synth.generators.pca import PCAGauss
from deepfake_bench.synth.generators.upsample import Upsample

TINY_VIT = {"image_size": 32, "patch_size": 16, "width": 16, "layers": 1, "heads": 2,
            "mlp_ratio": 2.0, "output_dim": 8}  # fmt: skip

DETECTORS.register(
    "spectrum_lr", SpectrumLR, modality="image", input_size=32,
    paper="Durall et al., CVPR 2020; Frank et al., ICML 2020 (azimuthal spectrum + LR)",
    original="the same (non-deep, closed form)",
)  # fmt: skip
DETECTORS.register(
    "cnndet_lite", CNNDetection, modality="image", input_size=32,
    paper="Wang et al., CNN-generated images are surprisingly easy to spot, CVPR 2020",
    original="ResNet-50 at 224 px (size=full; CNNDetection checkpoints load)",
    test_kwargs={"widths": (8, 16), "stem_stride": 2},
)  # fmt: skip
DETECTORS.register(
    "f3net_lite", F3Net, modality="image", input_size=32,
    paper="Qian et al., Thinking in Frequency, ECCV 2020 (FAD branch, as DeepfakeBench)",
    original="Xception on 12 FAD channels at 256 px (size=full; DeepfakeBench f3net_best.pth)",
    test_kwargs={"widths": (8, 16), "stem_stride": 2},
)  # fmt: skip
DETECTORS.register(
    "probe_lite", Probe, modality="image", input_size=32,
    paper="Ojha et al., Towards Universal Fake Image Detectors, CVPR 2023 (UnivFD)",
    original="frozen CLIP ViT-L/14 + Linear (size=full, open_clip weights)",
    test_kwargs={"width": 8, "pretrain_steps": 2},
)  # fmt: skip

GENERATORS.register(
    "upsample_nn", Upsample, modality="image", output_shape=(32, 32, 3),
    fingerprint="periodic spectral replicas of nearest upsampling",
)  # fmt: skip
GENERATORS.register(
    "upsample_bilinear", lambda: Upsample("bilinear"), modality="image",
    output_shape=(32, 32, 3), fingerprint="blur of bilinear upsampling",
)  # fmt: skip
GENERATORS.register(
    "pca_gauss", PCAGauss, modality="image", output_shape=(32, 32, 3),
    fingerprint="low-pass: no high-frequency content", test_kwargs={"n_components": 8},
)  # fmt: skip
GENERATORS.register(
    "conv_ae", ConvAE, modality="image", output_shape=(32, 32, 3),
    fingerprint="smoothing and transposed-conv checkerboards (LDM-decoder-like)",
    test_kwargs={"steps": 2, "width": 8},
)  # fmt: skip
GENERATORS.register(
    "dcgan", DCGAN, modality="image", output_shape=(32, 32, 3),
    fingerprint="GAN upsampling artefacts", test_kwargs={"steps": 2, "batch_size": 8, "width": 8},
)  # fmt: skip
GENERATORS.register(
    "ddpm", DDPM, modality="image", output_shape=(32, 32, 3), fingerprint="diffusion sampling",
    test_kwargs={"steps": 2, "timesteps": 10, "sample_steps": 3, "base": 8},
)  # fmt: skip

DATASETS.register(
    "image_folders", discover_folders, modality="image", layout=IMAGE_LAYOUT,
    source="CNNDetection / UnivFD test sets (github.com/PeterWang512/CNNDetection)",
    splits=("train", "val", "test"),
)  # fmt: skip
DATASETS.register(
    "dfb_manifest", read_manifest, modality="image", layout="<root>/manifest.csv",
    source="a DFB-Synth build (deepfake_bench.synth.build)", splits=("train", "val", "test"),
)  # fmt: skip
DATASETS.register(
    "deepfakebench_json", read_deepfakebench_json, modality="video", layout=DFB_LAYOUT,
    source=DFB_SOURCE, splits=("train", "val", "test"),
)  # fmt: skip
DATASETS.register(
    "biodeepav", read_biodeepav, modality="video", layout=BIODEEP_LAYOUT, source=BIODEEP_SOURCE,
    splits=("test",),
)  # fmt: skip

DETECTORS.register(
    "frame_cnn", FrameVideo, modality="video", input_size=32,
    paper="DeepfakeBench frame-level detectors (Yan et al., NeurIPS 2023 D&B): mean of frames",
    original="any image detector per frame at its size (e.g. f3net_lite size=full), 32 frames",
    test_kwargs={"frame_args": {"widths": (8, 16), "stem_stride": 2}},
)  # fmt: skip
DETECTORS.register(
    "xception", XceptionDetector, modality="image", input_size=256,
    paper="Rössler et al., FaceForensics++, ICCV 2019 (DeepfakeBench's xception detector)",
    original="the same at width 1.0 (DeepfakeBench xception_best.pth loads strictly)",
    test_kwargs={"width": 1 / 16},
)  # fmt: skip
