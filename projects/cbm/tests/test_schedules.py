"""Curriculum schedules against the official values (spec §1.3, §1.5, acceptance check 1)."""

import math

import pytest
from cbm.callbacks import MaskingCurriculum
from cbm.schedules import (
    CYCLE_40,
    CYCLE_60,
    anti_linear,
    baseline,
    build_schedule,
    exp,
    fibonacci_cycle,
    linear,
    linear_repeat,
    log,
    static,
)

from shared.errors import ConfigError

R40 = CYCLE_40[1]
CYCLE_40_VALUES = [
    0.07,
    R40 * math.log(2) / math.log(8),
    R40 * math.log(3) / math.log(8),
    R40 * math.log(5) / math.log(8),
    R40,
]
SPEC_TABLE_40 = [0.07, 0.134536, 0.213234, 0.312382, 0.403607]  # spec §1.3, 6 decimals
SPEC_TABLE_60 = [0.10, 0.201202, 0.318898, 0.467177, 0.603607]


def test_cycle_40_is_r_max_times_log_fibonacci_over_log_8():
    # r_max/3 = r·ln2/ln8; then r·ln3/ln8, r·ln5/ln8 and r_max itself.
    r = CYCLE_40[1]
    expected = [0.07, r / 3, r * math.log(3) / math.log(8), r * math.log(5) / math.log(8), r]
    assert fibonacci_cycle(*CYCLE_40) == pytest.approx(expected, rel=1e-12)
    assert fibonacci_cycle(*CYCLE_40) == pytest.approx(SPEC_TABLE_40, abs=5e-7)
    assert fibonacci_cycle(*CYCLE_40)[3] == pytest.approx(0.31238198766112973, rel=1e-12)


def test_cycle_60_values():
    assert fibonacci_cycle(*CYCLE_60) == pytest.approx(SPEC_TABLE_60, abs=5e-7)


def test_linear_repeat_twice_for_ten_epochs():
    assert linear_repeat(0.07, 0.4036067977500615, 10) == pytest.approx(
        CYCLE_40_VALUES * 2, rel=1e-12
    )


@pytest.mark.parametrize("epochs", [1, 4, 7, 15, 16, 203])
def test_linear_repeat_uses_cycle_of_epoch_mod_5_and_has_one_ratio_per_epoch(epochs):
    ratios = linear_repeat(*CYCLE_40, epochs)
    assert len(ratios) == epochs
    assert ratios == [fibonacci_cycle(*CYCLE_40)[e % 5] for e in range(epochs)]


def test_sixteen_epochs_continue_the_cycle_so_the_last_is_the_easiest():
    assert linear_repeat(*CYCLE_40, 16)[-1] == 0.07
    assert linear_repeat(*CYCLE_40, 15)[-1] == CYCLE_40[1]


def test_linear_holds_each_value_four_epochs():
    assert linear(0.1, 0.5, 20) == pytest.approx(
        [v for v in (0.1, 0.2, 0.3, 0.4, 0.5) for _ in range(4)], rel=1e-12
    )


def test_anti_linear_is_linear_reversed():
    assert anti_linear(0.1, 0.5, 20) == linear(0.1, 0.5, 20)[::-1]


def test_log_values():
    values = [0.0, 0.21533827903669653, 0.34130309724299266, 0.43067655807339306, 0.5]
    ratios = log(0.5, 20)
    assert ratios == pytest.approx([v for v in values for _ in range(4)], rel=1e-12, abs=1e-15)
    assert ratios[4] == pytest.approx(0.21533827903669653, rel=1e-12)


def test_exp_values():
    values = [0.276610, 0.320733, 0.371894, 0.431216, 0.5]  # spec §1.5, 6 decimals
    ratios = exp(0.5, 20)
    assert ratios[0] == pytest.approx(0.27660986904043694, rel=1e-12)
    assert ratios == pytest.approx([v for v in values for _ in range(4)], abs=5e-7)
    exact = [0.5 * math.exp(0.148 * i) / math.exp(0.148 * 4) for i in range(5)]
    assert ratios == pytest.approx([v for v in exact for _ in range(4)], rel=1e-12)


def test_held_schedules_repeat_their_last_value_when_epochs_are_not_a_multiple_of_4():
    # 18 epochs: official gives linspace(0.1, 0.5, 4) held 4 epochs = 16 values; 2 more of 0.5.
    assert linear(0.1, 0.5, 18)[16:] == [0.5, 0.5]
    assert len(log(0.5, 18)) == len(exp(0.5, 18)) == len(anti_linear(0.1, 0.5, 18)) == 18
    assert anti_linear(0.1, 0.5, 18)[-1] == 0.1
    # exp divides by e^{a·(E/4 − 1)} with E/4 = 4.5, so its top value stays below r_max.
    assert exp(0.5, 18)[-1] == pytest.approx(
        0.5 * math.exp(0.148 * 3) / math.exp(0.148 * 3.5), rel=1e-12
    )


def test_static_and_baseline():
    assert static(0.4, 3) == [0.4, 0.4, 0.4]
    assert baseline(3) == [0.0, 0.0, 0.0]


def test_build_schedule_dispatch():
    assert build_schedule("static", 2, r_max=0.3) == [0.3, 0.3]
    assert build_schedule("linear_repeat", 5, *CYCLE_60) == fibonacci_cycle(*CYCLE_60)
    with pytest.raises(ConfigError, match="schedule"):
        build_schedule("cosine", 5)


@pytest.mark.parametrize(
    "call",
    [lambda: static(1.2, 3), lambda: linear(-0.1, 0.5, 8), lambda: linear_repeat(0.07, 1.5, 5)],
)
def test_ratio_outside_unit_interval_is_refused(call):
    with pytest.raises(ConfigError, match=r"a value in \[0.0, 1.0\]"):
        call()


def test_too_few_epochs_for_a_held_schedule_is_refused():
    with pytest.raises(ConfigError, match="epochs"):
        linear(0.1, 0.5, 3)
    with pytest.raises(ConfigError, match="epochs"):
        log(0.5, 7)


def test_explicit_schedule_must_have_one_ratio_per_epoch():
    curriculum = MaskingCurriculum(ratios=[0.1, 0.2, 0.3])
    assert curriculum.build(3) == [0.1, 0.2, 0.3]
    with pytest.raises(ConfigError, match=r"one ratio per epoch, i\.e\. 5"):
        curriculum.build(5)
    with pytest.raises(ConfigError, match=r"ratios\[1\]"):
        MaskingCurriculum(ratios=[0.1, 1.5])
