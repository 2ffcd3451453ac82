"""`make bench`: run every project's benchmark (`<name>.bench.run()`) and print one table."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from shared.bench import format_table
from shared.projects import discover
from shared.runtime import configure_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="project names (default: every project)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    args = parser.parse_args()
    threads = configure_threads(args.threads)
    print(f"torch intra-op threads: {threads}", flush=True)
    records = []
    for project in discover():
        if args.only and project.name not in args.only:
            continue
        if not project.has_module("bench"):
            print(f"{project.name}: no benchmark (src/{project.name}/bench.py)", flush=True)
            continue
        print(f"{project.name}: running its benchmark...", flush=True)
        records += importlib.import_module(f"{project.name}.bench").run()
    print(format_table(records))
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in records], indent=2) + "\n")


if __name__ == "__main__":
    main()
