"""Pure schedule functions: paper closed form (check 5), official update points, timm cosine."""

from __future__ import annotations

import itertools
import math

import pytest
from lerac.schedules import cbs_sigma, official_update, paper_lr, timm_cosine, update_points

from shared.errors import ConfigError


def test_paper_closed_form_values():
    got = [paper_lr(1e-3, 0.1, t, 5) for t in range(6)]
    expected = [1e-3, 2.5118864e-3, 6.3095734e-3, 1.5848932e-2, 3.9810717e-2, 0.1]
    assert got == pytest.approx(expected, rel=1e-6)
    assert [paper_lr(1e-6, 0.1, t, 5) for t in range(6)] == pytest.approx(
        [1e-6 * 10**t for t in range(6)], rel=1e-9
    )
    assert paper_lr(1e-3, 0.1, 5, 5) == 0.1
    assert paper_lr(1e-3, 0.1, 17, 5) == 0.1


@pytest.mark.parametrize("c", [2.0, 10.0, math.e])
def test_paper_closed_form_does_not_depend_on_the_base(c):
    for start in (1e-3, 1e-6, 3e-4):
        for t in range(6):
            literal = start * c ** ((t / 5) * math.log(0.1 / start, c))
            assert paper_lr(start, 0.1, t, 5) == pytest.approx(literal, rel=1e-12)


def test_paper_closed_form_is_monotone_and_keeps_depth_order():
    starts = [0.1, 1e-2, 1e-3, 1e-4, 1e-5]
    previous = [0.0] * len(starts)
    for t in range(0, 41):
        now = [paper_lr(s, 0.1, t, 37) for s in starts]
        assert all(b <= a for a, b in itertools.pairwise(now))
        assert all(n >= p for n, p in zip(now, previous, strict=True))
        assert max(now) <= 0.1 * (1 + 1e-9)
        previous = now


def test_k_zero_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"LeRaC.k"):
        paper_lr(1e-3, 0.1, 0, 0)


def test_update_points_match_the_official_loop():
    assert update_points(8, 4) == {2, 4, 6}
    assert update_points(782, 2) == {391}
    assert update_points(782, 1) == frozenset()
    assert update_points(2, 4) == {0, 1}  # 2//4 = 0 never fires; 2//2 = 3*2//4 = 1 counts once
    with pytest.raises(ConfigError, match=r"update_per_epoch"):
        update_points(8, 3)


def test_official_update_caps_at_stop_lr():
    assert official_update(1e-2, 10, 0.11) == pytest.approx(0.1, rel=1e-12)
    assert official_update(0.1, 10, 0.11) == 0.1
    assert official_update(5e-4, 10, 5e-3) == 5e-4  # pretrained CvT: 5e-4 * 10 == 5e-3 exactly
    assert official_update(2e-4, 10, 0.0021) == pytest.approx(2e-3, rel=1e-12)


def test_timm_cosine_hand_values():
    assert timm_cosine(2e-3, 0, 200, 5e-5) == 2e-3
    assert timm_cosine(2e-3, 100, 200, 5e-5) == pytest.approx(5e-5 + 0.5 * 1.95e-3, rel=1e-12)
    assert timm_cosine(2e-3, 200, 200, 5e-5) == 5e-5
    assert timm_cosine(2e-3, 250, 200, 5e-5) == 5e-5


def test_cbs_sigma_decays_every_five_epochs():
    assert [cbs_sigma(e, 1.0, 0.9, 5) for e in (0, 4, 5, 9, 10, 14, 15)] == pytest.approx(
        [1.0, 1.0, 0.9, 0.9, 0.81, 0.81, 0.729], rel=1e-12
    )
