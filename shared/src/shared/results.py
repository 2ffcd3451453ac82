"""One results schema for every project: JSON, a Markdown table beside the paper, plots.

A reproduction builds :class:`ResultRow` s from per-seed values, wraps them in
:class:`Results` with a :func:`stamp` (git commit, command, seeds, date, machine) and calls
:func:`write_results`. Only ``make reproduce-<name>`` writes ``results/<name>/``, and it refuses
to overwrite an earlier reproduction unless ``OVERWRITE=1``.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.machine import describe_machine, machine_label
from shared.paths import repo_root, results_root

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
    git_commit: str
    git_dirty: bool
    command: str
    seeds: list[int]
    date: str
    machine: dict[str, Any]
    wall_time_s: float


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=repo_root(), capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def stamp(command: str, seeds: list[int], wall_time_s: float) -> Stamp:
    """Who made these numbers: commit (and whether the tree was dirty), command, machine, date."""
    return Stamp(
        git_commit=_git("rev-parse", "HEAD") or "unknown",
        git_dirty=bool(_git("status", "--porcelain", "--untracked-files=no")),
        command=command,
        seeds=list(seeds),
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=describe_machine(),
        wall_time_s=round(wall_time_s, 1),
    )


@dataclass
class Results:
    project: str
    title: str
    rows: list[ResultRow]
    stamp: Stamp
    notes: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
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
        lines += [
            "",
            f"Command: `{s.command}` · seeds {s.seeds} · commit `{s.git_commit[:10]}`{dirty} · "
            f"{s.date} · {machine_label(s.machine)} · load {s.machine.get('load_avg_1m')} · "
            f"wall time {s.wall_time_s / 60:.1f} min",
        ]
        lines += [f"\n{note}" for note in self.notes]
        return "\n".join(lines) + "\n"


class ResultsExistError(FileExistsError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already holds a reproduction. Re-run with OVERWRITE=1 (e.g. "
            f"`make reproduce-<name> OVERWRITE=1`) to replace it, or move it away first."
        )


def results_dir(project: str, overwrite: bool | None = None) -> Path:
    """``results/<project>/``, created; refuses an existing reproduction unless overwriting."""
    if overwrite is None:
        overwrite = os.environ.get("OVERWRITE", "") not in ("", "0", "false")
    path = results_root() / project
    if (path / "results.json").exists() and not overwrite:
        raise ResultsExistError(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_results(results: Results, out_dir: Path) -> list[Path]:
    """Write ``results.json`` and ``results.md``; returns their paths."""
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results.to_dict(), indent=2) + "\n")
    md_path.write_text(results.to_markdown())
    return [json_path, md_path]


def load_results(path: Path) -> Results:
    return Results.from_dict(json.loads(Path(path).read_text()))


def plot_metric(results: Results, metric: str, path: Path, ylabel: str | None = None) -> Path:
    """Bar chart of one metric: one group per setting, one bar per method, std as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results.rows if r.metric == metric]
    if not rows:
        raise ValueError(f"no rows with metric {metric!r}")
    settings = list(dict.fromkeys(r.setting for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(settings) * len(methods) ** 0.5), 3.5))
    for index, method in enumerate(methods):
        xs, means, stds = [], [], []
        for position, setting in enumerate(settings):
            match = [r for r in rows if r.setting == setting and r.method == method]
            if match:
                xs.append(position + (index - (len(methods) - 1) / 2) * width)
                means.append(match[0].ours.mean)
                stds.append(match[0].ours.std)
        ax.bar(xs, means, width, yerr=stds, capsize=3, label=method)
    ax.set_xticks(range(len(settings)), settings)
    ax.set_ylabel(ylabel or metric)
    low = min(r.ours.mean - r.ours.std for r in rows)
    high = max(r.ours.mean + r.ours.std for r in rows)
    pad = max(0.5, (high - low) * 0.3)
    ax.set_ylim(max(0.0, low - pad) if math.isfinite(low) else 0.0, high + pad)
    ax.legend(fontsize=8)
    ax.set_title(results.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def collect_report(root: Path | None = None) -> Path:
    """Gather every ``results.json`` under ``results/`` into ``results/README.md``."""
    root = root or results_root()
    sections = [
        "# Results",
        "",
        "Generated by `make report` from each project's `results.json`.",
        "",
    ]
    files = sorted(root.rglob("results.json"))  # projects and their sub-studies (e.g. stress)
    for path in files:
        sections.append(load_results(path).to_markdown())
    if not files:
        sections.append("No reproduction has been run yet: `make reproduce-<name>` writes one.")
    out = root / "README.md"
    root.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(sections) + "\n")
    return out
