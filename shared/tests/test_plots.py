"""Results figures: every seed drawn, the spread labelled, the axis inside the metric's range."""

import pytest

from shared.machine import describe_machine
from shared.plots import draw_metric, plot_metric, pyplot, value_axis
from shared.results import Measurement, ResultRow, Results, Stamp


def test_value_axis_leaves_room_but_never_leaves_the_range():
    assert value_axis([98.0, 99.5], (0.0, 100.0)) == pytest.approx((97.0, 100.0))  # room 1.0
    assert value_axis([0.2, 0.4], (0.0, 1.0)) == pytest.approx((0.16, 0.44))  # room 0.2 * 0.2
    assert value_axis([0.0, 0.0], (0.0, 1.0)) == pytest.approx((0.0, 0.01))


def _results():
    rows = [
        ResultRow("s1", "a", "acc", Measurement.from_values([99.0, 99.7, 100.0], [0, 1, 2])),
        ResultRow("s1", "b", "acc", Measurement.from_values([97.0, 98.0, 98.5], [0, 1, 2])),
        ResultRow("s2", "a", "acc", Measurement.from_values([90.0, 91.0, 92.0], [0, 1, 2])),
        ResultRow("s1", "a", "other", Measurement.from_values([1.0], [0])),
    ]
    stamp = Stamp("c", False, "cmd", [0, 1, 2], "d", describe_machine(), 1.0)
    return Results("demo", "Demo", rows, stamp)


def test_every_seed_is_a_dot_and_the_axis_stops_at_100(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    draw_metric(ax, _results(), "acc", (0.0, 100.0))
    from matplotlib.collections import PathCollection

    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    dots = [point for collection in scatters for point in collection.get_offsets()]
    assert sorted(y for _, y in dots) == sorted(
        [99.0, 99.7, 100.0, 97.0, 98.0, 98.5, 90.0, 91.0, 92.0]
    )
    low, high = ax.get_ylim()
    assert high == 100.0 and low == pytest.approx(90.0 - 2.0)  # room: 0.2 * the 10-point span
    assert "mean ± 1 s.d." in ax.get_title() and "n = 3" in ax.get_title()
    assert {t.get_text() for t in ax.texts} == {"s1", "s2"}  # the settings label their groups
    plt.close(fig)
    assert plot_metric(_results(), "other", tmp_path / "o.png").stat().st_size > 0
    with pytest.raises(ValueError, match="no rows"):
        plot_metric(_results(), "missing", tmp_path / "m.png")
