"""Real benchmarks (Avenue, ShanghaiTech, Ped2, UBnormal) in the official aed-mae layout.

Prepare a dataset with ``python -m shared.vad.convert extract-frames`` and ``convert-labels``
(and the augmented twins ``frames_abnormal`` / ``masks_abnormal`` for the synthetic anomalies,
and ``compute-gradients`` for the motion gradients ``gradients2``);
frames are read lazily and resized to the model input with bilinear ``cv2.resize``.
"""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from torch.utils.data import DataLoader

from fast_vad_mae.data import ClipDataset, LazyFrames, VideoFrames
from shared.data.errors import DatasetFormatError
from shared.data.loader import Loader
from shared.errors import ConfigError, check_range
from shared.paths import data_root as default_data_root
from shared.vad.datasets import VideoRecord, load_aedmae

DATASETS = ("avenue", "shanghaitech", "ped2", "ubnormal")


def _video(record: VideoRecord, size: tuple[int, int], train: bool, twins: bool) -> VideoFrames:
    """A video read lazily at ``size``; a training video with its stored gradients (when the
    dataset has them) and, with ``twins``, its augmented twin and masks."""
    video = VideoFrames(record.name, LazyFrames(record.frame_paths, size), record.labels)
    if train and "gradients2" in record.extras:
        video.gradients = LazyFrames(record.extras["gradients2"], size)
    if twins:
        missing = [k for k in ("frames_abnormal", "masks_abnormal") if k not in record.extras]
        if missing:
            folder = record.frame_paths[0].parent.parent.parent
            raise DatasetFormatError(
                folder / missing[0] / record.name,
                "no such folder",
                "the augmented twin of every training video (or paste_probability: 0)",
            )
        video.augmented = LazyFrames(record.extras["frames_abnormal"], size)
        video.augmented_masks = LazyFrames(record.extras["masks_abnormal"], size, grayscale=True)
    return video


def _check_gradients_complete(split_root: Path, records: list[VideoRecord]) -> None:
    """``gradients2`` is used for every training video or for none: a folder that covers only
    some videos (an interrupted ``compute-gradients``) would mix two gradient sources."""
    without = [r.name for r in records if "gradients2" not in r.extras]
    if without and len(without) < len(records):
        raise DatasetFormatError(
            split_root / "gradients2" / without[0],
            "no such folder, while other videos have one",
            "gradients for every video (rerun `python -m shared.vad.convert compute-gradients`)"
            " or no gradients2 folder",
        )


class AedMaeDataModule(pl.LightningDataModule):
    """``<data_root>/{train,test}/frames/<video>/<k>.<ext>`` plus ``<gt_root>/<video>.txt`` labels.

    Training motion gradients are read from ``train/gradients2`` when it exists (the official
    loader's input, computed at full resolution), otherwise computed from the resized frames;
    test samples carry none (scoring does not use them).
    ``data_root`` defaults to ``$DATA_ROOT/<dataset>`` and ``gt_root`` to ``<data_root>/gt``.
    ``max_videos``/``max_frames`` shrink the data for tests. There is no validation split in the
    official protocol: validation runs on the first training video (reconstruction loss only).
    """

    def __init__(
        self,
        dataset: str = "avenue",
        data_root: str | None = None,
        gt_root: str | None = None,
        img_size: tuple[int, int] = (320, 640),
        paste_probability: float = 0.25,
        frame_stride: int = 3,
        max_videos: int | None = None,
        loader: Loader = Loader(batch_size=100, num_workers=4, persistent_workers=False),
    ) -> None:
        super().__init__()
        if dataset not in DATASETS:
            raise ConfigError("data.dataset", dataset, f"one of {DATASETS}")
        check_range("data.paste_probability", paste_probability, 0.0, 1.0)
        self.root = Path(data_root) if data_root else default_data_root() / dataset
        self.gt_root = Path(gt_root) if gt_root else self.root / "gt"
        self.size, self.loader = tuple(img_size), loader
        self.paste_probability, self.frame_stride, self.max_videos = (
            paste_probability,
            frame_stride,
            max_videos,
        )
        self.splits: dict[str, list[VideoFrames]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        twins = self.paste_probability > 0
        train = load_aedmae(self.root, "train")[: self.max_videos]
        test = load_aedmae(self.root, "test", self.gt_root)[: self.max_videos]
        _check_gradients_complete(self.root / "train", train)
        self.splits = {
            "train": [_video(r, self.size, True, twins) for r in train],
            "test": [_video(r, self.size, False, False) for r in test],
        }

    @property
    def test_videos(self) -> list[VideoFrames]:
        self.setup()
        return self.splits["test"]

    def _loader(
        self, videos: list[VideoFrames], shuffle: bool, paste: float = 0.0, gradients: bool = True
    ) -> DataLoader:
        dataset = ClipDataset(videos, self.frame_stride, paste, gradients=gradients)
        return self.loader.dataloader(dataset, train=shuffle, shuffle=shuffle)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.splits["train"], True, self.paste_probability)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.splits["train"][:1], False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.splits["test"], False, gradients=False)
