"""Cross-project checks: every project has the fixed layout, stays independent, and its smoke
config trains to the end in a fresh process."""

import json
import os
import re
import subprocess
import sys

import pytest

from shared.paths import repo_root
from shared.projects import REQUIRED_FILES, Project, discover

PROJECTS = discover()
NAMES = [p.name for p in PROJECTS]
SMOKE_TIMEOUT_S = 600  # guards against hangs only; timings belong to `make bench`


def test_discovery_handles_an_empty_projects_folder(tmp_path):
    assert discover(tmp_path) == []
    (tmp_path / "projects").mkdir()
    assert discover(tmp_path) == []
    (tmp_path / "projects" / "demo").mkdir()
    found = discover(tmp_path)
    assert [p.name for p in found] == ["demo"]
    assert set(REQUIRED_FILES) <= set(found[0].missing())


@pytest.mark.parametrize("project", PROJECTS, ids=NAMES)
def test_layout(project: Project):
    assert project.missing() == [], f"projects/{project.name} lacks {project.missing()}"


@pytest.mark.parametrize("project", PROJECTS, ids=NAMES)
def test_no_project_imports_another(project: Project):
    others = [n for n in NAMES if n != project.name]
    if not others:
        pytest.skip("only one project")
    pattern = re.compile(rf"^\s*(from|import)\s+({'|'.join(others)})\b", re.MULTILINE)
    for source in project.path.rglob("*.py"):
        match = pattern.search(source.read_text())
        assert match is None, f"{source} imports project {match.group(2) if match else ''}"


@pytest.mark.parametrize("project", PROJECTS, ids=NAMES)
def test_configs_hold_no_machine_paths(project: Project):
    for config in project.path.rglob("configs/**/*.yaml"):
        text = config.read_text()
        assert not re.search(r"(/home/|/root/|/work/|/tmp/|C:\\\\)", text), config


@pytest.mark.slow
@pytest.mark.parametrize("project", PROJECTS, ids=NAMES)
def test_smoke_config_trains_to_the_end(project: Project, tmp_path):
    env = {
        **os.environ,
        "RUNS_ROOT": str(tmp_path / "runs"),
        "DATA_ROOT": str(tmp_path / "data"),  # generated sets and caches, never the repo's data/
        "REPRO_THREADS": "1",
        "CI": "true",
    }
    done = subprocess.run(
        [sys.executable, "train.py", "--config", "configs/smoke.yaml"],
        cwd=project.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    metrics = list((tmp_path / "runs" / project.name / "smoke").glob("version_*/metrics.json"))
    assert len(metrics) == 1, "the smoke run wrote no metrics.json"
    assert json.loads(metrics[0].read_text())["last"], "the smoke run tested nothing"


@pytest.mark.slow
def test_gpu_checks_import_no_jsonargparse():
    """The GPU machines' own stacks have no jsonargparse: no project's GPU check may need it."""
    names = [p.name for p in PROJECTS if p.has_module("gpu_check")]
    code = f"import sys; import {', '.join(f'{n}.gpu_check' for n in names)}; " + (
        "found = sorted(m for m in sys.modules if m == 'shared.cli' or m.startswith('jsonargparse')); "
        "assert not found, found"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(names) == len(PROJECTS)


def test_repository_has_the_fixed_layout():
    root = repo_root()
    for path in (
        "pyproject.toml",
        "uv.lock",
        "Makefile",
        "README.md",
        ".ci/run",
        "shared",
        "tests",
    ):
        assert (root / path).exists(), path
