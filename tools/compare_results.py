"""Compare two results trees value by value: `python tools/compare_results.py A B [--markdown F]`.

For every reproduction in both (``<name>/results.json`` in B, ``<name>/<--a-file>`` in A,
sub-studies included) it reports whether
the rows match and whether every per-seed value and every note is equal, bit for bit (floats as
stored). Used to show that a refactoring changed no number; exit status 1 when any value differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def rows(path: Path) -> dict[tuple[str, str, str], list[float]]:
    data = json.loads(path.read_text())
    return {(r["setting"], r["method"], r["metric"]): r["ours"]["values"] for r in data["rows"]}


def compare(a_root: Path, b_root: Path, a_file: str = "results.json") -> tuple[list[str], bool]:
    """Markdown lines, one per reproduction, and whether every value and note is equal."""
    names = sorted(
        str(p.parent.relative_to(a_root))
        for p in a_root.rglob(a_file)
        if "records" not in p.parts
        and (b_root / p.parent.relative_to(a_root) / "results.json").is_file()
    )
    lines = [
        "| reproduction | rows | same rows | same order | values differing | notes equal |",
        "|---|---|---|---|---|---|",
    ]
    equal = bool(names)
    for name in names:
        a, b = a_root / name / a_file, b_root / name / "results.json"
        ra, rb = rows(a), rows(b)
        notes = json.loads(a.read_text())["notes"] == json.loads(b.read_text())["notes"]
        differing = sum(ra[k] != rb[k] for k in ra if k in rb)
        same_rows = set(ra) == set(rb)
        lines.append(
            f"| {name} | {len(ra)} | {same_rows} | {list(ra) == list(rb)} | {differing} | {notes} |"
        )
        equal &= same_rows and differing == 0 and notes
    return lines, equal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--a-file", default="results.json", help="A's file name per reproduction")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    lines, equal = compare(args.a, args.b, args.a_file)
    text = "\n".join(lines) + f"\n\nEvery value and note equal: {equal}.\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
