"""`make bench`: run every project's declared benchmarks (`<name>.bench.benchmarks()`), print one
table, and write each project's records, stamped, to `results/bench/<project>/<date>-<commit>.json`.

The stamp names the commit, whether the project's code (and this harness) differed from it, the
command, the UTC date and the machine (CPU, threads, load average before and after). An existing
file is never overwritten: a second run on the same day and commit gets a `-2` suffix, and so on.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.bench import BenchRecord, format_table, run_all
from shared.machine import describe_machine
from shared.paths import results_root
from shared.projects import discover
from shared.provenance import code_paths, git, head_commit
from shared.readme import update_readmes
from shared.runtime import configure_threads

HARNESS = ["tools/bench.py"]


def load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def stamp(project: str, command: str, started: datetime) -> dict[str, Any]:
    """Where the numbers came from: commit, dirty files of the project's code, command, machine."""
    paths = [*code_paths(project), *HARNESS]
    dirty_files = sorted(git("diff", "--name-only", "HEAD", "--", *paths).splitlines())
    return {
        "commit": head_commit(),
        "dirty": bool(dirty_files),
        "dirty_files": dirty_files,
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "machine": describe_machine(),
    }


def output_path(project: str, date: str, commit: str, root: Path | None = None) -> Path:
    """``<root>/bench/<project>/<date>-<short commit>.json``, with ``-2``, ``-3``... when taken."""
    folder = (root or results_root()) / "bench" / project
    base = f"{date}-{commit[:7]}"
    path, counter = folder / f"{base}.json", 1
    while path.exists():
        counter += 1
        path = folder / f"{base}-{counter}.json"
    return path


def write_run(
    project: str,
    records: list[BenchRecord],
    run_stamp: dict[str, Any],
    root: Path | None = None,
) -> Path:
    """Write one project's records and stamp to a new file; returns its path."""
    date = run_stamp["date"][:10]
    path = output_path(project, date, run_stamp["commit"], root)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"project": project, "stamp": run_stamp, "records": [r.to_dict() for r in records]}
    with path.open("x") as handle:  # "x": refuse to replace a file that appeared meanwhile
        handle.write(json.dumps(payload, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="project names (default: every project)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--json", type=Path, help="also write all the records to this file")
    parser.add_argument(
        "--no-save", action="store_true", help="print only; write nothing under results/bench/"
    )
    args = parser.parse_args(argv)
    command = " ".join(["python", "tools/bench.py", *(sys.argv[1:] if argv is None else argv)])
    threads = configure_threads(args.threads)
    print(f"torch intra-op threads: {threads}; load average {load_average()}", flush=True)
    records, failed = [], []
    for project in discover():
        name = project.name
        if args.only and name not in args.only:
            continue
        if not project.has_module("bench"):
            print(f"{name}: no benchmark (src/{name}/bench.py)", flush=True)
            continue
        print(f"{name}: running its benchmarks...", flush=True)
        started, clock = datetime.now(UTC), time.perf_counter()
        run_stamp = stamp(name, command, started)
        try:
            found = run_all(name, importlib.import_module(f"{name}.bench").benchmarks())
        except Exception:  # one failing project must not hide the others
            traceback.print_exc()
            failed.append(name)
            continue
        run_stamp["seconds"] = round(time.perf_counter() - clock, 1)
        run_stamp["load_avg_1m_end"] = load_average()
        records += found
        if not args.no_save:
            print(f"{name}: wrote {write_run(name, found, run_stamp)}", flush=True)
    print(format_table(records))
    if not args.no_save and records:  # the README bench sections are generated from these files
        for readme in update_readmes():
            print(f"updated the generated sections of {readme}", flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in records], indent=2) + "\n")
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
