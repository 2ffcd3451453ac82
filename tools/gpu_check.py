"""One prepared check for a GPU machine: for every project, one bf16 training step at paper
resolution plus the project's GPU benchmark, printed as one table with the card's name and
written, stamped, to `results/gpu/<project>.json` and `results/gpu/gpu_check.json` (all rows).

Runs with the machine's own PyTorch (no uv, no network): `python3 tools/gpu_check.py`.
Each project's `python -m <name>.gpu_check` runs in its own process (60 s at most by default)
with PYTHONPATH pointing at shared/src and the project's src, so one failing or hanging project
does not hide the others. Until a project runs, this file needs only the standard library and
torch. The checks import no jsonargparse; the stack seen on these machines (torch 2.11,
pytorch-lightning 2.6, torchmetrics, transformers 5.x, scikit-learn, scipy, opencv) has every
other package they use. Where the card's stack lacks diffusers, peft or accelerate (the
curriculum_dpo and prompt_inversion checks use them), the pure-Python wheels that
`make gpu-wheels` downloads here into `.gpu_wheels/` travel with the tree (`carry`) and are
unpacked beside it and put on those processes' path. The commit comes from git, or from
`GIT_COMMIT` where the copy has no `.git`. Without CUDA it says so, writes nothing and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared" / "src"))  # these three need only the standard library

from shared.paths import results_root  # noqa: E402
from shared.projects import discover  # noqa: E402
from shared.provenance import head_commit, tree_dirty  # noqa: E402

COMBINED = "gpu_check.json"
WHEELS = ROOT / ".gpu_wheels"


def carried_site(wheels: Path = WHEELS) -> Path | None:
    """Unpack into ``<wheels>/site`` each wheel whose package this python cannot import (a
    pure-Python wheel unpacked is an importable folder); the folder, or ``None`` when nothing
    is missing."""
    site = wheels / "site"
    unpacked = False
    for wheel in sorted(wheels.glob("*.whl")):
        module = wheel.name.split("-")[0].lower()
        if importlib.util.find_spec(module) is None or (site / module).is_dir():
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(site)
            unpacked = True
    return site if unpacked else None


def project_names(root: Path = ROOT) -> list[str]:
    return [p.name for p in discover(root) if p.has_module("gpu_check")]


def parse_rows(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects among a check's output lines (other lines are ignored)."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def run_project(
    name: str,
    timeout_s: float,
    log_dir: Path | None = None,
    root: Path = ROOT,
    site: Path | None = None,
) -> tuple[list[dict[str, Any]], str, float]:
    """``python -m <name>.gpu_check`` in its own process (``site``: carried packages last on
    its path): (rows, status, seconds)."""
    env = dict(os.environ)
    paths = [str(root / "shared" / "src"), str(root / "projects" / name / "src")]
    paths += [str(site)] if site else []
    env["PYTHONPATH"] = os.pathsep.join(
        [*paths, env["PYTHONPATH"]] if env.get("PYTHONPATH") else paths
    )
    env.setdefault("PYTHONUNBUFFERED", "1")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"{name}.gpu_check"],
            cwd=root / "projects" / name,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        stdout, stderr = done.stdout, done.stderr
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode}): {last}"
    except subprocess.TimeoutExpired as error:
        stdout, stderr = (
            (out.decode() if isinstance(out, bytes) else (out or ""))
            for out in (error.stdout, error.stderr)
        )
        status = f"TIMEOUT after {timeout_s:g} s"
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"{name}.log").write_text(f"{stdout}\n--- stderr ---\n{stderr}")
    return parse_rows(stdout), status, time.perf_counter() - start


def stamp(command: str, card: str, torch_version: str, cuda: str | None) -> dict[str, Any]:
    """Commit (git, else ``GIT_COMMIT``), dirty flag (``None`` without ``.git``), command, date,
    card and software."""
    has_git = (ROOT / ".git").exists()
    return {
        "commit": head_commit(),
        "dirty": tree_dirty() if has_git else None,
        "command": command,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "card": card,
        "torch": torch_version,
        "cuda": cuda,
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
    }


def write_results(
    out_dir: Path,
    run_stamp: dict[str, Any],
    results: dict[str, tuple[list[dict[str, Any]], str, float]],
) -> list[Path]:
    """``<out>/<project>.json`` per project (replacing the previous card run's) and
    ``<out>/gpu_check.json`` with every row; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (rows, status, seconds) in results.items():
        path = out_dir / f"{name}.json"
        payload = {
            "project": name,
            "stamp": run_stamp,
            "status": status,
            "seconds": round(seconds, 1),
            "rows": rows,
        }
        path.write_text(json.dumps(payload, indent=2) + "\n")
        written.append(path)
    combined = {
        "stamp": run_stamp,
        "status": {name: status for name, (_, status, _) in results.items()},
        "seconds": {name: round(seconds, 1) for name, (_, _, seconds) in results.items()},
        "rows": [row for rows, _, _ in results.values() for row in rows],
    }
    (out_dir / COMBINED).write_text(json.dumps(combined, indent=2) + "\n")
    return [*written, out_dir / COMBINED]


def check_projects(
    names: list[str],
    timeout_s: float,
    log_dir: Path | None = None,
    root: Path = ROOT,
    site: Path | None = None,
) -> dict[str, tuple[list[dict[str, Any]], str, float]]:
    """Run each project's check in turn, whatever happened to the previous one."""
    results = {}
    for name in names:
        rows, status, seconds = run_project(name, timeout_s, log_dir, root, site)
        results[name] = (rows, status, seconds)
        print(f"  {name}: {status} ({seconds:.0f} s, {len(rows)} rows)", flush=True)
    return results


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = ["| project | check | value | 95 % interval | target | verdict | detail |"]
    lines.append("|---|---|---|---|---|---|---|")
    for row in rows:
        interval = row.get("interval")
        span = f"{interval[0]:.4g}-{interval[1]:.4g}" if interval else ""
        rates = ", ".join(f"{k} {v:.1f} items/s" for k, v in row.get("rates", {}).items())
        detail = "; ".join(filter(None, (rates, row.get("detail", ""))))
        lines.append(
            f"| {row['project']} | {row['check']} | {row['value']:.4g} {row['unit']} | {span} | "
            f"{row.get('target_label', '')} | {row.get('verdict') or ''} | {detail} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="project names (default: all with a gpu_check)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per project")
    parser.add_argument(
        "--out", type=Path, help="folder for <project>.json and gpu_check.json (results/gpu)"
    )
    parser.add_argument("--log-dir", type=Path, help="write each project's full output here")
    args = parser.parse_args(argv)
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
        f"GPU: {card} · torch {torch.__version__} · CUDA {torch.version.cuda} · python "
        f"{sys.version.split()[0]}",
        flush=True,
    )
    command = " ".join(["python3", "tools/gpu_check.py", *(sys.argv[1:] if argv is None else argv)])
    run_stamp = stamp(command, card, torch.__version__, torch.version.cuda)
    start = time.perf_counter()
    site = carried_site()
    if site:
        print(f"carried packages unpacked to {site}", flush=True)
    results = check_projects(args.only or project_names(), args.timeout, args.log_dir, site=site)
    rows = [row for project_rows, _, _ in results.values() for row in project_rows]
    print("\n" + format_rows(rows))
    print(f"\nCard: {card}; total {time.perf_counter() - start:.0f} s.")
    for path in write_results(args.out or results_root() / "gpu", run_stamp, results):
        print(f"wrote {path}")
    return 0 if all(status == "ok" for _, status, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
