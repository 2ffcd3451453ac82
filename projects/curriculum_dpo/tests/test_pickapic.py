"""Pick-a-Pic in its Hugging Face layout: the human label picks the winner, ties are dropped and
counted, the reward orders the pairs, and misaligned scores are refused."""

from __future__ import annotations

import io

import pytest
from curriculum_dpo.pickapic import PickaPicDataModule

from shared.data.errors import DatasetFormatError


def _jpeg(value: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (value, value, value)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def pickapic(tmp_path):
    from datasets import Dataset

    rows = {
        "caption": ["a cat", "a dog", "a tie", "a fox"],
        "jpg_0": [_jpeg(200), _jpeg(20), _jpeg(90), _jpeg(60)],
        "jpg_1": [_jpeg(10), _jpeg(250), _jpeg(100), _jpeg(160)],
        "label_0": [1.0, 0.0, 0.5, 0.0],
        "label_1": [0.0, 1.0, 0.5, 1.0],
        "image_0_uid": ["a", "b", "c", "d"],
        "image_1_uid": ["e", "f", "g", "h"],
    }
    Dataset.from_dict(rows).save_to_disk(str(tmp_path / "pickapic"))
    scores = {"image_0_score": [6.0, 5.0, 5.5, 5.0], "image_1_score": [5.0, 5.5, 5.0, 5.9]}
    Dataset.from_dict(scores).save_to_disk(str(tmp_path / "scores"))
    short = {"image_0_score": [6.0], "image_1_score": [5.0]}
    Dataset.from_dict(short).save_to_disk(str(tmp_path / "short"))
    return tmp_path


def test_labels_pick_winners_and_gaps_order_the_levels(pickapic) -> None:
    data = PickaPicDataModule(
        data_dir=str(pickapic / "pickapic"),
        score_dir=str(pickapic / "scores"),
        reward="aesthetic_score",
        reward_args={"clip": "tiny"},
        num_levels=3,
    )
    data.setup("fit")
    c = data.curriculum
    assert data.tau == 0.2  # the official aesthetic threshold
    # gaps: cat 1.0, dog 0.5, fox 0.9 (the tie is dropped) → order cat, fox, dog
    assert c.prompts == ("a cat", "a fox", "a dog")
    assert c.dropped["label_outside_0_1"] == 1
    assert [len(level) for level in c.levels] == [1, 2, 3]
    winner, loser, caption = data.pairs[0]
    assert caption == "a cat" and winner.mean() > loser.mean()  # image 0 (bright) won
    winner, loser, _ = data.pairs[2]
    assert winner.mean() > loser.mean()  # the dog's image 1 (bright) won by its label


def test_scores_not_aligned_with_the_rows_are_refused(pickapic) -> None:
    data = PickaPicDataModule(
        data_dir=str(pickapic / "pickapic"), score_dir=str(pickapic / "short")
    )
    with pytest.raises(DatasetFormatError, match="over the 4 Pick-a-Pic rows"):
        data.setup("fit")
