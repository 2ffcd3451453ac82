"""Splits: every copy of a prompt on one side; the official validation split."""

import numpy as np
from prompt_inversion.splits import grouped_split, official_validation_split
from sklearn.model_selection import train_test_split


def test_duplicates_stay_on_one_side_and_shares_hold():
    prompts = [f"p{i % 50}" for i in range(200)] + [None] * 4  # 4 copies of each prompt
    parts = grouped_split(prompts, (0.8, 0.1, 0.1), seed=3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(204))
    sides = [{prompts[i] for i in part} for part in parts]
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    assert [len(p) for p in parts] == [164, 20, 20]


def test_the_grouped_split_is_reproducible_and_order_free():
    prompts = [f"p{i % 30}" for i in range(90)]
    first = grouped_split(prompts, (0.6, 0.2, 0.2), seed=1)
    again = grouped_split(prompts, (0.6, 0.2, 0.2), seed=1)
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    reversed_prompts = prompts[::-1]
    flipped = grouped_split(reversed_prompts, (0.6, 0.2, 0.2), seed=1)
    assert {prompts[i] for i in first[2]} == {reversed_prompts[i] for i in flipped[2]}
    assert grouped_split(prompts, (0.6, 0.2, 0.2), seed=2)[2].tolist() != first[2].tolist()


def test_the_official_validation_split_is_sklearns_with_seed_42():
    train, val = official_validation_split(50)
    expected_train, expected_val = train_test_split(np.arange(50), test_size=0.1, random_state=42)
    assert train.tolist() == expected_train.tolist() and val.tolist() == expected_val.tolist()
    assert len(val) == 5
