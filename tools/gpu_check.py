"""One prepared check for a GPU machine: for every project, one bf16 training step at paper
resolution plus the project's GPU benchmark, printed as one table with the card's name.

Runs with the machine's own PyTorch (no uv, no network): `python3 tools/gpu_check.py`.
Each project's `python -m <name>.gpu_check` runs in its own process with PYTHONPATH pointing at
shared/src and the project's src, so one failing project does not hide the others. The checks
import no jsonargparse; the stack seen on these machines (torch 2.11, pytorch-lightning 2.6,
torchmetrics, transformers 5.x, scikit-learn, scipy, opencv) has every other package they use, so
no wheels need to be carried. Without CUDA it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared" / "src"))  # shared.projects needs only the standard library

from shared.projects import discover  # noqa: E402


def project_names() -> list[str]:
    return [p.name for p in discover(ROOT) if p.has_module("gpu_check")]


def run_project(
    name: str, timeout_s: int, log_dir: Path | None = None
) -> tuple[list[dict], str, float]:
    env = dict(os.environ)
    paths = [str(ROOT / "shared" / "src"), str(ROOT / "projects" / name / "src")]
    env["PYTHONPATH"] = os.pathsep.join(
        [*paths, env["PYTHONPATH"]] if env.get("PYTHONPATH") else paths
    )
    env.setdefault("PYTHONUNBUFFERED", "1")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"{name}.gpu_check"],
            cwd=ROOT / "projects" / name,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if log_dir:
            (log_dir / f"{name}.log").write_text(f"{done.stdout}\n--- stderr ---\n{done.stderr}")
        stdout, status = (
            done.stdout,
            "ok"
            if done.returncode == 0
            else f"FAILED (exit {done.returncode}): {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}",
        )
    except subprocess.TimeoutExpired as error:
        stdout = error.stdout.decode() if isinstance(error.stdout, bytes) else (error.stdout or "")
        status = f"TIMEOUT after {timeout_s} s"
    rows = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows, status, time.perf_counter() - start


def write_markdown(
    out_dir: Path, card: str, torch_version: str, statuses: dict[str, str], rows: list[dict]
) -> None:
    """One README section per project, so the numbers are pasted by a program, not by hand."""
    commit = os.environ.get("GIT_COMMIT", "unknown")
    date = time.strftime("%Y-%m-%d", time.gmtime())
    for name, status in statuses.items():
        lines = [
            f"`python3 tools/gpu_check.py` on one **{card}** (torch {torch_version}, commit "
            f"`{commit[:10]}`, {date}): {status}.",
            "",
            "| check | value | detail |",
            "|---|---|---|",
        ]
        lines += [
            f"| {r['check']} | {r['value']:.4g} {r['unit']} | {r.get('detail', '')} |"
            for r in rows
            if r["project"] == name
        ]
        (out_dir / f"{name}.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="project names (default: all with a gpu_check)")
    parser.add_argument("--timeout", type=int, default=150, help="seconds per project")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--log-dir", type=Path, help="write each project's full output here")
    parser.add_argument(
        "--markdown-dir", type=Path, help="write <project>.md, a README section per project"
    )
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed for this python3: nothing to check.")
        return 0
    if not torch.cuda.is_available():
        print(
            f"CUDA is not available (torch {torch.__version__}): nothing to check on this machine."
        )
        return 0
    card = torch.cuda.get_device_name(0)
    print(
        f"GPU: {card} · torch {torch.__version__} · CUDA {torch.version.cuda} · python {sys.version.split()[0]}",
        flush=True,
    )
    names = args.only or project_names()
    all_rows, statuses, start = [], {}, time.perf_counter()
    for name in names:
        rows, status, seconds = run_project(name, args.timeout, args.log_dir)
        statuses[name] = f"{status} ({seconds:.0f} s)"
        all_rows += rows
        print(f"  {name}: {statuses[name]}", flush=True)
    print("\n| project | check | value | detail |\n|---|---|---|---|")
    for row in all_rows:
        print(
            f"| {row['project']} | {row['check']} | {row['value']:.4g} {row['unit']} | {row.get('detail', '')} |"
        )
    print(f"\nCard: {card}; total {time.perf_counter() - start:.0f} s.")
    if args.markdown_dir:
        write_markdown(args.markdown_dir, card, torch.__version__, statuses, all_rows)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"card": card, "torch": torch.__version__, "status": statuses, "rows": all_rows},
                indent=2,
            )
        )
    return 0 if all(s.startswith("ok") for s in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
