"""The results schema: statistics, the paper column, Markdown, the report and its staleness."""

import json
import subprocess

import pytest

from shared.machine import describe_machine
from shared.paths import repo_root
from shared.provenance import head_commit
from shared.results import (
    Cell,
    CellView,
    Measurement,
    PaperValue,
    ResultRow,
    Results,
    Stamp,
    collect_report,
    load_results,
    staleness,
    write_results,
)


def _stamp(commits=None):
    commits = commits or [head_commit()]
    return Stamp(
        commits[-1], False, "make reproduce-demo", [0, 1, 2], "2026-12-01T00:00:00+00:00",
        describe_machine(), 12.0, run_commits=commits,
    )  # fmt: skip


def _results(rows, commits=None):
    return Results("demo", "Demo on digits", rows, _stamp(commits))


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


def test_json_round_trip_and_markdown(tmp_path):
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
    assert f"commit `{head_commit()[:10]}`" in table


def test_a_stamp_lists_every_commit_its_runs_came_from():
    table = _results([], commits=["a" * 40, "b" * 40]).to_markdown()
    assert f"commits `{'a' * 10}`, `{'b' * 10}`" in table
    legacy = {**_results([]).to_dict()["stamp"]}
    del legacy["run_commits"]  # results written before run_commits existed still load
    assert Stamp(**legacy).commits == [legacy["git_commit"]]


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_results_are_stale_once_a_later_commit_changes_the_projects_code(tmp_path, monkeypatch):
    for folder in ("projects/demo/src", "projects/other/src", "shared/src/shared"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.uv.workspace]\n")
    (tmp_path / "projects/demo/src/a.py").write_text("from shared import c\n")
    (tmp_path / "shared/src/shared/__init__.py").write_text("")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    monkeypatch.setenv("REPO_ROOT", str(tmp_path))
    repo_root.cache_clear()
    try:
        made = head_commit()
        assert staleness(_results([], [made])) is None
        (tmp_path / "projects/other/src/b.py").write_text("y = 2\n")  # another project: not stale
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "two")
        assert staleness(_results([], [made])) is None
        (tmp_path / "shared/src/shared/unused.py").write_text("w = 4\n")  # a module demo lacks
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "new")
        assert staleness(_results([], [made])) is None
        (tmp_path / "shared/src/shared/c.py").write_text("z = 3\n")  # one demo imports
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "three")
        reason = staleness(_results([], [made]))
        assert reason.startswith("1 later commit(s)") and head_commit()[:7] in reason
        assert "not in this repository's history" in staleness(_results([], ["0" * 40]))
    finally:
        monkeypatch.delenv("REPO_ROOT")
        repo_root.cache_clear()


def test_report_gathers_every_project(tmp_path):
    for project in ("a", "b"):
        (tmp_path / project).mkdir()
        results = _results([ResultRow("s", "m", "acc", Measurement.from_values([1.0], [0]))])
        results.project, results.title = project, f"Project {project}"
        write_results(results, tmp_path / project)
    text = collect_report(tmp_path).read_text()
    assert "## Project a" in text and "## Project b" in text and "Stale" not in text


def _cell(seed, row, column, auc, perturbation="none"):
    coords = {"row": row, "column": column, "perturbation": perturbation}
    return Cell(coords, seed, {"auc": auc}, {"auc": [auc - 0.1, auc]}, {"arm": "m"})


CELLS = [
    _cell(0, "a", "x", 0.9),
    _cell(1, "a", "x", 0.7),
    _cell(0, "a", "y", 0.5),
    _cell(0, "b", "y", 0.6),
    _cell(0, "b", "x", 0.1, perturbation="jpeg50"),
]


def test_a_cell_view_is_a_matrix_of_seed_means():
    view = CellView("AUC (%)", "row", "column", "auc", (("perturbation", "none"),), scale=100)
    table = view.to_markdown(CELLS)
    # (a, x): seeds 90 and 70 -> mean 80, sample std sqrt(2 * 10^2 / 1) = 14.14; the jpeg50
    # cell of (b, x) is filtered out, so that entry is empty
    assert "| row \\ column | x | y |" in table
    assert "| a | 80.00 ± 14.14 | 50.00 |" in table
    assert "| b |  | 60.00 |" in table
    with pytest.raises(ValueError, match=r"'AUC blur'.*no cell matches"):
        CellView("AUC blur", "row", "column", "auc", (("perturbation", "blur1"),)).matrix(CELLS)


def test_cells_go_to_their_own_file_and_come_back(tmp_path):
    view = CellView("AUC", "row", "column", "auc", (("perturbation", "none"),))
    results = _results([])
    results.cells, results.views = list(CELLS), [view]
    written = write_results(results, tmp_path)
    assert [p.name for p in written] == ["results.json", "results.md", "cells.json"]
    assert "cells" not in json.loads((tmp_path / "results.json").read_text())
    lines = (tmp_path / "cells.json").read_text().splitlines()
    assert len(lines) == 2 + len(CELLS)  # one cell per line between the brackets
    loaded = load_results(tmp_path / "results.json")
    assert loaded.cells == CELLS and loaded.views == [view]
    assert "Per-cell records: 5 cells" in loaded.to_markdown()
    assert "| a | 0.80 ± 0.14 | 0.50 |" in collect_report(tmp_path).read_text()
    results.cells, results.views = [], []
    write_results(results, tmp_path)  # a sweep without cells leaves no stale cells.json
    assert not (tmp_path / "cells.json").exists()
