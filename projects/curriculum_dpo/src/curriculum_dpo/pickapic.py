"""Pick-a-Pic v1 (``yuvalkirstain/pickapic_v1``) as a pair curriculum with its human labels: a
local copy of a split (a ``save_to_disk`` folder, or ``parquet`` files, with ``caption``,
``jpg_0``, ``jpg_1`` as JPEG bytes, ``label_0``, ``label_1``) and its scores (a ``save_to_disk``
dataset with ``image_0_score`` and ``image_1_score``, row-aligned). The label picks the winner;
the reward only orders the pairs (:meth:`PairCurriculum.from_human_labels`). As the official
training transform, images are resized (bilinear, shorter side) and centre-cropped to the
resolution, without flips; the official validation prompts are the test split's captions."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from curriculum_dpo.data import PreferenceDataModule
from curriculum_dpo.pairs import PairCurriculum
from curriculum_dpo.stage1 import LAYOUT, images_tensor
from shared.data.errors import DatasetFormatError, require_dir
from shared.errors import ConfigError

COLUMNS = ("caption", "jpg_0", "jpg_1", "label_0", "label_1")
SCORE_COLUMNS = ("image_0_score", "image_1_score")
SOURCE = "the Hugging Face dataset yuvalkirstain/pickapic_v1 (`save_to_disk` or its parquet files)"


def load_pickapic(folder: Path):
    """A Pick-a-Pic split from a ``save_to_disk`` folder or a folder of parquet files."""
    from datasets import load_dataset, load_from_disk

    folder = require_dir(folder, "Pick-a-Pic", LAYOUT + " or *.parquet files", SOURCE)
    if (folder / "state.json").is_file():
        dataset = load_from_disk(str(folder))
    else:
        files = sorted(str(p) for p in folder.rglob("*.parquet"))
        if not files:
            raise DatasetFormatError(folder, "no state.json and no parquet file", LAYOUT)
        dataset = load_dataset("parquet", data_files=files, split="train")
    missing = [c for c in COLUMNS if c not in dataset.column_names]
    if missing:
        raise DatasetFormatError(folder, f"no column {missing}", f"the columns {list(COLUMNS)}")
    return dataset


def resize_and_crop(image, resolution: int):
    """``Resize(resolution)`` (bilinear, the shorter side) then ``CenterCrop(resolution)``."""
    from PIL import Image

    scale = resolution / min(image.size)
    width, height = (max(resolution, round(side * scale)) for side in image.size)
    image = image.convert("RGB").resize((width, height), Image.BILINEAR)
    left, top = (width - resolution) // 2, (height - resolution) // 2
    return image.crop((left, top, left + resolution, top + resolution))


class PickaPicPairs(Dataset):
    """Pair i → (winner, loser, caption); virtual rows 2r and 2r + 1 are row r's two images,
    resized and centre-cropped to ``resolution`` (``None``: the stored size)."""

    def __init__(self, rows, curriculum: PairCurriculum, resolution: int | None = None) -> None:
        self.rows, self.curriculum, self.resolution = rows, curriculum, resolution

    def __len__(self) -> int:
        return len(self.curriculum)

    def _image(self, virtual: int):
        from PIL import Image

        row = self.rows[virtual // 2]
        image = Image.open(io.BytesIO(row[f"jpg_{virtual % 2}"]))
        return image if self.resolution is None else resize_and_crop(image, self.resolution)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        pair = [int(self.curriculum.winners[i]), int(self.curriculum.losers[i])]
        pixels = images_tensor([self._image(v) for v in pair])
        return pixels[0], pixels[1], self.curriculum.prompts[i]


class PickaPicDataModule(PreferenceDataModule):
    """Pick-a-Pic pairs in the official ``PickaPic`` order: ``data_dir`` the split,
    ``score_dir`` its reward scores; ``num_levels`` groups (the official ``no_chunks``, 6);
    ``max_pairs`` the kept pairs (150,000).

    Args:
        max_pairs: the largest-gap pairs kept (official 150,000).
        resolution: training images resized and centre-cropped to this size (official: the
            model's resolution, 512 for SD); ``None`` keeps the stored size.
        test_dir: a local copy of the test split; its distinct captions, in order, become the
            test prompts (the official validation prompts); ``None`` keeps ``prompts``.
        **kwargs: :class:`PreferenceDataModule`'s arguments (``data_dir`` and ``score_dir``
            required).
    """

    def __init__(
        self,
        max_pairs: int = 150_000,
        resolution: int | None = None,
        test_dir: str | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("num_levels", 6)
        super().__init__(**kwargs)
        if resolution is not None and resolution < 1:
            raise ConfigError("data.resolution", resolution, "a positive image size or null")
        self.max_pairs, self.resolution, self.test_dir = max_pairs, resolution, test_dir

    def prepare_data(self) -> None:
        pass

    def setup(self, stage: str) -> None:
        if self.curriculum is not None:
            return
        if not self.hparams.data_dir or not self.hparams.score_dir:
            raise DatasetFormatError(
                "data.data_dir", "no Pick-a-Pic or score folder", "both data_dir and score_dir"
            )
        rows = load_pickapic(Path(self.hparams.data_dir))
        scores = _load_pair_scores(Path(self.hparams.score_dir), len(rows))
        self.curriculum = PairCurriculum.from_human_labels(
            rows["caption"],
            rows["label_0"],
            rows["label_1"],
            scores[:, 0],
            scores[:, 1],
            tau=self.tau,
            num_levels=self.hparams.num_levels,
            max_pairs=self.max_pairs,
            source=str(self.hparams.data_dir),
        )
        self.pairs = PickaPicPairs(rows, self.curriculum, self.resolution)
        if self.test_dir:
            captions = load_pickapic(Path(self.test_dir))["caption"]
            self.prompts = list(dict.fromkeys(" ".join(c.split("_")) for c in captions))
        self.generator = torch.Generator().manual_seed(self.hparams.seed)


def _load_pair_scores(folder: Path, rows: int) -> np.ndarray:
    from datasets import load_from_disk

    dataset = load_from_disk(str(require_dir(folder, "Pick-a-Pic scores", LAYOUT, "scoring")))
    missing = [c for c in SCORE_COLUMNS if c not in dataset.column_names]
    if missing or len(dataset) != rows:
        raise DatasetFormatError(
            folder,
            f"columns {dataset.column_names} over {len(dataset)} rows",
            f"{list(SCORE_COLUMNS)} over the {rows} Pick-a-Pic rows",
        )
    return np.stack([np.asarray(dataset[c], dtype=np.float64) for c in SCORE_COLUMNS], axis=1)
