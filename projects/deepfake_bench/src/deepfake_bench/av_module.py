"""The audio-visual track (FakeAVCeleb-shaped clips, BioDeepAV-style OOD) as one LightningModule.

One detector is fitted on the real training clips vs the fakes of ``train_methods`` (the four
in-distribution methods by default; every other fake of a training batch is dropped). Any
detector that reads clips, or one of their streams, takes part: an ``audio_visual`` detector
gets (video, audio) and trains by its own ``loss``; a ``video`` detector (``frame_cnn``) gets
``video_frames`` uniformly sampled frames at its input size and the video label (kind % 2);
an ``audio`` detector the waveform and the audio label (kind // 2); both by class-balanced BCE.
Before the first step ``prepare`` gets the whole training split; an audio-visual detector's
``calibrate`` gets it again before every validation and test (late fusion's regression).

Validation: AUC of the fused score on the val reals vs the ``train_methods`` fakes,
``val/auc_id`` (the checkpoint monitor). Test: one row (``train_methods`` pooled) scored on every
method's column against the training source's reals (column −1) and, where the data has them,
against the new real source's (−2): ``test/<row>/<method>/<metric>`` and
``test/novel_real/<row>/<method>/<metric>``; ``test/auc_id`` (mean AUC of the training methods
vs the training source's reals), ``test/auc_ood`` (the other methods vs the new source's reals),
``test/auc_ood_train_reals`` (the other methods vs the training source's reals), ``test/auc_drop``
(id − ood); per-modality AUCs of the detector's video and audio scores against their own labels
(``val/auc_video``, ``test/auc_video``, ``test/auc_video_ood``, and ``..._audio``), where it has
them; the per-cell records (``cells-last.json``, ``cells-best.json``) as the image track writes.
"""

from __future__ import annotations

import time

import numpy as np
import pytorch_lightning as pl
import torch
from scipy.special import expit
from torch import Tensor

from deepfake_bench.detectors.av.base import av_labels, balanced_bce, sample_frames
from deepfake_bench.metrics import auc
from deepfake_bench.module import DetectorSpec, adam, trainable_optimizer, write_cells
from deepfake_bench.protocols import NOVEL_REAL, REAL, matrix_cells, validation_aucs
from deepfake_bench.registry import DETECTORS
from deepfake_bench.synth.av.manipulations import MANIPULATIONS
from shared.errors import ConfigError
from shared.optim import OptimizerCallable

ID_METHODS = [m.name for m in MANIPULATIONS.values() if not m.ood]  # the default row
READS_CLIPS = ("audio_visual", "video", "audio")
Split = tuple[Tensor, Tensor, Tensor, Tensor]  # video, audio, kind, column
LATE_FUSION = DetectorSpec("av_late_fusion")


