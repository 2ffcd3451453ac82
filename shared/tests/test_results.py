"""The results schema: statistics, the paper column, Markdown, overwrite refusal, the report."""

import json

import pytest

from shared.results import (
    Measurement,
    PaperValue,
    ResultRow,
    Results,
    ResultsExistError,
    collect_report,
    load_results,
    plot_metric,
    results_dir,
    stamp,
    write_results,
)


def _results(rows):
    return Results("demo", "Demo on digits", rows, stamp("make reproduce-demo", [0, 1, 2], 12.0))


def test_measurement_uses_sample_std():
    m = Measurement.from_values([90.0, 92.0, 94.0], [0, 1, 2])
    assert m.mean == pytest.approx(92.0)
    assert m.std == pytest.approx(2.0)  # sqrt(((-2)^2 + 0 + 2^2) / (3 - 1))
    assert Measurement.from_values([5.0], [0]).std == 0.0
    with pytest.raises(ValueError, match="one value per seed"):
        Measurement.from_values([1.0, 2.0], [0])


def test_difference_only_when_the_setting_is_the_papers():
    ours = Measurement.from_values([95.0, 96.0], [0, 1])
    cited = PaperValue(95.0, "Table 2 of the paper")
    assert ResultRow(
        "CIFAR-10", "m", "acc", ours, cited, matches_paper_setting=True
    ).difference == pytest.approx(0.5)
    assert ResultRow("digits", "m", "acc", ours, cited).difference is None
    assert ResultRow("CIFAR-10", "m", "acc", ours, matches_paper_setting=True).difference is None


def test_paper_value_needs_a_source():
    with pytest.raises(ValueError, match="source"):
        PaperValue(91.0)


def test_json_round_trip_markdown_and_plot(tmp_path):
    rows = [
        ResultRow(
            "digits", "baseline", "test acc (last)", Measurement.from_values([97.0, 98.0], [0, 1])
        ),
        ResultRow(
            "digits", "method", "test acc (last)", Measurement.from_values([98.0, 98.0], [0, 1])
        ),
    ]
    results = _results(rows)
    json_path, md_path = write_results(results, tmp_path)
    data = json.loads(json_path.read_text())
    assert (
        data["rows"][0]["ours"]["values"] == [97.0, 98.0] and data["rows"][0]["difference"] is None
    )
    assert data["stamp"]["command"] == "make reproduce-demo" and data["stamp"]["seeds"] == [0, 1, 2]
    assert load_results(json_path).to_dict() == results.to_dict()
    table = md_path.read_text()
    assert "| digits | baseline | test acc (last) | 97.50 ± 0.71 | 2 | n/a |" in table
    assert plot_metric(results, "test acc (last)", tmp_path / "acc.png").stat().st_size > 0


def test_results_dir_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    monkeypatch.delenv("OVERWRITE", raising=False)
    out = results_dir("demo")
    write_results(_results([]), out)
    with pytest.raises(ResultsExistError, match="OVERWRITE=1"):
        results_dir("demo")
    assert results_dir("demo", overwrite=True) == out
    monkeypatch.setenv("OVERWRITE", "1")
    assert results_dir("demo") == out


def test_report_gathers_every_project(tmp_path):
    for project in ("a", "b"):
        (tmp_path / project).mkdir()
        results = _results([ResultRow("s", "m", "acc", Measurement.from_values([1.0], [0]))])
        results.project, results.title = project, f"Project {project}"
        write_results(results, tmp_path / project)
    text = collect_report(tmp_path).read_text()
    assert "## Project a" in text and "## Project b" in text
