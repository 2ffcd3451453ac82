"""A/B timing arithmetic on a fake clock (no real timing is asserted anywhere in tests), the
bootstrap interval of a median and the target verdicts, against values worked out by hand."""

import itertools
import json

import pytest
import torch

from shared import bench
from shared.bench import (
    BenchRecord,
    Comparison,
    Target,
    Throughput,
    bootstrap_interval,
    compare,
    format_table,
    measure,
    percentile,
    run_all,
    throughput,
)


class FakeClock:
    """perf_counter that advances by the cost of whichever function just ran."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", fake)
    return fake


def test_compare_interleaves_and_reports_median_ratio(clock):
    costs_b = itertools.cycle([2.0, 3.0, 4.0])
    order = []

    def fn_a():
        order.append("a")
        clock.now += 1.0

    def fn_b():
        order.append("b")
        clock.now += next(costs_b)

    result = compare(fn_a, fn_b, items=10, warmup=0, repeats=3)
    assert order == ["a", "b", "b", "a", "a", "b"]  # alternating who goes first
    assert result.ratios == [2.0, 3.0, 4.0] and result.median == 3.0
    assert result.a_items_per_s == 10.0 and result.b_items_per_s == pytest.approx(10 / 3)
    record = result.record("demo", "step", target=1.05)
    # Three rounds: a resample's median is its smallest value with probability 7/27 > 2.5 %,
    # so the interval runs from the smallest to the largest ratio, all of it above 1.05.
    assert (record.value, record.low, record.high) == (3.0, 2.0, 4.0)
    assert record.interval == (2.0, 4.0) and record.verdict == "missed"
    assert record.samples == [2.0, 3.0, 4.0] and record.rates == {
        "A": 10.0,
        "B": pytest.approx(10 / 3),
    }


def test_compare_times_number_calls_per_round_and_reports_the_time_per_call(clock):
    calls = {"a": 0, "b": 0}

    def fn_a():
        calls["a"] += 1
        clock.now += 1.0

    def fn_b():
        calls["b"] += 1
        clock.now += 1.5 if calls["b"] % 2 else 2.5  # 2.0 per call on average over a pair

    result = compare(fn_a, fn_b, items=4, warmup=0, repeats=3, number=2)
    assert calls == {"a": 6, "b": 6}
    assert result.ratios == [2.0, 2.0, 2.0]
    assert result.a_items_per_s == 4.0 and result.b_items_per_s == 2.0


def test_throughput_median_min_max(clock):
    costs = iter([0.5, 1.0, 2.0])

    def fn():
        clock.now += next(costs, 0.0)

    assert throughput(fn, items=4, warmup=0, repeats=3) == (4.0, 2.0, 8.0)


def test_percentile_interpolates_between_order_statistics():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0.0) == 1.0 and percentile(values, 1.0) == 4.0
    assert percentile(values, 0.25) == pytest.approx(1.75)  # position 0.75 between 1 and 2
    assert percentile(values, 0.5) == pytest.approx(2.5)
    assert percentile([7.0], 0.3) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_bootstrap_interval_of_five_rounds_is_their_min_max():
    # The median of 5 draws is the smallest value when >= 3 of them are: with p = 1/5,
    # 10 p^3 q^2 + 5 p^4 q + p^5 = 0.05792 > 2.5 %, so both ends are order statistics 1 and 5.
    assert bootstrap_interval([1.04, 0.98, 1.07, 1.01, 1.03]) == (0.98, 1.07)


def test_bootstrap_interval_of_seven_rounds_drops_the_extremes():
    # Median of 7 draws = smallest value with probability sum_{j>=4} C(7,j) (1/7)^j (6/7)^(7-j)
    # = 0.0102 < 2.5 %; <= second smallest with probability 0.1083 > 2.5 % (same at the top).
    assert bootstrap_interval([5.0, 1.0, 7.0, 3.0, 2.0, 6.0, 4.0]) == (2.0, 6.0)


def test_bootstrap_interval_is_seeded_and_degenerates_on_equal_rounds():
    rounds = [1.0 + 0.01 * ((7 * i) % 13) for i in range(61)]
    first = bootstrap_interval(rounds)
    assert bootstrap_interval(rounds) == first  # same rounds, same interval
    low, high = first
    assert min(rounds) < low <= sorted(rounds)[30] <= high < max(rounds)
    assert bootstrap_interval([1.5] * 9) == (1.5, 1.5)
    assert bootstrap_interval([2.0]) == (2.0, 2.0)
    with pytest.raises(ValueError):
        bootstrap_interval([])


FIVE = [1.00, 1.01, 1.02, 1.03, 1.04]  # 95 % interval (1.00, 1.04), median 1.02


@pytest.mark.parametrize(
    ("target", "verdict"),
    [
        (Target.at_most(1.045), "met"),  # the whole interval is below
        (Target.at_most(1.04), "met"),  # the bound itself counts as within
        (Target.at_most(1.035), "unresolved"),  # the median is within, the interval is not
        (Target.at_most(1.02), "unresolved"),  # a median exactly on the bound
        (Target.at_most(0.995), "missed"),  # the whole interval is above
        (Target.at_least(0.995), "met"),
        (Target.at_least(1.02), "unresolved"),
        (Target.at_least(1.045), "missed"),
    ],
)
def test_verdict_reads_the_whole_interval(target, verdict):
    record = BenchRecord.from_samples("p", "cost", FIVE, "x", target)
    assert record.value == 1.02 and record.interval == (1.0, 1.04)
    assert record.verdict == verdict
    assert target.verdict(1.0, 1.04) == verdict


def test_a_bare_number_target_is_an_upper_bound_and_no_target_has_no_verdict():
    record = BenchRecord.from_samples("p", "cost", FIVE, "x", 1.05)
    assert record.target_spec == Target.at_most(1.05) and record.verdict == "met"
    assert BenchRecord.from_samples("p", "cost", FIVE, "x").verdict is None
    # A record built without its rounds has no interval: its target cannot be met or missed.
    assert BenchRecord("p", "old", 1.0, "x", 0.9, 1.1, target=1.05).verdict == "unresolved"


def test_equal_speed_carries_its_tolerance():
    target = Target.equal_speed(0.05)
    assert (target.bound, target.higher_is_better) == (1.05, False)
    assert target.label == "<= 1.05 (equal speed, 5 % tolerance)"
    assert Target.at_least(5.0).label == ">= 5"
    with pytest.raises(ValueError):
        Target.equal_speed(0.0)


def test_record_dict_is_json_with_interval_target_and_verdict():
    target = Target.equal_speed(0.05)
    record = BenchRecord.from_samples("p", "ab", FIVE, "x", target, "detail", {"A": 2.0}, 5)
    data = json.loads(json.dumps(record.to_dict()))
    assert data["interval"] == [1.0, 1.04] and data["samples"] == FIVE
    assert data["verdict"] == "met" and data["target"] == 1.05
    assert data["target_label"] == "<= 1.05 (equal speed, 5 % tolerance)"
    assert data["rates"] == {"A": 2.0} and data["number"] == 5
    assert {"threads", "load_avg_1m", "cpu", "torch"} <= set(data["machine"])


def test_a_comparison_is_built_when_it_runs_and_recorded_with_its_declaration(clock):
    built, modes = [], []

    def pair():
        built.append(True)

        def fn_a():
            modes.append(torch.is_inference_mode_enabled())
            clock.now += 1.0

        def fn_b():
            clock.now += 1.25

        return fn_a, fn_b

    declared = Comparison(
        "b over a",
        pair,
        items=8,
        rounds=5,
        number=2,
        warmup=1,
        target=Target.at_most(1.3),
        detail=lambda: f"built {len(built)} time(s)",
        labels=("plain", "ours"),
        inference=True,
    )
    assert built == []  # declaring builds nothing
    record = measure(declared, "demo")
    assert built == [True] and len(modes) == 1 + 5 * 2 and all(modes)
    assert record.samples == [1.25] * 5 and record.interval == (1.25, 1.25)
    assert record.verdict == "met" and record.number == 2
    assert record.rates == {"plain": 8.0, "ours": 6.4}
    assert record.detail == "built 1 time(s); 5 interleaved rounds of 2 calls per side"


def test_a_throughput_records_each_repeat_with_its_interval(clock):
    costs = iter([0.5, 1.0, 2.0, 1.0, 4.0])

    def work():
        def fn():
            clock.now += next(costs, 1.0)

        return fn

    declared = Throughput("rate", work, items=4, repeats=5, warmup=0, unit="frames/s")
    record = measure(declared, "demo")
    assert record.samples == [8.0, 4.0, 2.0, 4.0, 1.0] and record.unit == "frames/s"
    assert (record.value, record.low, record.high, record.interval) == (4.0, 1.0, 8.0, (1.0, 8.0))
    assert record.verdict is None and record.higher_is_better is False
    assert record.detail == "5 timed calls of 4 after 0 warm-up"


def test_run_all_logs_one_line_per_record_and_the_table_shows_verdicts(clock):
    def pair():
        def fn_a():
            clock.now += 1.0

        def fn_b():
            clock.now += 2.0

        return fn_a, fn_b

    lines = []
    fast = Comparison("speed", pair, 1, rounds=3, warmup=0, target=Target.at_least(1.5))
    slow = Comparison("cost", pair, 1, rounds=3, warmup=0, target=Target.at_most(1.02))
    records = run_all("p", [fast, slow], log=lines.append)
    assert [r.verdict for r in records] == ["met", "missed"]
    assert (
        lines[0].startswith("  p: speed: 2.000 x, 95 % interval 2.000-2.000") and "met" in lines[0]
    )
    table = format_table(records)
    assert "| p | speed | 2.000 x | 2.000-2.000 | 2.000-2.000 | >= 1.5 | met |" in table
    assert "| p | cost | 2.000 x | 2.000-2.000 | 2.000-2.000 | <= 1.02 | missed |" in table
    assert "| A 1.0 items/s, B 0.5 items/s; 3 interleaved rounds of 1 call per side |" in table
    assert "Machine:" in table
