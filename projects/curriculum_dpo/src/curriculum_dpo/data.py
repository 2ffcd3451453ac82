"""Stage 1 and the pair curriculum as a LightningDataModule.

``prepare_data`` builds stage 1 when no folder is given: the base model samples ``per_prompt``
images of every prompt (cached under ``data_root()/curriculum_dpo/stage1/<settings hash>``),
the reward scores them, and both go to disk in the official format. ``setup`` reads them back
into a :class:`~curriculum_dpo.pairs.PairCurriculum`. Training batches are (winner, loser,
prompt) triples of the pairs admitted at the current level; the sampler draws a fresh
permutation whenever the level changes (the official loader keeps its old permutation).
Testing yields (prompt, seed) items: the module samples fresh images and scores them. The level
is moved by :class:`~curriculum_dpo.callbacks.CurriculumSchedule`; without it training stays on
level 0 (``num_levels=1`` is plain DPO on every pair).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from curriculum_dpo.pairs import PairCurriculum, official_tau
from curriculum_dpo.prompts import resolve_prompts
from curriculum_dpo.rewards import REWARDS
from curriculum_dpo.stage1 import (
    generate,
    images_tensor,
    load_images,
    load_scores,
    save_images,
    save_scores,
    score_images,
)
from shared.errors import ConfigError
from shared.paths import data_root


class PairDataset(Dataset):
    """Pair ``i`` of the curriculum → (winner image, loser image, prompt), images in [0, 1];
    ``_`` in stored prompts reads as a space, as the official dataset does."""

    def __init__(self, images, curriculum: PairCurriculum) -> None:
        self.images, self.curriculum = images, curriculum

    def __len__(self) -> int:
        return len(self.curriculum)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        rows = self.images[[int(self.curriculum.winners[i]), int(self.curriculum.losers[i])]]
        pixels = images_tensor(rows["image"])
        return pixels[0], pixels[1], " ".join(self.curriculum.prompts[i].split("_"))


class LevelBatchSampler(Sampler[list[int]]):
    """Batches of the pairs admitted at ``data.level``. An epoch is as long as the admitted set
    at its start; when the level changes inside it, the rest of the epoch draws from a fresh
    permutation of the new set."""

    def __init__(self, data: PreferenceDataModule, generator: torch.Generator) -> None:
        self.data, self.generator = data, generator

    def __len__(self) -> int:
        return math.ceil(len(self.data.admitted) / self.data.batch_size)

    def _permutation(self) -> tuple[int, np.ndarray]:
        admitted = self.data.admitted
        order = torch.randperm(len(admitted), generator=self.generator).numpy()
        return self.data.level, admitted[order]

    def __iter__(self) -> Iterator[list[int]]:
        size = self.data.batch_size
        level, order = self._permutation()
        position = 0
        for _ in range(len(self)):
            if self.data.level != level or position >= len(order):
                level, order = self._permutation()
                position = 0
            yield order[position : position + size].tolist()
            position += size


def _collate(items: list[tuple[torch.Tensor, torch.Tensor, str]]):
    winners, losers, prompts = zip(*items, strict=True)
    return torch.stack(winners), torch.stack(losers), list(prompts)


class PreferenceDataModule(pl.LightningDataModule):
    """Stage-1 samples of a base model, scored, as a pair curriculum.

    Args:
        base: the stage-1 generator (``toy``, ``toy-smoke``, or a Stable Diffusion hub id or
            folder); it should be the model the module fine-tunes.
        data_dir: an existing stage-1 image dataset (``save_to_disk`` folder); ``None``
            generates one into the cache.
        score_dir: its aligned ``score`` dataset (``None``: scored here with ``reward`` and
            written beside the images, in ``scores/<reward>``).
        prompts: the prompts stage 1 samples and the test prompts, or a named set
            (``colours``, ``animals``: 45, ``animal_activities``: 135).
        per_prompt: images per prompt (the official train subset: 500).
        sampler: how stage 1 samples: ``ddim`` (guided DDIM, Stable Diffusion) or ``lcm`` (LCM
            multistep sampling, for a consistency model); ``None``: as the fine-tuned module
            evaluates (``lcm`` for Consistency-DPO), ``ddim`` without one. A value that
            contradicts the module is a config error (stage 1 is what the model samples).
        sampling_steps: sampler steps of stage 1 (official SD: 30 DDIM, LCM: 8).
        guidance: the guidance scale of stage 1 (the pipelines' defaults: SD 7.5, LCM 8.5).
        sample_batch_size: prompts per sampling batch.
        reward: a registered reward (``brightness``, ``colour_alignment``, ``aesthetic_score``).
        reward_args: its arguments.
        tau: the pair keep-threshold (``None``: the official value for ``reward``).
        difficulty: ``rank`` (the paper) or ``score_gap`` (the official code).
        num_levels: curriculum levels B (1 = plain DPO on every pair).
        cumulative: each level adds to the previous ones (official).
        batch_size: pairs per step (official 8).
        eval_per_prompt: fresh test images per prompt (official 10).
        seed: stage-1 sampling seed (the evaluation uses ``seed + 1``).
    """

    def __init__(
        self,
        base: str = "toy",
        data_dir: str | None = None,
        score_dir: str | None = None,
        prompts: str | list[str] = "colours",
        per_prompt: int = 16,
        sampler: Literal["ddim", "lcm"] | None = None,
        sampling_steps: int = 10,
        guidance: float = 7.5,
        sample_batch_size: int = 50,
        reward: str = "brightness",
        reward_args: dict[str, Any] | None = None,
        tau: float | None = None,
        difficulty: Literal["rank", "score_gap"] = "rank",
        num_levels: int = 3,
        cumulative: bool = True,
        batch_size: int = 8,
        eval_per_prompt: int = 4,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.reward_name = reward
        self.reward = REWARDS.build(reward, **(reward_args or {}))
        self.tau = official_tau(reward) if tau is None else tau
        self.prompts = resolve_prompts(prompts)
        self.batch_size = batch_size
        self.level = 0
        self.curriculum: PairCurriculum | None = None

    # ------------------------------------------------------------ stage 1

    @property
    def sampler(self) -> str:
        """The stage-1 sampler: ``data.sampler``, else the attached module's, else ``ddim``."""
        module = self.trainer.lightning_module if self.trainer is not None else None
        wanted, chosen = getattr(module, "sampler", None), self.hparams.sampler
        if chosen is not None and wanted is not None and chosen != wanted:
            raise ConfigError(
                "data.init_args.sampler",
                chosen,
                f"{wanted!r} (or null), the sampler of model.init_args.objective "
                f"{module.hparams.objective!r}",
                "Stage 1 must be sampled as the fine-tuned model samples.",
            )
        return chosen or wanted or "ddim"

    def _stage1_key(self) -> str:
        keys = ("base", "per_prompt", "sampling_steps", "guidance", "seed")
        settings = {**{k: self.hparams[k] for k in keys}, "prompts": self.prompts}
        if self.sampler != "ddim":  # DDIM stage 1 keeps the folders it had before LCM sampling
            settings["sampler"] = self.sampler
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    @property
    def image_dir(self) -> Path:
        if self.hparams.data_dir:
            return Path(self.hparams.data_dir)
        return data_root() / "curriculum_dpo" / "stage1" / self._stage1_key() / "images"

    @property
    def score_dir(self) -> Path:
        if self.hparams.score_dir:
            return Path(self.hparams.score_dir)
        return self.image_dir.parent / "scores" / self.reward_name

    def prepare_data(self) -> None:
        if not self.hparams.data_dir and not (self.image_dir / "state.json").is_file():
            self._generate()
        if not self.hparams.score_dir and not (self.score_dir / "state.json").is_file():
            scores = score_images(self.reward, self.image_dir)
            partial = self.score_dir.with_suffix(".partial")
            save_scores(partial, scores)
            shutil.rmtree(self.score_dir, ignore_errors=True)
            partial.rename(self.score_dir)

    def _generate(self) -> None:
        from curriculum_dpo.bases import freeze, load_base, sample_images

        sampler = self.sampler
        gpu = torch.cuda.is_available()  # the official stage 1 (SD and LCM): fp16 on a GPU
        dtype = torch.float16 if gpu else None
        parts = freeze(load_base(self.hparams.base, field="data.base", dtype=dtype))
        if gpu:
            for module in (parts.text_encoder, parts.vae, parts.unet):
                if module is not None:
                    module.to("cuda")
        generator = torch.Generator().manual_seed(self.hparams.seed)

        def sample(prompts: list[str]) -> torch.Tensor:
            images = sample_images(
                parts,
                parts.unet,
                prompts,
                steps=self.hparams.sampling_steps,
                guidance=self.hparams.guidance,
                generator=generator,
                sampler=sampler,
            )
            return images.float().cpu()

        images, rows = generate(
            sample, self.prompts, self.hparams.per_prompt, self.hparams.sample_batch_size
        )
        partial = self.image_dir.with_suffix(".partial")
        save_images(partial, images, rows)
        shutil.rmtree(self.image_dir, ignore_errors=True)
        partial.rename(self.image_dir)

    # ------------------------------------------------------------ pairs

    def setup(self, stage: str) -> None:
        if self.curriculum is not None:
            return
        self.images = load_images(self.image_dir)
        scores = load_scores(self.score_dir, len(self.images))
        self.curriculum = PairCurriculum.from_scores(
            self.images["prompt"],
            scores,
            tau=self.tau,
            num_levels=self.hparams.num_levels,
            difficulty=self.hparams.difficulty,
            cumulative=self.hparams.cumulative,
            source=str(self.score_dir),
        )
        self.pairs = PairDataset(self.images, self.curriculum)
        self.generator = torch.Generator().manual_seed(self.hparams.seed)

    @property
    def admitted(self) -> np.ndarray:
        return self.curriculum.admitted(self.level)

    def set_level(self, level: int) -> None:
        self.level = min(max(level, 0), self.curriculum.num_levels - 1)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(
            self.pairs,
            batch_sampler=LevelBatchSampler(self, self.generator),
            collate_fn=_collate,
        )

    def eval_items(self) -> list[tuple[str, int]]:
        """(prompt, seed) of every evaluation sample: ``eval_per_prompt`` rounds over the
        prompts, each round's batch seeded apart from stage 1's."""
        rounds = range(self.hparams.eval_per_prompt)
        return [
            (p, self.hparams.seed + 1 + 1000 * k + i)
            for k in rounds
            for i, p in enumerate(self.prompts)
        ]

    def test_dataloader(self) -> DataLoader:
        size = min(len(self.prompts), 50)
        return DataLoader(self.eval_items(), batch_size=size, collate_fn=list)
