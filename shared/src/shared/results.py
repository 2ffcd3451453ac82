"""One results schema for every project: JSON and a Markdown table beside the paper.

:mod:`shared.sweep` builds :class:`ResultRow` s from the per-seed values of its run records,
wraps them in :class:`Results` with a :class:`Stamp` (every commit its runs came from, command,
seeds, date, machine) and calls :func:`write_results`. ``make report`` gathers every project's
tables into ``results/README.md`` and marks the ones a later commit has made stale.

A reproduction whose rows are means over a breakdown (a train x test generator matrix, attacks)
also keeps that breakdown: one :class:`Cell` per run and cell, written to ``cells.json`` beside
``results.json``, and :class:`CellView` s that render chosen cells as Markdown matrices in
``results.md`` and in the report.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.machine import machine_label
from shared.paths import results_root
from shared.provenance import commits_touching_code_since

SCHEMA_VERSION = 1


@dataclass
class Measurement:
    """Our number: mean ± sample std over seeds, with every per-seed value kept."""

    mean: float
    std: float
    values: list[float]
    seeds: list[int]

    @classmethod
    def from_values(cls, values: list[float], seeds: list[int]) -> Measurement:
        if len(values) != len(seeds) or not values:
            raise ValueError(f"need one value per seed, got {len(values)} values for seeds {seeds}")
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return cls(statistics.fmean(values), std, [float(v) for v in values], list(seeds))


@dataclass
class PaperValue:
    """The paper's number for a row, or ``None`` when no verifiable source gave one."""

    value: float | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not self.source:
            raise ValueError("a paper value needs its source (table, page or README)")


@dataclass
class ResultRow:
    setting: str
    method: str
    metric: str
    ours: Measurement
    paper: PaperValue = field(default_factory=PaperValue)
    matches_paper_setting: bool = False

    @property
    def difference(self) -> float | None:
        """Ours minus the paper's, only where the setting is the paper's own."""
        if self.matches_paper_setting and self.paper.value is not None:
            return self.ours.mean - self.paper.value
        return None


@dataclass
class Stamp:
    """Who made these numbers. ``git_commit`` is the newest commit a run came from and
    ``run_commits`` all of them (runs of one sweep may span commits with identical code);
    ``wall_time_s`` is the sum of the runs' times, ``date`` the last run's."""

    git_commit: str
    git_dirty: bool
    command: str
    seeds: list[int]
    date: str
    machine: dict[str, Any]
    wall_time_s: float
    run_commits: list[str] = field(default_factory=list)

    @property
    def commits(self) -> list[str]:
        return self.run_commits or [self.git_commit]


@dataclass
class Cell:
    """One cell of a run's breakdown: where it lies (``coords``, e.g. detector, train and test
    generator), the run's seed, its values, their 95 % intervals where the run computed them,
    and the run it came from (``run``: arm, config hash, commit, wall time, machine)."""

    coords: dict[str, str]
    seed: int
    values: dict[str, float]
    ci95: dict[str, list[float]] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CellView:
    """A Markdown matrix of the cells matching ``where``: one row per value of coordinate
    ``rows``, one column per value of ``columns`` (in the order the cells list them), each entry
    the mean over seeds of ``metric`` times ``scale`` (± the sample std when there are several
    seeds)."""

    title: str
    rows: str
    columns: str
    metric: str
    where: tuple[tuple[str, str], ...] = ()
    scale: float = 1.0

    def matrix(self, cells: list[Cell]) -> tuple[list[str], list[str], dict[tuple, list[float]]]:
        """``(row names, column names, {(row, column): per-seed values})``."""
        chosen = [c for c in cells if all(c.coords.get(k) == v for k, v in self.where)]
        if not chosen:
            raise ValueError(f"cell view {self.title!r}: no cell matches {dict(self.where)}")
        rows = list(dict.fromkeys(c.coords[self.rows] for c in chosen))
        columns = list(dict.fromkeys(c.coords[self.columns] for c in chosen))
        values: dict[tuple, list[float]] = {}
        for c in chosen:
            key = (c.coords[self.rows], c.coords[self.columns])
            values.setdefault(key, []).append(self.scale * c.values[self.metric])
        return rows, columns, values

    def to_markdown(self, cells: list[Cell]) -> str:
        rows, columns, values = self.matrix(cells)
        lines = [
            f"### {self.title}",
            "",
            f"| {self.rows} \\ {self.columns} | " + " | ".join(columns) + " |",
            "|---" * (len(columns) + 1) + "|",
        ]
        for row in rows:
            entries = []
            for column in columns:
                found = values.get((row, column))
                if not found:
                    entries.append("")
                elif len(found) == 1:
                    entries.append(f"{found[0]:.2f}")
                else:
                    entries.append(f"{statistics.fmean(found):.2f} ± {statistics.stdev(found):.2f}")
            lines.append(f"| {row} | " + " | ".join(entries) + " |")
        return "\n".join(lines) + "\n"


