"""Fills :mod:`deepfake_bench.registry`: every detector and generator with its metadata and the
smallest settings that still exercise its code (``test_kwargs``, used by the contract tests)."""

from __future__ import annotations

from deepfake_bench.data.asvspoof import (
    LAYOUT_2019,
    LAYOUT_2021,
    SOURCE_2019,
    SOURCE_2021,
    read_asvspoof2019_la,
    read_asvspoof2021,
)
from deepfake_bench.data.biodeepav import LAYOUT as BIODEEP_LAYOUT
from deepfake_bench.data.biodeepav import SOURCE as BIODEEP_SOURCE
from deepfake_bench.data.biodeepav import read_biodeepav
from deepfake_bench.data.deepfakebench_json import LAYOUT as DFB_LAYOUT
from deepfake_bench.data.deepfakebench_json import SOURCE as DFB_SOURCE
from deepfake_bench.data.deepfakebench_json import read_deepfakebench_json
from deepfake_bench.data.fakeavceleb import LAYOUT as FAKEAVCELEB_LAYOUT
from deepfake_bench.data.fakeavceleb import SOURCE as FAKEAVCELEB_SOURCE
from deepfake_bench.data.fakeavceleb import read_fakeavceleb
from deepfake_bench.data.image_folders import LAYOUT as IMAGE_LAYOUT
from deepfake_bench.data.image_folders import discover_folders, read_manifest
from deepfake_bench.data.mavos_dd import LAYOUT as MAVOS_LAYOUT
from deepfake_bench.data.mavos_dd import SOURCE as MAVOS_SOURCE
from deepfake_bench.data.mavos_dd import read_mavos_dd
from deepfake_bench.detectors.audio.aasist import AASIST
from deepfake_bench.detectors.audio.lcnn import LFCCLCNN
from deepfake_bench.detectors.audio.lfcc_gmm import LFCCGMM
from deepfake_bench.detectors.audio.rawnet2 import RawNet2
from deepfake_bench.detectors.cnndet import CNNDetection
from deepfake_bench.detectors.f3net import F3Net
from deepfake_bench.detectors.frame_video import FrameVideo
from deepfake_bench.detectors.probe import Probe
from deepfake_bench.detectors.spectrum_lr import SpectrumLR
from deepfake_bench.detectors.xception import XceptionDetector
from deepfake_bench.registry import DATASETS, DETECTORS, GENERATORS, SPOOFERS
from deepfake_bench.synth.audio.spoofers import GriffinLim, LPCNoise, MelGriffinLim, World
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

# Audio and audio-visual datasets: scored by `predict --dataset` (ASVspoof 2019 LA also trains:
# configs/asvspoof2019_la.yaml).
DATASETS.register(
    "asvspoof2019_la", read_asvspoof2019_la, modality="audio", layout=LAYOUT_2019,
    source=SOURCE_2019, splits=("train", "dev", "eval"),
)  # fmt: skip
DATASETS.register(
    "asvspoof2021_la", lambda root, **kw: read_asvspoof2021(root, "LA", **kw), modality="audio",
    layout=LAYOUT_2021, source=SOURCE_2021, splits=("eval",),
)  # fmt: skip
DATASETS.register(
    "asvspoof2021_df", lambda root, **kw: read_asvspoof2021(root, "DF", **kw), modality="audio",
    layout=LAYOUT_2021, source=SOURCE_2021, splits=("eval",),
)  # fmt: skip
DATASETS.register(
    "fakeavceleb", read_fakeavceleb, modality="audio_visual", layout=FAKEAVCELEB_LAYOUT,
    source=FAKEAVCELEB_SOURCE, splits=("test",),
)  # fmt: skip
DATASETS.register(
    "mavos_dd", read_mavos_dd, modality="video", layout=MAVOS_LAYOUT, source=MAVOS_SOURCE,
    splits=("train", "validation", "in_domain", "open_set_model", "open_set_language",
            "open_set_full"),
)  # fmt: skip

# Audio spoofers (DFB-Synth's attacks): bona fide speech re-synthesized through a vocoder.
SPOOFERS.register("S01", GriffinLim, system="griffin_lim", method="|STFT| -> Griffin-Lim")
SPOOFERS.register(
    "S02", MelGriffinLim, system="mel_griffin_lim", method="80-bin mel -> pinv -> Griffin-Lim"
)
SPOOFERS.register(
    "S03", World, system="world", method="WORLD DIO/StoneMask/CheapTrick/D4C -> synthesis"
)
SPOOFERS.register(
    "S04", LPCNoise, system="lpc_noise", method="LPC-16 envelope x noise / pulse excitation"
)

