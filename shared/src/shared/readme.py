"""README sections generated from the files under ``results/``, so no number is typed by hand.

A README marks each generated section with a pair of comments::

    <!-- generated: results lerac -->
    ...whatever the renderer wrote last time...
    <!-- end generated -->

``make report`` rewrites every such section from the files (``update_readmes``), and a test
fails when a README is out of date with them. A renderer is a function ``(argument) -> str``
registered under its kind with :func:`renderer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from shared.paths import repo_root, results_root

Renderer = Callable[[str], str]
RENDERERS: dict[str, Renderer] = {}
_SECTION = re.compile(
    r"(?P<open><!-- generated: (?P<kind>[\w-]+) (?P<arg>[^\s>]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end generated -->)",
    re.DOTALL,
)


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register ``fn`` as the renderer of ``<!-- generated: <kind> <argument> -->`` sections."""

    def register(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        return fn

    return register


@renderer("results")
def render_results(name: str) -> str:
    """``results/<name>/results.md`` (the table, its stamp and notes), title dropped."""
    path = results_root() / name / "results.md"
    if not path.is_file():
        return f"No reproduction yet: `{reproduce_target(name)}` writes {path.name}.\n"
    lines = path.read_text().splitlines()
    body = lines[1:] if lines and lines[0].startswith("## ") else lines
    return "\n".join(body).strip("\n") + "\n"


def reproduce_target(name: str) -> str:
    """The make target of results folder ``name`` (``lerac/stress`` -> ``reproduce-lerac-stress``)."""
    return f"make reproduce-{name.replace('/', '-')}"


@renderer("timing")
def render_timing(argument: str) -> str:
    """``<results name>:<arm folder>``: how long the reproduction's runs took and how long one run
    of that arm took, from the run records; the README names an arm that runs the project's
    default config, which the text then calls what ``python train.py`` runs."""
    import json
    import statistics

    from shared.machine import machine_label

    name, arm = argument.split(":", 1)
    folder = results_root() / name / "records"
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*/seed*.json"))]
    if not records:
        return f"No run records yet: `{reproduce_target(name)}` writes them.\n"
    own = [json.loads(p.read_text()) for p in sorted((folder / arm).glob("seed*.json"))]
    if not own:
        raise KeyError(f"no records of arm folder {arm!r} in {folder}")
    total = sum(r["wall_time_s"] for r in records) / 60
    times = sorted(r["wall_time_s"] for r in own)
    commits = ", ".join(f"`{c[:10]}`" for c in dict.fromkeys(r["commit"] for r in records))
    machine = records[-1]["machine"]
    loads = sorted(r["machine"]["load_avg_1m"] for r in records if r["machine"].get("load_avg_1m"))
    load = (
        f" The 1-minute load average at the runs' starts was {loads[0]:.1f}-{loads[-1]:.1f} "
        f"(median {statistics.median(loads):.1f}) on {machine.get('cores', '?')} cores: "
        "above the core count, other work shared the machine and the times are that much longer "
        "than on an idle one."
        if loads
        else ""
    )
    return (
        f"Measured from the run records in `results/{name}/records/` (commit {commits}, "
        f"{machine_label(machine)}): the {len(records)} run{'s' if len(records) > 1 else ''} "
        f"recorded there took {total:.1f} min in all; one run of the default config (`{arm}`, what `python train.py` "
        f"runs) took {statistics.median(times):.0f} s (median of {len(times)}; "
        f"{times[0]:.0f}-{times[-1]:.0f} s).{load}\n"
    )


def render_sections(text: str, source: Path | None = None) -> str:
    """``text`` with every generated section re-rendered."""

    def replace(match: re.Match[str]) -> str:
        kind, argument = match["kind"], match["arg"]
        if kind not in RENDERERS:
            where = f" in {source}" if source else ""
            raise KeyError(
                f"unknown generated section kind {kind!r}{where}; have {sorted(RENDERERS)}"
            )
        body = RENDERERS[kind](argument)
        return f"{match['open']}{body.rstrip()}\n{match['close']}"

    return _SECTION.sub(replace, text)


def readme_paths(root: Path | None = None) -> list[Path]:
    """The root README and every project's README."""
    root = root or repo_root()
    return [root / "README.md", *sorted((root / "projects").glob("*/README.md"))]


def update_readmes(check: bool = False, root: Path | None = None) -> list[Path]:
    """Re-render every README's generated sections; returns the files that changed (with
    ``check``, the files that would change, leaving them as they are)."""
    changed = []
    for path in readme_paths(root):
        text = path.read_text()
        new = render_sections(text, path)
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new)
    return changed


# Renderers defined elsewhere register themselves on import.
from shared import bench_report  # noqa: E402, F401  (bench <project>, gpu <project>)
