"""Spec §11, pair building: the hand example in score-gap mode, a multi-prompt interleaved case,
rank mode, Pick-a-Pic human labels, bad input, and property tests of the pairs and levels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from curriculum_dpo.pairs import PairCurriculum, official_tau
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.data.errors import DatasetFormatError

SCORES = [0.3, 0.9, 0.5, 0.1, 0.7]


def _pairs(curriculum: PairCurriculum, level: int | None = None) -> list[tuple[int, int]]:
    indices = range(len(curriculum)) if level is None else curriculum.admitted(level)
    return [tuple(sorted((int(curriculum.winners[i]), int(curriculum.losers[i])))) for i in indices]


def test_official_thresholds_per_reward() -> None:
    assert official_tau("aesthetic_score") == 0.2
    assert official_tau("human_score") == 0.02
    assert official_tau("llava_bertscore") == 0.02
    assert official_tau("brightness") == 0.1


def test_score_gap_hand_example() -> None:
    c = PairCurriculum.from_scores(
        ["p q"] * 5, SCORES, tau=0.1, num_levels=2, difficulty="score_gap"
    )
    assert _pairs(c) == [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 3),
        (2, 4),
        (3, 4),
    ]
    assert c.thresholds.tolist() == pytest.approx([0.8, 0.5, 0.2])
    assert _pairs(c, 0) == [(0, 1), (1, 3), (3, 4)]
    assert c.gaps[c.admitted(0)].tolist() == pytest.approx([0.6, 0.8, 0.6])
    assert len(c.admitted(1)) == 10 and len(c.admitted(2)) == 10  # then it saturates
    assert (c.winners[0], c.losers[0], c.prompts[0]) == (1, 0, "p q")
    assert c.dropped == {"under_tau": 0}


def test_interleaved_prompts_and_a_pair_under_tau() -> None:
    # rows interleave the prompts by sample index, as stage 1 writes them
    prompts = ["a", "b", "a", "b", "a", "b"]
    scores = [0.1, 0.5, 0.6, 0.55, 0.9, 0.0]
    c = PairCurriculum.from_scores(prompts, scores, tau=0.1, num_levels=2, difficulty="score_gap")
    # a: rows 0, 2, 4 → (0,2) 0.5, (0,4) 0.8, (2,4) 0.3; b: rows 1, 3, 5 → (1,3) 0.05 dropped,
    # (1,5) 0.5, (3,5) 0.55
    assert _pairs(c) == [(0, 2), (0, 4), (2, 4), (1, 5), (3, 5)]
    assert c.prompts == ("a", "a", "a", "b", "b")
    assert c.dropped == {"under_tau": 1}
    assert c.thresholds.tolist() == pytest.approx([0.8, 0.55, 0.3])
    assert _pairs(c, 0) == [(0, 4), (3, 5)]


def test_rank_mode_levels_follow_the_rank_gap() -> None:
    c = PairCurriculum.from_scores(["p"] * 5, SCORES, tau=0.1, num_levels=2)
    # ranks: row 3 → 0, row 0 → 1, row 2 → 2, row 4 → 3, row 1 → 4
    assert c.gaps.tolist() == [3, 1, 1, 2, 2, 4, 1, 2, 1, 3]
    assert _pairs(c, 0) == [(0, 1), (1, 3), (3, 4)]  # gap > 4 · (1 − 1/2) = 2
    four = PairCurriculum.from_scores(["p"] * 5, SCORES, tau=0.1, num_levels=4)
    assert [len(four.admitted(k)) for k in range(4)] == [1, 3, 6, 10]  # gap > 3, > 2, > 1, all


def test_non_cumulative_levels_hold_only_their_new_pairs() -> None:
    c = PairCurriculum.from_scores(["p"] * 5, SCORES, num_levels=4, cumulative=False)
    assert [len(level) for level in c.levels] == [1, 2, 3, 4]
    assert sorted(np.concatenate(c.levels).tolist()) == list(range(10))


def test_pickapic_human_labels_pick_the_winner_and_ties_are_dropped() -> None:
    c = PairCurriculum.from_human_labels(
        ["x", "y", "z", "w", "v"],
        labels_0=[1, 0, 0.5, 1, 0],
        labels_1=[0, 1, 0.5, 0, 1],
        scores_0=[0.2, 0.9, 0.5, 0.30, 0.05],
        scores_1=[0.8, 0.3, 0.1, 0.25, 0.9],
        tau=0.1,
        num_levels=2,
    )
    # row 0 (gap 0.6, image 0 wins by label though its score is lower), row 1 (0.6, image 1);
    # row 2 is a tie, row 3 under τ, row 4 scores ≤ 0.1
    assert c.winners.tolist() == [0, 3] and c.losers.tolist() == [1, 2]
    assert c.prompts == ("x", "y")
    assert [len(level) for level in c.levels] == [1, 2]
    assert c.dropped == {"label_outside_0_1": 1, "under_tau_or_low_score": 2, "over_max_pairs": 0}


def test_pickapic_keeps_the_largest_gaps_first() -> None:
    gaps = [0.2, 0.5, 0.3, 0.5]
    c = PairCurriculum.from_human_labels(
        list("abcd"),
        [1] * 4,
        [0] * 4,
        [0.2 + g for g in gaps],
        [0.2] * 4,
        num_levels=2,
        max_pairs=3,
    )
    assert c.prompts == ("b", "d", "c") and c.dropped["over_max_pairs"] == 1
    assert [len(level) for level in c.levels] == [1, 3]


@pytest.mark.parametrize(
    ("prompts", "scores", "match"),
    [
        (["p", "p", "q", "q"], [0.1, 0.5, 0.3, 0.3], "'q' with 2 image"),
        (["p", "p", "q"], [0.1, 0.5, 0.3], "'q' with 1 image"),
        (["p", "p"], [0.1], "1 scores for 2 images"),
        (["p", "p", "p"], [0.1, math.nan, 0.5], "nan at row 1"),
        (["p", "p"], [0.1, 0.15], "no pair with a score gap above"),
    ],
)
def test_bad_scores_are_refused_naming_the_problem(prompts, scores, match) -> None:
    with pytest.raises(DatasetFormatError, match=match):
        PairCurriculum.from_scores(prompts, scores, tau=0.1, source="scores/aesthetic_score")


def test_pickapic_nan_and_misaligned_columns_are_refused() -> None:
    with pytest.raises(DatasetFormatError, match="image_1_score nan at row 0"):
        PairCurriculum.from_human_labels(["a"], [1], [0], [0.5], [math.nan])
    with pytest.raises(DatasetFormatError, match="lengths 2, 2, 2, 1, 2"):
        PairCurriculum.from_human_labels(["a", "b"], [1, 0], [0, 1], [0.5], [0.2, 0.3])


prompt_sets = st.lists(
    st.lists(st.integers(0, 20), min_size=2, max_size=7).filter(lambda s: len(set(s)) > 1),
    min_size=1,
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(groups=prompt_sets, levels=st.integers(1, 6), mode=st.sampled_from(["rank", "score_gap"]))
def test_pair_and_level_invariants(groups, levels, mode) -> None:
    prompts, scores = [], []
    for k in range(max(map(len, groups))):  # interleaved by sample index
        for p, group in enumerate(groups):
            if k < len(group):
                prompts.append(f"prompt {p}")
                scores.append(group[k] / 10)
    tau = 0.05
    c = PairCurriculum.from_scores(prompts, scores, tau=tau, num_levels=levels, difficulty=mode)
    s = np.asarray(scores)
    assert (s[c.winners] > s[c.losers]).all()
    assert (s[c.winners] - s[c.losers] > tau).all()
    assert all(
        prompts[w] == prompts[lo] == p
        for w, lo, p in zip(c.winners, c.losers, c.prompts, strict=True)
    )
    assert c.num_levels == levels
    for k in range(1, levels):
        assert set(c.admitted(k - 1)) <= set(c.admitted(k))
    assert c.admitted(levels - 1).tolist() == list(range(len(c)))
    if levels == 1:
        assert len(c.admitted(0)) == len(c)
    if mode == "rank":  # with B ≥ n − 1, level 0 holds only each prompt's maximal rank gaps
        wide = PairCurriculum.from_scores(prompts, scores, tau=tau, num_levels=7)
        sizes = {p: prompts.count(p) for p in set(prompts)}
        for i in wide.admitted(0):
            assert wide.gaps[i] == sizes[wide.prompts[i]] - 1