# Audio: float32 (B, T) 16 kHz waveforms; input_size = the training crop in samples (1 s).
DETECTORS.register(
    "lfcc_gmm", LFCCGMM, modality="audio", input_size=16_000,
    paper="ASVspoof 2021 LFCC-GMM baseline (Sahidullah et al., Interspeech 2015 features)",
    original="the same with 512 components per GMM (size=full)",
    test_kwargs={"n_components": 2, "max_iter": 5, "crop": 4_000},
)  # fmt: skip
DETECTORS.register(
    "lfcc_lcnn", LFCCLCNN, modality="audio", input_size=16_000,
    paper="Wang & Yamagishi, Interspeech 2021 (ASVspoof 2021 LFCC-LCNN baseline)",
    original="LCNN widths 32/48/64/32/32 + 2 BLSTM layers, 4-s crops (size=full)",
    test_kwargs={"widths": (4, 4, 4), "pool_after": (0, 1), "crop": 4_000},
)  # fmt: skip
DETECTORS.register(
    "rawnet2_lite", RawNet2, modality="audio", input_size=16_000,
    paper="Tak et al., End-to-end anti-spoofing with RawNet2, ICASSP 2021",
    original="20 sinc filters x 1024 taps, 6 blocks (2x20, 4x128), 3-layer GRU 1024, "
             "64,600 samples (size=full)",
    test_kwargs={"kernel_size": 33, "blocks": (4, 8), "gru_hidden": 8, "crop": 4_000},
)  # fmt: skip
DETECTORS.register(
    "aasist_lite", AASIST, modality="audio", input_size=16_000,
    paper="Jung et al., AASIST, ICASSP 2022 (AASIST-L shapes)",
    original="AASIST: encoder 32-64 channels, GAT dims 64/32, 64,600 samples (size=full)",
    test_kwargs={"n_filters": 12, "kernel_size": 32, "channels": (4, 4, 8),
                 "gat_dims": (8, 8), "crop": 4_000},
)  # fmt: skip

# Audio-visual: uint8 (B, T, 3, H, W) clips at 25 fps with float32 (B, 640 T) 16 kHz audio;
# input_size = the clips' frame size in pixels.
from deepfake_bench.detectors.av.late_fusion import LateFusion  # noqa: E402
from deepfake_bench.detectors.av.mrdf import MRDFLite  # noqa: E402
from deepfake_bench.detectors.av.sync import SyncLite  # noqa: E402

DETECTORS.register(
    "av_late_fusion", LateFusion, modality="audio_visual", input_size=64,
    paper="late fusion of a frame-level video and an LFCC-LCNN audio detector (logistic "
          "regression on their logits), the FakeAVCeleb / BioDeepAV unimodal-ensemble baseline",
    original="frame_cnn with ResNet-50 frames at 224 px (32 frames) + the original LFCC-LCNN "
             "(size=full)",
    test_kwargs={"frames": 2, "video_args": {"frame_args": {"widths": (8, 16), "stem_stride": 2}},
                 "audio_args": {"widths": (4, 4, 4), "pool_after": (0, 1), "crop": 4_000}},
)  # fmt: skip
DETECTORS.register(
    "sync_lite", SyncLite, modality="audio_visual", input_size=64,
    paper="Chung & Zisserman, Out of time: automated lip sync in the wild, ACCV 2016 (SyncNet)",
    original="not built: SyncNet's VGG-M towers on 5-frame mouth crops and 0.2-s MFCC blocks",
    test_kwargs={"dim": 8, "width": 4},
)  # fmt: skip
DETECTORS.register(
    "mrdf_lite", MRDFLite, modality="audio_visual", input_size=64,
    paper="Zou et al., Cross-modality and within-modality regularization for audio-visual "
          "deepfake detection, ICASSP 2024 (MRDF)",
    original="not built: AV-HuBERT Base encoders and fusion (768-d, 12 layers), pretrained",
    test_kwargs={"dim": 8, "heads": 2, "width": 4},
)  # fmt: skip
