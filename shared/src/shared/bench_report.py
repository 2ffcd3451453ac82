"""README tables of benchmark and GPU-check figures, rendered from their stamped files.

``<!-- generated: bench <project> -->`` renders every run under ``results/bench/<project>/``
(written by ``make bench``); ``<!-- generated: gpu <project> -->`` renders
``results/gpu/<project>.json`` (written by ``make gpu-check`` on a card). Registered with
:func:`shared.readme.renderer` when :mod:`shared.readme` is imported. Reads JSON only (no torch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.formatting import format_number
from shared.paths import results_root
from shared.readme import renderer


def _span(pair: list[float] | tuple[float, float] | None) -> str:
    return "" if not pair else f"{format_number(pair[0])}-{format_number(pair[1])}"


def _commit(stamp: dict[str, Any]) -> str:
    short = f"`{str(stamp.get('commit', 'unknown'))[:7]}`"
    return f"{short}\\*" if stamp.get("dirty") else short


def _escape(text: str) -> str:
    """Markdown-safe text for a table cell or list item (``*`` and ``|`` kept literal)."""
    return text.replace("*", "\\*").replace("|", "\\|")


def _rates(rates: dict[str, float] | None) -> str:
    return " / ".join(f"{label} {rate:.0f}" for label, rate in (rates or {}).items())


def bench_runs(project: str, root: Path | None = None) -> list[dict[str, Any]]:
    """Every stamped run of ``project`` under ``<root>/bench/<project>/``, oldest first."""
    folder = (root or results_root()) / "bench" / project
    runs = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return sorted(runs, key=lambda run: run["stamp"]["date"])


@renderer("bench")
def render_bench(project: str) -> str:
    """One row per record and run: median, 95 % interval, min-max, target, verdict, items/s of
    each side, commit, date, threads and load; then each benchmark's protocol and the machines."""
    runs = bench_runs(project)
    if not runs:
        return (
            f"No benchmark run recorded yet: `make bench` writes "
            f"`results/bench/{project}/<date>-<commit>.json`.\n"
        )
    order: dict[str, str] = {}  # benchmark name -> its latest detail, in first-seen order
    for run in runs:
        for record in run["records"]:
            order[record["name"]] = record.get("detail", "")
    lines = [
        "| benchmark | date (UTC) | commit | median | 95 % interval | min-max | target | verdict "
        "| items/s | threads | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in order:
        for run in runs:
            stamp = run["stamp"]
            for record in (r for r in run["records"] if r["name"] == name):
                machine = record.get("machine", {})
                lines.append(
                    f"| {_escape(name)} | {stamp['date'][:16].replace('T', ' ')} | {_commit(stamp)} | "
                    f"{format_number(record['value'])} {record['unit']} | {_span(record.get('interval'))} | "
                    f"{_span([record['low'], record['high']])} | {record.get('target_label', '')} | "
                    f"{record.get('verdict') or ''} | {_rates(record.get('rates'))} | "
                    f"{machine.get('threads', '')} | {machine.get('load_avg_1m', '')} |"
                )
    notes = [""]
    notes += [f"- {_escape(name)}: {_escape(detail)}" for name, detail in order.items() if detail]
    machines = sorted(
        {
            f"{m.get('cpu')} ({m.get('cores')} cores), GPU: {m.get('gpu') or 'none'}, "
            f"torch {m.get('torch')}"
            for m in (run["stamp"].get("machine", {}) for run in runs)
        }
    )
    notes.append("")
    notes.append(
        f"From `results/bench/{project}/` ({len(runs)} run{'s' if len(runs) > 1 else ''} of "
        f"`make bench`, oldest first), on {'; '.join(machines)}. The interval is a seeded "
        "bootstrap interval of the median over the rounds; a target is *met* only when the whole "
        "interval is within it, *missed* when all of it is outside, *unresolved* otherwise. "
        "Load is the 1-minute load average when the record was taken."
    )
    if any(run["stamp"].get("dirty") for run in runs):
        notes.append(
            "\\* the project's code or the harness differed from the commit (the stamp lists "
            "the files)."
        )
    return "\n".join(lines + notes) + "\n"


@renderer("gpu")
def render_gpu(project: str) -> str:
    """The rows of the latest GPU check of ``project`` with its stamp (card, torch, commit)."""
    path = results_root() / "gpu" / f"{project}.json"
    if not path.is_file():
        return (
            f"No GPU check recorded yet: `make gpu-check` on a CUDA machine writes "
            f"`results/gpu/{project}.json`.\n"
        )
    data = json.loads(path.read_text())
    stamp = data["stamp"]
    lines = [
        f"`python3 tools/gpu_check.py` on one **{stamp.get('card')}** (torch {stamp.get('torch')}, "
        f"CUDA {stamp.get('cuda')}), commit {_commit(stamp)}, {stamp['date'][:10]}: "
        f"{data.get('status')} ({data.get('seconds')} s).",
        "",
        "| check | value | 95 % interval | min-max | target | verdict | detail |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        low_high = [row["low"], row["high"]] if "low" in row else None
        detail = "; ".join(filter(None, (_rates(row.get("rates")), row.get("detail", ""))))
        lines.append(
            f"| {_escape(row['check'])} | {format_number(row['value'])} {row['unit']} | "
            f"{_span(row.get('interval'))} | {_span(low_high)} | {row.get('target_label', '')} | "
            f"{row.get('verdict') or ''} | {_escape(detail)} |"
        )
    return "\n".join(lines) + "\n"
