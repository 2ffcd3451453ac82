"""Pick-a-Pic in its Hugging Face layout: the human label picks the winner, ties are dropped and
counted, the reward orders the pairs, and misaligned scores are refused."""

from __future__ import annotations

import numpy as np
import pytest
from curriculum_dpo.pickapic import PickaPicDataModule, resize_and_crop
from curriculum_dpo.testing import jpeg_bytes

from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError


@pytest.fixture
def pickapic(tmp_path):
    from datasets import Dataset

    rows = {
        "caption": ["a cat", "a dog", "a tie", "a fox"],
        "jpg_0": [jpeg_bytes(200), jpeg_bytes(20), jpeg_bytes(90), jpeg_bytes(60)],
        "jpg_1": [jpeg_bytes(10), jpeg_bytes(250), jpeg_bytes(100), jpeg_bytes(160)],
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


def test_resize_and_crop_keeps_the_centre_of_the_shorter_side() -> None:
    from PIL import Image

    image = Image.new("RGB", (12, 6), (0, 0, 0))
    image.paste((255, 255, 255), (3, 0, 9, 6))  # a white middle half
    out = resize_and_crop(image, 4)  # 12 x 6 -> 8 x 4, then the middle 4 x 4 (columns 2-5)
    assert out.size == (4, 4)
    assert np.asarray(out).min() > 200  # only the white centre is left


def test_the_official_transform_and_test_prompts(pickapic, tmp_path) -> None:
    from datasets import Dataset

    captions = {"caption": ["a_red car", "a red car", "a cat"], "jpg_0": [jpeg_bytes(1, (6, 9))] * 3,
                "jpg_1": [jpeg_bytes(2, (6, 9))] * 3, "label_0": [1.0] * 3, "label_1": [0.0] * 3}  # fmt: skip
    Dataset.from_dict(captions).save_to_disk(str(tmp_path / "test_split"))
    data = PickaPicDataModule(data_dir=str(pickapic / "pickapic"), score_dir=str(pickapic / "scores"),
                              resolution=4, test_dir=str(tmp_path / "test_split"))  # fmt: skip
    data.setup("fit")
    assert data.pairs[0][0].shape == (3, 4, 4)  # 8 x 8 JPEGs resized to 4 x 4
    assert data.prompts == ["a red car", "a cat"]  # distinct captions, `_` read as a space
    assert [p for p, _ in data.eval_items()][:2] == ["a red car", "a cat"]
    with pytest.raises(ConfigError, match=r"data\.resolution"):
        PickaPicDataModule(resolution=0)
