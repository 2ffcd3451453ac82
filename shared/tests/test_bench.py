"""A/B timing arithmetic on a fake clock (no real timing is asserted anywhere in tests)."""

import itertools

import pytest

from shared import bench
from shared.bench import BenchRecord, compare, format_table, throughput


class FakeClock:
    """perf_counter that advances by the cost of whichever function just ran."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_compare_interleaves_and_reports_median_ratio(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", clock)
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
    assert (record.value, record.low, record.high, record.passed) == (3.0, 2.0, 4.0, False)


def test_compare_times_number_calls_per_round_and_reports_the_time_per_call(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", clock)
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


def test_throughput_median_min_max(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", clock)
    costs = iter([0.5, 1.0, 2.0])

    def fn():
        clock.now += next(costs, 0.0)

    assert throughput(fn, items=4, warmup=0, repeats=3) == (4.0, 2.0, 8.0)


def test_record_pass_direction_and_table():
    fast = BenchRecord("p", "speed", 6.0, "x", 5.0, 7.0, target=5.0, higher_is_better=True)
    slow = BenchRecord("p", "cost", 1.1, "x", 1.0, 1.2, target=1.02)
    assert fast.passed is True and slow.passed is False
    table = format_table([fast, slow])
    assert "| p | speed | 6.000 x | 5.000-7.000 | >= 5 | yes |" in table
    assert "| p | cost | 1.100 x | 1.000-1.200 | <= 1.02 | NO |" in table
    assert "Machine:" in table