@dataclass
class Results:
    project: str
    title: str
    rows: list[ResultRow]
    stamp: Stamp
    notes: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    cells: list[Cell] = field(default_factory=list, repr=False)
    views: list[CellView] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the cells, which :func:`write_results` puts in ``cells.json``."""
        data = asdict(self)
        del data["cells"]
        for row, raw in zip(self.rows, data["rows"], strict=True):
            raw["difference"] = row.difference
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        rows = [
            ResultRow(
                setting=r["setting"],
                method=r["method"],
                metric=r["metric"],
                ours=Measurement(**r["ours"]),
                paper=PaperValue(**r["paper"]),
                matches_paper_setting=r["matches_paper_setting"],
            )
            for r in data["rows"]
        ]
        return cls(
            project=data["project"],
            title=data["title"],
            rows=rows,
            stamp=Stamp(**data["stamp"]),
            notes=list(data.get("notes", [])),
            schema_version=data.get("schema_version", SCHEMA_VERSION),
            views=[
                CellView(**{**v, "where": tuple(map(tuple, v["where"]))})
                for v in data.get("views", [])
            ],
        )

    def to_markdown(self) -> str:
        s = self.stamp
        lines = [
            f"## {self.title}",
            "",
            "| setting | method | metric | ours (mean ± std) | n | paper | Δ vs paper | paper source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            paper = "n/a" if r.paper.value is None else f"{r.paper.value:.2f}"
            diff = "" if r.difference is None else f"{r.difference:+.2f}"
            lines.append(
                f"| {r.setting} | {r.method} | {r.metric} | {r.ours.mean:.2f} ± {r.ours.std:.2f} | "
                f"{len(r.ours.values)} | {paper} | {diff} | {r.paper.source or ''} |"
            )
        dirty = " (with uncommitted changes)" if s.git_dirty else ""
        commits = ", ".join(f"`{c[:10]}`" for c in s.commits)
        lines += [
            "",
            f"Command: `{s.command}` · seeds {s.seeds} · "
            f"commit{'s' if len(s.commits) > 1 else ''} {commits}{dirty} · "
            f"{s.date} · {machine_label(s.machine)} · load {s.machine.get('load_avg_1m')} · "
            f"wall time {s.wall_time_s / 60:.1f} min",
        ]
        lines += [f"\n{note}" for note in self.notes]
        if self.cells:
            lines.append(
                f"\nPer-cell records: {len(self.cells)} cells (`cells.json`, one object per run "
                "and cell, with the run's config hash, commit and wall time)."
            )
        lines += [f"\n{view.to_markdown(self.cells)}" for view in self.views]
        return "\n".join(lines) + "\n"


CELLS_FILE = "cells.json"


def write_results(results: Results, out_dir: Path) -> list[Path]:
    """Write ``results.json``, ``results.md`` and, if there are cells, ``cells.json`` (a list
    with one cell per line); returns their paths."""
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results.to_dict(), indent=2) + "\n")
    md_path.write_text(results.to_markdown())
    written = [json_path, md_path]
    cells_path = out_dir / CELLS_FILE
    if results.cells:
        lines = ",\n".join(json.dumps(asdict(c), sort_keys=True) for c in results.cells)
        cells_path.write_text(f"[\n{lines}\n]\n")
        written.append(cells_path)
    elif cells_path.exists():
        cells_path.unlink()  # cells of an earlier sweep would otherwise pass for this one's
    return written


def load_results(path: Path) -> Results:
    """``results.json`` and, beside it, the cells of ``cells.json`` when there is one."""
    path = Path(path)
    results = Results.from_dict(json.loads(path.read_text()))
    if (cells_path := path.parent / CELLS_FILE).is_file():
        results.cells = [Cell(**c) for c in json.loads(cells_path.read_text())]
    return results


def staleness(results: Results) -> str | None:
    """Why ``results`` may no longer be what the code gives, or ``None`` when nothing since its
    newest run commit changed the project's code (``projects/<name>/{src,configs,train.py}`` and
    the shared files they reach, :func:`shared.provenance.code_paths`)."""
    newest = results.stamp.commits[-1]
    try:
        later = commits_touching_code_since(newest, results.project)
    except LookupError:
        return f"made at {newest[:10]}, a commit not in this repository's history"
    if not later:
        return None
    return (
        f"{len(later)} later commit(s) changed the code of {results.project} "
        f"({', '.join(later[:5])}{', ...' if len(later) > 5 else ''}): rerun "
        f"`{results.stamp.command} OVERWRITE=1`, or say why the numbers cannot change"
    )


def collect_report(root: Path | None = None) -> Path:
    """Gather every ``results.json`` under ``results/`` into ``results/README.md``, marking
    the stale ones."""
    root = root or results_root()
    sections = [
        "# Results",
        "",
        "Generated by `make report` from each project's `results.json`.",
        "",
    ]
    files = sorted(p for p in root.rglob("results.json") if "records" not in p.parts)
    for path in files:
        results = load_results(path)
        if reason := staleness(results):
            sections.append(f"> **Stale** ({path.parent.relative_to(root)}): {reason}.\n")
        sections.append(results.to_markdown())
    if not files:
        sections.append("No reproduction has been run yet: `make reproduce-<name>` writes one.")
    out = root / "README.md"
    root.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(sections) + "\n")
    return out