class AVDetection(pl.LightningModule):
    """Args:
    detector: an audio-visual, video or audio detector by name and arguments.
    train_methods: the manipulation methods whose fakes train the detector (the row).
    optimizer: the optimiser over the detector's trainable parameters.
    threshold: the decision threshold on P(fake) for accuracy (DeepfakeBench: 0.5).
    bootstrap: stratified bootstrap resamples for the test cells' 95 % CIs (0: none).
    video_frames: frames per clip a video-only detector sees (sampled uniformly).
    """

    monitor, monitor_mode = "val/auc_id", "max"
    modality = "audio_visual"  # what predict feeds it: clips

    def __init__(
        self,
        detector: DetectorSpec = LATE_FUSION,
        train_methods: list[str] | None = None,
        optimizer: OptimizerCallable = adam,
        threshold: float = 0.5,
        bootstrap: int = 0,
        video_frames: int = 8,
    ) -> None:
        super().__init__()
        if isinstance(detector, dict):  # as a checkpoint's hyperparameters hold it
            detector = DetectorSpec(**detector)
        self.save_hyperparameters(ignore=["optimizer"])
        self.detector_name, self.detector_args = detector.name, dict(detector.args)
        self.detector = detector.build()
        self.frame_size = int(DETECTORS.entry(detector.name).metadata["input_size"])
        self.train_methods = list(train_methods or ID_METHODS)
        # a method's own name may hold "+" (faceswap_blend+voice_gl): the default row is named
        default = self.train_methods == ID_METHODS
        self.row = "in_distribution" if default else ",".join(self.train_methods)
        self.optimizer, self.threshold, self.bootstrap = optimizer, threshold, bootstrap
        self.video_frames = video_frames
        self.automatic_optimization = False
        self.augment_rng = torch.Generator().manual_seed(0)
        self._started = time.monotonic()
        self._train_split: Split | None = None
        self._outputs: list[tuple[dict[str, Tensor], Tensor, Tensor]] = []

    # ---------------------------------------------------------------- setup

    @property
    def reads(self) -> str:
        """What the detector is fed: ``audio_visual`` (both streams), ``video`` or ``audio``."""
        return self.detector.modality

    def setup(self, stage: str) -> None:
        """Audio-visual data only; detectors of clips or of one of their streams only."""
        data = self.trainer.datamodule
        if getattr(data, "modality", None) != "audio_visual":
            raise ConfigError(
                "data", type(data).__name__, "an audio-visual datamodule (modality audio_visual)"
            )
        if self.reads not in READS_CLIPS:
            self.detector.check_modality("audio_visual")

    def method_indices(self, methods: list[str] | None = None) -> list[int]:
        """``methods`` (default: the training methods) as indices into the data's methods."""
        columns = list(self.trainer.datamodule.methods)
        for name in self.train_methods:
            if name not in columns:
                raise ConfigError("model.init_args.train_methods", name, f"one of {columns}")
        return [columns.index(n) for n in (self.train_methods if methods is None else methods)]

    def training_split(self) -> Split:
        """The training split's reals and training-method fakes (read once, kept)."""
        if self._train_split is None:
            split = self.trainer.datamodule.split("train")
            keep = self.trained_on(split[3])
            self._train_split = split if keep.all() else tuple(t[keep] for t in split)
        return self._train_split

    def trained_on(self, column: Tensor) -> Tensor:
        """Which items train the detector: the training source's reals and train_methods fakes."""
        methods = torch.tensor(self.method_indices(), device=column.device)
        return (column == REAL) | torch.isin(column, methods)

    def on_fit_start(self) -> None:
        self._started = time.monotonic()
        self.augment_rng.manual_seed(int(torch.randint(2**31, (1,))))
        video, audio, kind, _ = self.training_split()
        video_label, audio_label, _ = av_labels(kind)
        if self.reads == "audio_visual":
            self.detector.prepare(video, audio, kind)
        elif self.reads == "video":
            frames = self.frames(video)
            self.detector.prepare(frames[video_label == 0], frames[video_label == 1])
        else:
            self.detector.prepare(audio[audio_label == 0], audio[audio_label == 1])

    def configure_optimizers(self):
        return trainable_optimizer(self)

    # ---------------------------------------------------------------- training

    def frames(self, video: Tensor) -> Tensor:
        """A video detector's input: ``video_frames`` frames at its input size."""
        return sample_frames(video, self.video_frames, self.frame_size)

    def training_loss(self, video: Tensor, audio: Tensor, kind: Tensor) -> Tensor:
        """The detector's own loss (audio-visual), or class-balanced BCE on its stream's label;
        augmentation runs on the CPU (JPEG), as in the image track."""
        video_label, audio_label, _ = av_labels(kind)
        if self.reads == "audio_visual":
            video, audio = self.detector.augment(video.cpu(), audio.cpu(), self.augment_rng)
            return self.detector.loss(video.to(self.device), audio.to(self.device), kind)
        if self.reads == "video":
            frames = self.detector.augment(self.frames(video.cpu()), self.augment_rng)
            return balanced_bce(self.detector(frames.to(self.device)), video_label)
        audio = self.detector.augment(audio.cpu(), self.augment_rng)
        return balanced_bce(self.detector(audio.to(self.device)), audio_label)

    def training_step(self, batch: Split, batch_idx: int) -> Tensor | None:
        video, audio, kind, column = batch
        keep = self.trained_on(column)
        if not keep.any():  # only fakes of methods this row does not train on
            return None
        loss = self.training_loss(video[keep], audio[keep], kind[keep])
        optimizer = self.optimizers()
        optimizer.zero_grad()
        if loss.requires_grad:  # not for closed-form detectors or a batch without a real clip
            self.manual_backward(loss)
        optimizer.step()
        self.log("train/loss", loss.detach(), prog_bar=True, batch_size=int(keep.sum()))
        return loss

    # ---------------------------------------------------------------- evaluation

    def head_logits(self, video: Tensor, audio: Tensor) -> dict[str, Tensor]:
        """``fused`` (every detector) plus ``video`` / ``audio`` scores where it has them."""
        if self.reads == "audio_visual":
            return self.detector.head_logits(video, audio)
        logit = self.detector(self.frames(video) if self.reads == "video" else audio)
        return {"fused": logit, self.reads: logit}

    @torch.no_grad()
    def predict_proba(self, video: Tensor, audio: Tensor) -> Tensor:
        """P(fake) of each clip (the fused score), whatever stream the detector reads."""
        return torch.sigmoid(self.head_logits(video, audio)["fused"])

    def calibrate(self) -> None:
        """Refit an audio-visual detector's closed-form parts on the training split."""
        if self.reads == "audio_visual":
            video, audio, kind, _ = self.training_split()
            self.detector.calibrate(video, audio, kind)

    def on_validation_epoch_start(self) -> None:
        if not self.trainer.sanity_checking:
            self.calibrate()

    def on_test_epoch_start(self) -> None:
        self.calibrate()

    def _score(self, batch: Split) -> None:
        video, audio, kind, column = batch
        logits = {k: v.float().cpu() for k, v in self.head_logits(video, audio).items()}
        self._outputs.append((logits, kind.cpu(), column.cpu()))

    def validation_step(self, batch: Split, batch_idx: int) -> None:
        self._score(batch)

    def test_step(self, batch: Split, batch_idx: int) -> None:
        self._score(batch)

    def _gather(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """``name -> logits``, kinds and columns of the epoch (float64 / int NumPy)."""
        logits, kinds, columns = zip(*self._outputs, strict=True)
        self._outputs = []
        heads = {k: torch.cat([x[k] for x in logits]).double().numpy() for k in logits[0]}
        return heads, torch.cat(kinds).numpy(), torch.cat(columns).numpy()

    def log_stream_aucs(self, key: str, heads: dict, kinds: np.ndarray, keep: np.ndarray) -> None:
        """``key.format(stream)``: the video and audio scores' AUCs against their own labels
        on the ``keep`` items (skipped where those hold one class of that label)."""
        video_label, audio_label, _ = av_labels(torch.from_numpy(kinds))
        for name, labels in (("video", video_label), ("audio", audio_label)):
            y = labels.numpy()[keep]
            if name in heads and 0 < y.sum() < y.size:
                self.log(key.format(name), auc(y, heads[name][keep]))

    def on_validation_epoch_end(self) -> None:
        heads, kinds, columns = self._gather()
        if self.trainer.sanity_checking:  # a few batches: not every class is in them
            return
        probs = expit(heads["fused"])
        indices = self.method_indices()
        value = validation_aucs(probs[:, None], kinds > 0, columns, [indices], [self.row])[0]
        self.log("val/auc_id", value, prog_bar=True)
        seen = (columns == REAL) | np.isin(columns, indices)
        self.log_stream_aucs("val/auc_{}", heads, kinds, seen)

    def on_test_epoch_end(self) -> None:
        heads, kinds, columns = self._gather()
        methods = list(self.trainer.datamodule.methods)
        unseen = [m for m in methods if m not in self.train_methods]
        probs = expit(heads["fused"])
        novel = bool((columns == NOVEL_REAL).any())
        cells = []
        for real in [REAL, NOVEL_REAL] if novel else [REAL]:
            found = matrix_cells(probs[:, None], kinds > 0, columns, [self.train_methods],
                                 methods, self.threshold, self.bootstrap, real=real)  # fmt: skip
            prefix = "test/novel_real/" if real == NOVEL_REAL else "test/"
            for cell in found:
                for key, value in cell.items():
                    if isinstance(value, (int, float)):
                        self.log(f"{prefix}{self.row}/{cell['test_generator']}/{key}", float(value))
            cells += [{"perturbation": "none", **cell} for cell in found]
        self.log_summaries(cells, unseen)
        seen_items = (columns == REAL) | np.isin(columns, self.method_indices())
        self.log_stream_aucs("test/auc_{}", heads, kinds, seen_items)
        if novel and unseen:
            ood_items = (columns == NOVEL_REAL) | np.isin(columns, self.method_indices(unseen))
            self.log_stream_aucs("test/auc_{}_ood", heads, kinds, ood_items)
        write_cells(self.trainer, self.detector_name, cells, self._started)

    def log_summaries(self, cells: list[dict], unseen: list[str]) -> None:
        """ID (training methods vs the training source's reals), OOD (the ``unseen`` methods vs
        the new real source, where the data has it), OOD vs the training reals, the drop."""
        by_cell = {(c["real_source"] == "novel", c["test_generator"]): c["auc"] for c in cells}

        def mean(novel: bool, names: list[str]) -> float:
            return float(np.mean([by_cell[novel, n] for n in names]))

        self.log("test/auc_id", mean(False, self.train_methods))
        if not unseen:
            return
        self.log("test/auc_ood_train_reals", mean(False, unseen))
        if (True, unseen[0]) in by_cell:
            self.log("test/auc_ood", mean(True, unseen))
            self.log("test/auc_drop", mean(False, self.train_methods) - mean(True, unseen))
