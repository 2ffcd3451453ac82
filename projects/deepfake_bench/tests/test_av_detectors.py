"""Audio-visual detectors and the AV module: the FakeAVCeleb label mapping, the sync distance,
the shifted-pair builder, MRDF's cross- and within-modality terms and the late-fusion
regression by hand, the "larger = more fake" convention, clear shape errors, and a one-step
fit + test of every kind of detector on a tiny in-memory datamodule."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.av_module import ID_METHODS, AVDetection
from deepfake_bench.detectors.av.base import av_labels, balanced_bce, check_clips, sample_frames
from deepfake_bench.detectors.av.late_fusion import fit_fusion
from deepfake_bench.detectors.av.mrdf import cross_modal_loss, within_modality_loss
from deepfake_bench.detectors.av.sync import SyncLite, sync_distance, sync_pairs, windows
from deepfake_bench.module import DetectorSpec
from deepfake_bench.registry import DETECTORS
from pytorch_lightning.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

from shared.errors import ConfigError

AV_DETECTORS = [n for n in DETECTORS if DETECTORS.entry(n).metadata["modality"] == "audio_visual"]
METHODS = [*ID_METHODS, "gen_frames", "voice_world", "gen_frames+voice_world"]
KINDS = [1, 1, 2, 3, 1, 2, 3]  # each method's FakeAVCeleb type


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def clips(kind, frames=20, size=32, seed=0):
    """Random uint8 clips with audio; fakes' frames brighter and audio noisier, so a few steps
    can separate them."""
    kind = torch.as_tensor(kind)
    g = torch.Generator().manual_seed(seed)
    video_fake, audio_fake = (kind % 2).bool(), (kind // 2).bool()
    video = torch.randint(0, 128, (len(kind), frames, 3, size, size), generator=g)
    video = (video + 100 * video_fake.view(-1, 1, 1, 1, 1)).to(torch.uint8)
    t = torch.arange(frames * 640) / 16_000
    audio = 0.3 * torch.sin(2 * math.pi * 220 * t).expand(len(kind), -1)
    noise = torch.randn(len(kind), len(t), generator=g)
    audio = audio + (0.02 + 0.3 * audio_fake[:, None]) * noise
    return video, audio.float(), kind


def test_kind_maps_to_fakeavceleb_video_audio_and_fused_labels():
    video, audio, fused = av_labels(torch.tensor([0, 1, 2, 3]))
    assert video.tolist() == [0, 1, 0, 1]  # RealVideo-RealAudio, FakeVideo-RealAudio, ...
    assert audio.tolist() == [0, 0, 1, 1]
    assert fused.tolist() == [0, 1, 1, 1]


def test_balanced_bce_weighs_each_class_half():
    logits, labels = torch.tensor([2.0, -1.0, 0.5, 3.0]), torch.tensor([1, 0, 0, 0])
    per_item = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, labels.float(), reduction="none"
    )
    assert balanced_bce(logits, labels) == pytest.approx(
        float(per_item[0] / 2 + per_item[1:].mean() / 2)
    )
    assert balanced_bce(logits, torch.zeros(4)) == pytest.approx(
        float(torch.nn.functional.softplus(logits).mean())
    )


def test_frames_are_sampled_uniformly_and_box_resampled():
    video = torch.arange(50).view(1, 50, 1, 1, 1).expand(1, 50, 3, 4, 4).to(torch.uint8)
    assert sample_frames(video, 8, 4)[0, :, 0, 0, 0].tolist() == [3, 9, 15, 21, 28, 34, 40, 46]
    image = torch.tensor([[0, 2, 4, 6], [2, 4, 6, 8], [10, 10, 0, 0], [10, 10, 0, 0]])
    video = image.view(1, 1, 1, 4, 4).expand(1, 1, 3, 4, 4).to(torch.uint8)
    assert sample_frames(video, 8, 2)[0, 0, 0].tolist() == [[2, 6], [10, 0]]


def test_sync_distance_is_one_minus_cosine_averaged_over_time():
    video = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (1 clip, 2 steps, 2 features)
    audio = torch.tensor([[[2.0, 0.0], [1.0, 1.0]]])  # cos 1, then 1/√2
    assert sync_distance(video, audio).item() == pytest.approx((0 + 1 - 1 / math.sqrt(2)) / 2)
    detector = SyncLite(dim=8, width=4)
    logits = detector.logit(torch.tensor([0.0, 0.5, 1.0, 2.0]))
    assert (logits.diff() > 0).all()  # larger distance (out of sync) = more fake


def test_shifted_pairs_come_from_real_clips_only_and_shift_5_to_15_frames():
    kind = torch.tensor([0, 1, 0, 2, 3] * 40)
    pairs = sync_pairs(kind, 50, (5, 15), torch.Generator().manual_seed(0))
    reals = torch.nonzero(kind == 0).flatten()
    assert set(pairs.clip.tolist()) == set(reals.tolist()) and len(pairs.clip) == 2 * len(reals)
    offset = (pairs.audio_start - pairs.video_start)[pairs.shifted == 1]
    assert offset.abs().min() >= 5 and offset.abs().max() <= 15
    assert (offset > 0).any() and (offset < 0).any()  # audio late and early
    assert (pairs.audio_start == pairs.video_start)[pairs.shifted == 0].all()
    assert pairs.length == 35
    starts = torch.cat([pairs.video_start, pairs.audio_start])
    assert starts.min() >= 0 and starts.max() + pairs.length <= 50
    sequence = torch.arange(10.0).view(1, 10, 1).repeat(2, 1, 2)
    assert windows(sequence, torch.tensor([0, 3]), 4)[:, :, 0].tolist() == [
        [0, 1, 2, 3], [3, 4, 5, 6],
    ]  # fmt: skip
    with pytest.raises(ValueError, match="shifts"):
        sync_pairs(kind, 15, (5, 15))


def test_sync_loss_never_reads_a_fake_clip():
    video, audio, kind = clips([0, 1, 2, 0, 3])
    audio[kind > 0] = float("nan")  # any use of a fake clip would poison the loss
    detector = SyncLite(dim=8, width=4)
    assert torch.isfinite(detector.loss(video, audio, kind))
    none = detector.loss(video[1:3], audio[1:3], kind[1:3])
    assert none.item() == 0 and not none.requires_grad


def test_mrdf_cross_modal_term_by_hand():
    audio = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    video = torch.tensor([[1.0, 1.0], [1.0, 1.0], [-1.0, 1.0], [0.0, 1.0]])
    c = 1 / math.sqrt(2)
    real_pair = torch.tensor([True, False, False, False])
    # real-real: 1 - c; fake with c > 0: c - m; fake with c < 0: 0; fake with c = 1: 1 - m
    assert cross_modal_loss(audio, video, real_pair).item() == pytest.approx(
        (1 - c + c + 0 + 1) / 4
    )
    assert cross_modal_loss(audio, video, real_pair, 0.8).item() == pytest.approx(
        (1 - c + 0 + 0 + 0.2) / 4
    )


def test_mrdf_within_modality_term_by_hand():
    embeddings = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    c = 1 / math.sqrt(2)
    # ordered pairs: diagonal 1 - 1 = 0; (0,1) same: 1 - c; (0,2) differ: max(0 - m, 0) = 0;
    # (1,2) differ: c - m
    expected = 2 * ((1 - c) + 0 + (c - 0.1)) / 9
    assert within_modality_loss(embeddings, labels, 0.1).item() == pytest.approx(expected)


def test_late_fusion_regression_on_hand_made_logits():
    rng = np.random.default_rng(0)
    kind = np.repeat([0, 1, 2, 3], 25)
    video_fake, audio_fake = kind % 2, kind // 2
    logits = np.stack([4 * video_fake - 2, 4 * audio_fake - 2], 1) + rng.normal(0, 0.5, (100, 2))
    weight, bias = fit_fusion(logits, kind > 0)
    assert (weight > 0).all()  # either branch's "fake" evidence raises the fused score
    fused = logits @ weight + bias
    assert fused[kind == 0].max() < fused[kind > 0].min()


def test_late_fusion_calibrate_fits_the_regression_on_its_branch_logits():
    video, audio, kind = clips(torch.arange(16) % 4)
    detector = DETECTORS.build("av_late_fusion", **DETECTORS.entry("av_late_fusion").test_kwargs)
    detector.eval()
    detector.calibrate(video, audio, kind)
    with torch.no_grad():
        branches = detector.branch_logits(video, audio)
        weight, bias = fit_fusion(branches.double().numpy(), (kind > 0).numpy())
        expected = branches @ torch.from_numpy(weight).float() + bias
        torch.testing.assert_close(detector(video, audio), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", AV_DETECTORS)
def test_fused_logit_per_clip_and_larger_means_more_fake(name):
    """Shapes, probabilities and heads; trained a few steps on separable clips, the fused
    logit of every detector trained on fakes ranks the fakes above the reals."""
    torch.manual_seed(0)
    detector = DETECTORS.build(name, **DETECTORS.entry(name).test_kwargs)
    video, audio, kind = clips(torch.arange(8) % 4)
    optimizer = torch.optim.Adam(detector.parameters(), lr=1e-2)
    for _ in range(15 if name != "sync_lite" else 1):
        optimizer.zero_grad()
        detector.loss(video, audio, kind).backward()
        optimizer.step()
    detector.eval()
    detector.calibrate(video, audio, kind)
    with torch.no_grad():
        logits, probs = detector(video, audio), detector.predict_proba(video, audio)
        heads = detector.head_logits(video, audio)
    assert logits.shape == (8,) and ((probs >= 0) & (probs <= 1)).all()
    torch.testing.assert_close(heads["fused"], logits)
    if name != "sync_lite":  # sync_lite never sees a fake: its convention is tested by hand
        assert logits[kind > 0].min() > logits[kind == 0].max()
        assert set(heads) == {"fused", "video", "audio"}


@pytest.mark.parametrize("name", AV_DETECTORS)
def test_a_wrong_shape_names_the_field_and_the_expected_shape(name):
    detector = DETECTORS.build(name, **DETECTORS.entry(name).test_kwargs)
    video, audio, _ = clips([0, 1])
    expected = r"`video` has shape \(2, 20, 32, 32\).*\(batch, frames, 3, height, width\)"
    with pytest.raises(ValueError, match=expected):
        detector(video[:, :, 0], audio)
    with pytest.raises(ValueError, match=r"`audio` has shape \(2, 1, 12800\).*\(batch, samples\)"):
        detector(video, audio[:, None])
    with pytest.raises(ValueError, match="2 clips but `audio` has 1"):
        check_clips(video, audio[:1])


class TinyAV(pl.LightningDataModule):
    """The AV datamodule interface on random clips: train 4 reals + one fake per method (the
    OOD ones must be dropped), val 4 reals + 2 per ID method, test 4 ID reals, 4 new-source
    reals and 2 fakes per method."""

    modality, methods, folder = "audio_visual", METHODS, None

    def __init__(self):
        super().__init__()
        self.benchmark = SimpleNamespace(seed=0, digest=lambda: "tiny")
        ids = {"train": [-1] * 4 + list(range(7)), "val": [-1] * 4 + [0, 0, 1, 1, 2, 2, 3, 3],
               "test": [-1] * 4 + [-2] * 4 + [k for k in range(7) for _ in (0, 1)]}  # fmt: skip
        self.splits = {}
        for seed, (name, columns) in enumerate(ids.items()):
            columns = torch.tensor(columns)
            kind = torch.tensor([KINDS[c] if c >= 0 else 0 for c in columns])
            self.splits[name] = (*clips(kind, seed=seed), columns)

    def split(self, name):
        return self.splits[name]

    def loader(self, name):
        return DataLoader(TensorDataset(*self.splits[name]), batch_size=32)

    def train_dataloader(self):
        return self.loader("train")

    def val_dataloader(self):
        return self.loader("val")

    def test_dataloader(self):
        return self.loader("test")


DETECTOR_KINDS = [*AV_DETECTORS, "frame_cnn", "lfcc_gmm"]


@pytest.mark.parametrize("name", DETECTOR_KINDS)
def test_module_fits_and_tests_one_step_and_logs_every_cell(name, tmp_path):
    torch.manual_seed(0)
    module = AVDetection(
        DetectorSpec(name, dict(DETECTORS.entry(name).test_kwargs)), video_frames=2
    )
    trainer = pl.Trainer(
        max_epochs=1, limit_train_batches=1, num_sanity_val_steps=0, accelerator="cpu",
        logger=CSVLogger(tmp_path), enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path, log_every_n_steps=1,
    )  # fmt: skip
    data = TinyAV()
    trainer.fit(module, datamodule=data)
    streams = {"av_late_fusion": ("video", "audio"), "mrdf_lite": ("video", "audio"),
               "frame_cnn": ("video",), "lfcc_gmm": ("audio",)}.get(name, ())  # fmt: skip
    assert {"val/auc_id", *(f"val/auc_{s}" for s in streams)} <= set(trainer.callback_metrics)
    assert set(module.training_split()[3].tolist()) == {-1, 0, 1, 2, 3}  # no OOD fake trains
    metrics = trainer.test(module, datamodule=data, verbose=False)[0]
    row = "in_distribution"
    for prefix in ("test/", "test/novel_real/"):
        for method in METHODS:
            assert {f"{prefix}{row}/{method}/{m}" for m in ("auc", "ap", "eer", "acc")} <= set(
                metrics
            )
    assert {"test/auc_id", "test/auc_ood", "test/auc_ood_train_reals", "test/auc_drop"} <= set(
        metrics
    )
    stream_keys = {k for k in metrics if k.startswith(("test/auc_video", "test/auc_audio"))}
    assert stream_keys == {f"test/auc_{s}{ood}" for s in streams for ood in ("", "_ood")}
    cells = json.loads((tmp_path / "lightning_logs" / "version_0" / "cells-last.json").read_text())
    assert len(cells) == 2 * len(METHODS)
    assert {c["real_source"] for c in cells} == {"novel", "training_source"}
    assert cells[0]["track"] == "audio_visual" and cells[0]["detector"] == name
    assert {
        "benchmark_hash",
        "git_commit",
        "machine",
        "wall_seconds",
        "seed",
        "perturbation",
    } <= set(cells[0])
    assert not list(tmp_path.rglob("*.ckpt"))


def test_the_default_row_is_the_four_in_distribution_methods():
    assert AVDetection().train_methods == [
        "lipsync_shift", "faceswap_blend", "voice_gl", "faceswap_blend+voice_gl",
    ]  # fmt: skip


def test_module_refuses_image_detectors_and_non_av_data():
    module = AVDetection(DetectorSpec("spectrum_lr"))
    module.trainer = SimpleNamespace(datamodule=TinyAV())
    with pytest.raises(ConfigError, match="reads image data only"):
        module.setup("fit")
    module = AVDetection(DetectorSpec("sync_lite", {"dim": 8, "width": 4}))
    module.trainer = SimpleNamespace(datamodule=SimpleNamespace(modality="image"))
    with pytest.raises(ConfigError, match="audio-visual datamodule"):
        module.setup("fit")
    module.trainer = SimpleNamespace(datamodule=TinyAV())
    module.train_methods = ["wav2lip"]
    with pytest.raises(ConfigError, match=r"train_methods.*'wav2lip'"):
        module.method_indices()
