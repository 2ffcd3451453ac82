"""The DataModule: DiffusionDB (or the official CSV layout, or the rendered set) -> batches of
``(image in [0, 1], target embedding [384], multi-hot label [K], index)``.

Set-up reads the samples, splits them, builds the vocabulary from the training prompts, and
loads or computes the MiniLM targets (cached one ``.npy`` per image). Images are resized on the
shorter side and centre-cropped to a square (the official ``Resize`` without a crop gives
non-square tensors for non-square images). With ``curriculum`` set, each training epoch draws
from the easy-first prefix of its stage (see :mod:`prompt_inversion.curriculum`).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision import transforms as T

from prompt_inversion.curriculum import (
    START_STAGE,
    WEIGHTS,
    difficulty_scores,
    easy_first,
    stage_sizes,
)
from prompt_inversion.diffusiondb import Sample, read_diffusiondb, read_image, read_official_csv
from prompt_inversion.render import RenderSettings, write_rendered_diffusiondb
from prompt_inversion.splits import grouped_split, official_validation_split
from prompt_inversion.target import MISSING_PROMPT, cached_embeddings
from prompt_inversion.vocab import Vocabulary, build_vocabulary, nltk_tagger
from shared.data.errors import DatasetFormatError
from shared.data.loader import Loader
from shared.errors import ConfigError
from shared.paths import data_root, runs_root

Layout = Literal["diffusiondb", "official_csv"]
SplitMode = Literal["grouped", "official"]


def square_transform(size: int) -> T.Compose:
    """Shorter side to ``size``, centre crop ``size x size``, to a ``[0, 1]`` tensor."""
    return T.Compose([T.Resize(size, antialias=True), T.CenterCrop(size), T.ToTensor()])


class PromptImages(Dataset):
    """``(image, target, label, index)`` of the samples; ``preload`` decodes every image once."""

    def __init__(
        self,
        samples: list[Sample],
        targets: np.ndarray,
        labels: np.ndarray,
        size: int,
        preload: bool = False,
    ) -> None:
        self.samples, self.size = samples, size
        self.targets, self.labels = torch.from_numpy(targets), torch.from_numpy(labels)
        self.transform = square_transform(size)
        self._zips: dict[Path, zipfile.ZipFile] = {}
        self.images = torch.stack([self.load(i) for i in range(len(samples))]) if preload else None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_zips": {}}  # open archives do not cross process boundaries

    def load(self, index: int) -> torch.Tensor:
        return self.transform(read_image(self.samples[index], self._zips))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        image = self.images[index] if self.images is not None else self.load(index)
        return image, self.targets[index], self.labels[index], index


@dataclass(frozen=True)
class Curriculum:
    """Easy-first training on growing prefixes, from a run without curriculum.

    Args:
        history: the ``cosine_history.npz`` that :class:`prompt_inversion.callbacks.CosineHistory`
            wrote in that run's folder (same data, same split); a relative path is read from
            ``<runs root>/prompt_inversion/`` (e.g. ``vit_vanilla/version_0/cosine_history.npz``);
            ``{seed}`` in it stands for this run's seed (Lightning's ``PL_GLOBAL_SEED``), so that
            seeded runs read the history of the run of the same seed.
        model: whose official weights and first stage to use (``vit``, ``swin``, ``clip``,
            ``unet``) unless ``weights`` / ``start_stage`` are given.
        weights: one weight per recorded epoch, later epochs weighing more.
        start_stage: the first stage (prefix ``N // start_stage``).
    """

    history: str
    model: str = "vit"
    weights: tuple[float, ...] | None = None
    start_stage: int | None = None

    def resolved(self) -> tuple[tuple[float, ...], int]:
        if self.model not in WEIGHTS:
            raise ConfigError(
                "data.init_args.curriculum.model", self.model, f"one of {sorted(WEIGHTS)}"
            )
        return tuple(self.weights or WEIGHTS[self.model]), self.start_stage or START_STAGE[
            self.model
        ]


class DiffusionDBDataModule(pl.LightningDataModule):
    """Image–prompt pairs in DiffusionDB's format (or the official CSV layout).

    Args:
        root: the dataset folder (default ``<data_root>/diffusiondb``, or for a rendered set
            ``<data_root>/prompt_inversion/<settings>``).
        layout: ``diffusiondb`` (metadata.parquet + part zips/folders) or ``official_csv``.
        render: write the procedurally rendered set into ``root`` first (if not there yet).
        image_size: the square side the images are resized and centre-cropped to.
        vocab_size: K, the vocabulary size (official: 1000); the model's class count.
        split: ``grouped`` (every copy of a prompt on one side, ``fractions`` train/val/test) or
            ``official`` (test = ``test_parts``; validation = 10 % of the rest, random_state 42).
        fractions: train/validation/test shares for ``grouped``.
        split_seed: the seed of the grouped split.
        test_parts: DiffusionDB part ids held out as the test set (``official`` split).
        official_naming: embedding files named ``<stem>npy.npy`` (the official layout's).
        embeddings_dir: where the embeddings are cached (default ``<root>/sentence_embeddings``).
        missing_prompt: ``nan`` embeds a missing or blank prompt as the string "nan" (the
            official rule); ``error`` refuses it, naming the image.
        tagger: ``auto`` (NLTK's tagger if installed with its data, else no POS filter),
            ``nltk`` (required) or ``none``.
        case_sensitive_labels: label matching without lower-casing (official).
        preload: decode every image at set-up (small sets).
        curriculum: the easy-first schedule (needs ``trainer.reload_dataloaders_every_n_epochs: 1``).
        loader: batch size and workers.
    """

    def __init__(
        self,
        root: str | None = None,
        layout: Layout = "diffusiondb",
        render: RenderSettings | None = None,
        image_size: int = 224,
        vocab_size: int = 1000,
        split: SplitMode = "grouped",
        fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        split_seed: int = 0,
        test_parts: tuple[int, ...] = (),
        official_naming: bool = False,
        embeddings_dir: str | None = None,
        missing_prompt: Literal["nan", "error"] = "nan",
        tagger: Literal["auto", "nltk", "none"] = "auto",
        case_sensitive_labels: bool = True,
        preload: bool = False,
        curriculum: Curriculum | None = None,
        loader: Loader = Loader(batch_size=64),
    ) -> None:
        super().__init__()
        if render is not None and layout != "diffusiondb":
            raise ConfigError("data.init_args.layout", layout, "diffusiondb with render")
        if split == "official" and not test_parts:
            raise ConfigError(
                "data.init_args.test_parts", list(test_parts), "the held-out part ids"
            )
        self.render, self.layout, self.image_size = render, layout, image_size
        self.num_classes = vocab_size
        self.split, self.fractions, self.split_seed = split, tuple(fractions), split_seed
        self.test_parts = tuple(test_parts)
        self.official_naming, self.embeddings_dir = official_naming, embeddings_dir
        self.missing_prompt, self.tagger = missing_prompt, tagger
        self.case_sensitive_labels, self.preload = case_sensitive_labels, preload
        self.curriculum, self.loader = curriculum, loader
        default = data_root() / (
            "prompt_inversion/" + render.folder_name if render else "diffusiondb"
        )
        self.root = Path(root).expanduser() if root else default
        self.datasets: dict[str, PromptImages] = {}
        self.vocabulary: Vocabulary | None = None
        self.order: np.ndarray | None = None

    # ---------------------------------------------------------------- reading

    def prepare_data(self) -> None:
        if self.render is not None and not (self.root / "metadata.parquet").is_file():
            write_rendered_diffusiondb(self.root, self.render)

    def read_samples(self) -> list[Sample]:
        samples = (
            read_diffusiondb(self.root)
            if self.layout == "diffusiondb"
            else read_official_csv(self.root)
        )
        missing = [s for s in samples if s.prompt is None]
        if missing and self.missing_prompt == "error":
            first = missing[0]
            where = f"{first.path}:{first.member}" if first.member else first.path
            raise DatasetFormatError(
                where,
                f"no prompt ({len(missing)} image(s) without one)",
                "a non-empty prompt (or `data.init_args.missing_prompt: nan`, the official rule)",
            )
        return samples

    def split_indices(self, samples: list[Sample]) -> dict[str, np.ndarray]:
        if self.split == "grouped":
            parts = grouped_split([s.prompt for s in samples], self.fractions, self.split_seed)
            return dict(zip(("train", "val", "test"), parts, strict=True))
        part_of = np.asarray([_part_id(s) for s in samples])
        test = np.flatnonzero(np.isin(part_of, self.test_parts))
        rest = np.flatnonzero(~np.isin(part_of, self.test_parts))
        if len(test) == 0 or len(rest) == 0:
            raise ConfigError(
                "data.init_args.test_parts",
                list(self.test_parts),
                "parts present on disk, not all of them",
            )
        train, val = official_validation_split(len(rest))
        return {"train": rest[np.sort(train)], "val": rest[np.sort(val)], "test": test}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        self.check_trainer()
        samples = self.read_samples()
        indices = self.split_indices(samples)
        prompts = [s.prompt if s.prompt is not None else MISSING_PROMPT for s in samples]
        tagger = None if self.tagger == "none" else nltk_tagger()
        if self.tagger == "nltk" and tagger is None:
            raise ConfigError(
                "data.init_args.tagger", "nltk", "an installed NLTK with its tagger data"
            )
        self.vocabulary = build_vocabulary(
            [prompts[i] for i in indices["train"]], self.num_classes, tagger=tagger,
            lowercase=not self.case_sensitive_labels,
        )  # fmt: skip
        folder = (
            Path(self.embeddings_dir) if self.embeddings_dir else self.root / "sentence_embeddings"
        )
        targets = cached_embeddings(
            [s.stem for s in samples], prompts, folder, self.official_naming
        )
        labels = np.stack([self.vocabulary.multi_hot(p) for p in prompts])
        for name, idx in indices.items():
            subset = [samples[i] for i in idx]
            self.datasets[name] = PromptImages(
                subset, targets[idx], labels[idx], self.image_size, self.preload
            )
        if self.curriculum is not None:
            self.order = self.curriculum_order()

    def check_trainer(self) -> None:
        trainer = getattr(self, "trainer", None)
        if (
            self.curriculum is not None
            and trainer is not None
            and trainer.reload_dataloaders_every_n_epochs != 1
        ):
            raise ConfigError(
                "trainer.reload_dataloaders_every_n_epochs",
                trainer.reload_dataloaders_every_n_epochs,
                "1 with a curriculum (each epoch draws from its stage's prefix)",
            )

    # ---------------------------------------------------------------- curriculum

    def curriculum_order(self) -> np.ndarray:
        """Training indices easy first, from the recorded history of the same training set."""
        path = Path(self.history_path()).expanduser()
        if not path.is_absolute():
            path = runs_root() / "prompt_inversion" / path
        if not path.is_file():
            raise ConfigError(
                "data.init_args.curriculum.history", str(path), "an existing cosine_history.npz"
            )
        record = np.load(path)
        stems = [s.stem for s in self.datasets["train"].samples]
        if list(record["stems"]) != stems:
            raise DatasetFormatError(
                path,
                "a history of another training set",
                f"the {len(stems)} training images of {self.root}",
            )
        weights, _ = self.curriculum.resolved()
        if record["cosines"].shape[1] != len(weights):
            raise ConfigError(
                "data.init_args.curriculum.weights",
                list(weights),
                f"{record['cosines'].shape[1]} weights, one per epoch recorded in {path.name}",
            )
        return easy_first(difficulty_scores(record["cosines"], weights))

    def history_path(self) -> str:
        """The history file named by the config, ``{seed}`` replaced by the run's seed."""
        text = self.curriculum.history
        if "{seed}" not in text:
            return text
        if (seed := os.environ.get("PL_GLOBAL_SEED")) is None:
            raise ConfigError(
                "data.init_args.curriculum.history",
                text,
                "a path without {seed}, or a run seeded through `seed_everything`",
            )
        return text.replace("{seed}", seed)

    def train_size(self, epoch: int) -> int:
        count = len(self.datasets["train"])
        if self.curriculum is None:
            return count
        _, start = self.curriculum.resolved()
        return stage_sizes(count, start, epoch + 1)[epoch]

    def planned_steps(self, epochs: int) -> int:
        """Optimiser steps of an ``epochs``-epoch run (the curriculum's stages are shorter)."""
        batch, drop = self.loader.batch_size, self.loader.drop_last
        sizes = [self.train_size(epoch) for epoch in range(epochs)]
        return sum(size // batch if drop else -(-size // batch) for size in sizes)

    # ---------------------------------------------------------------- loaders

    @property
    def train_mean_target(self) -> torch.Tensor:
        return self.datasets["train"].targets.mean(0)

    def prompt_index(self, limit: int) -> tuple[list[str], torch.Tensor]:
        """Up to ``limit`` distinct training prompts (first occurrence order) and their float16
        embeddings, for nearest-prompt look-ups."""
        train = self.datasets["train"]
        first: dict[str, int] = {}
        for i, sample in enumerate(train.samples):
            if sample.prompt is not None and len(first) < limit:
                first.setdefault(sample.prompt, i)
        return list(first), train.targets[list(first.values())].half()

    def train_dataloader(self) -> DataLoader:
        train = self.datasets["train"]
        if self.curriculum is not None:
            epoch = self.trainer.current_epoch if getattr(self, "trainer", None) else 0
            train = Subset(train, self.order[: self.train_size(epoch)].tolist())
        return self.loader.dataloader(train, train=True, shuffle=True)

    def history_dataloader(self) -> DataLoader:
        """The whole training set in order, for recording cosine histories."""
        return self.loader.dataloader(self.datasets["train"])

    def val_dataloader(self) -> DataLoader:
        return self.loader.dataloader(self.datasets["val"])

    def test_dataloader(self) -> DataLoader:
        return self.loader.dataloader(self.datasets["test"])


def _part_id(sample: Sample) -> int:
    for part in (sample.path, *sample.path.parents):
        if part.name.startswith("part-"):
            return int(part.name.removeprefix("part-").removesuffix(".zip"))
    return -1
