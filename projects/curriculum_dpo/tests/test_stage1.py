"""Stage 1 in the official on-disk format: the interleaved row order, save_to_disk folders with
the official features, an aligned score dataset read back by the pair builder, and the refusals
of misaligned or non-finite scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from curriculum_dpo.data import PreferenceDataModule
from curriculum_dpo.pairs import PairCurriculum
from curriculum_dpo.rewards import RewardError
from curriculum_dpo.stage1 import generate, load_images, save_images, save_scores, score_images

from shared.data.errors import DatasetFormatError, DatasetNotFoundError

PROMPTS = ["red", "blue", "green"]


def _flat(prompts: list[str]) -> torch.Tensor:
    """Images whose red channel is the brightness of the call order (so rows can be traced)."""
    _flat.calls = getattr(_flat, "calls", 0) + 1
    images = torch.zeros(len(prompts), 3, 4, 4)
    images[:, 0] = torch.linspace(0.1, 0.9, len(prompts))[:, None, None] * (_flat.calls % 2 + 1) / 2
    return images


def test_rows_interleave_prompts_by_sample_index() -> None:
    images, rows = generate(_flat, PROMPTS, per_prompt=2, batch_size=2)
    assert rows == ["red", "blue", "green", "red", "blue", "green"]
    assert images.shape == (6, 3, 4, 4)


@pytest.fixture
def stage1(tmp_path):
    """Four red images of brightness 0.1, 0.5, 0.3, 0.9 (interleaved with blue ones)."""
    prompts = ["red", "blue"] * 4
    levels = [0.1, 0.2, 0.5, 0.6, 0.3, 0.4, 0.9, 0.0]
    images = torch.zeros(8, 3, 4, 4)
    for i, (p, v) in enumerate(zip(prompts, levels, strict=True)):
        images[i, 0 if p == "red" else 2] = v
    save_images(tmp_path / "images", images, prompts)
    return tmp_path, prompts, levels


def test_official_features_and_a_score_round_trip(stage1) -> None:
    root, prompts, levels = stage1
    dataset = load_images(root / "images")
    assert {k: type(v).__name__ for k, v in dataset.features.items()} == {
        "image": "Image",
        "prompt": "Value",
    }
    assert (root / "images" / "state.json").is_file() and (
        root / "images" / "dataset_info.json"
    ).is_file()
    from curriculum_dpo.rewards import REWARDS

    scores = score_images(REWARDS.build("brightness"), root / "images")
    assert scores == pytest.approx(levels, abs=1 / 255)  # stored as uint8
    save_scores(root / "scores", scores)
    data = PreferenceDataModule(
        data_dir=str(root / "images"), score_dir=str(root / "scores"), tau=0.05, num_levels=2
    )
    data.setup("fit")
    expected = PairCurriculum.from_scores(prompts, scores, tau=0.05, num_levels=2)
    assert data.curriculum.winners.tolist() == expected.winners.tolist()
    winner, loser, prompt = data.pairs[0]
    assert winner.shape == (3, 4, 4) and prompt in ("red", "blue")
    assert winner.max() > loser.max()
    assert len(data.train_dataloader()) == len(expected.admitted(0)) // 8 + 1


def test_misaligned_scores_and_missing_folders_are_refused(stage1) -> None:
    root, _, _ = stage1
    save_scores(root / "short", [0.1, 0.2, 0.3])
    data = PreferenceDataModule(data_dir=str(root / "images"), score_dir=str(root / "short"))
    with pytest.raises(DatasetFormatError, match="3 scores for 8 images"):
        data.setup("fit")
    data = PreferenceDataModule(data_dir=str(root / "nowhere"), score_dir=str(root / "short"))
    with pytest.raises(DatasetNotFoundError, match="stage-1 images"):
        data.setup("fit")


def test_a_nan_reward_stops_the_scoring(stage1) -> None:
    root, _, _ = stage1

    class HalfBroken(torch.nn.Module):
        def forward(self, images, prompts):
            return torch.where(torch.arange(len(images)) == 3, np.nan, 0.5)

    with pytest.raises(RewardError, match="for image 3"):
        score_images(HalfBroken(), root / "images")
