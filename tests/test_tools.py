"""The tools: the GPU check (safe without CUDA, keeps going past failing projects, writes stamped
files), the bench run files (stamped, never overwritten) and the project scaffold."""

import json
import subprocess
import sys
import zipfile

import pytest

from shared.paths import repo_root


@pytest.mark.slow
def test_gpu_check_without_cuda_exits_cleanly():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the check would really run")
    done = subprocess.run(
        [sys.executable, str(repo_root() / "tools" / "gpu_check.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "CUDA is not available" in done.stdout


def test_new_project_scaffold_has_the_fixed_layout(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "new_project", repo_root() / "tools" / "new_project.py"
    )
    new_project = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(new_project)
    target = new_project.scaffold("demo_method", "Demo method", root=tmp_path)
    from shared.projects import discover

    (project,) = discover(tmp_path)
    assert project.name == "demo_method" and project.missing() == []
    assert (
        "class_path: demo_method.module.Classifier"
        in (target / "configs" / "smoke.yaml").read_text()
    )
    with pytest.raises(SystemExit, match="already exists"):
        new_project.scaffold("demo_method", "Demo method", root=tmp_path)
    with pytest.raises(SystemExit, match="identifier"):
        new_project.scaffold("Bad-Name", "x", root=tmp_path)


def _load_tool(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"tool_{name}", repo_root() / "tools" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_run_files_are_stamped_and_never_overwritten(tmp_path):
    from datetime import UTC, datetime

    from shared.bench import BenchRecord, Target
    from shared.provenance import head_commit

    bench_tool = _load_tool("bench")
    started = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    stamp = bench_tool.stamp("lerac", "python tools/bench.py --only lerac", started)
    assert stamp["commit"] == head_commit() and stamp["date"] == "2030-01-02T03:04:05+00:00"
    assert isinstance(stamp["dirty"], bool) and stamp["dirty"] == bool(stamp["dirty_files"])
    assert {"threads", "load_avg_1m"} <= set(stamp["machine"])
    stamp["commit"] = "0123456789abcdef"
    record = BenchRecord.from_samples("lerac", "step", [1.0, 1.01, 1.02], "x", Target.at_most(1.05))
    paths = [bench_tool.write_run("lerac", [record], stamp, root=tmp_path) for _ in range(3)]
    folder = tmp_path / "bench" / "lerac"
    assert paths == [
        folder / "2030-01-02-0123456.json",
        folder / "2030-01-02-0123456-2.json",
        folder / "2030-01-02-0123456-3.json",
    ]
    data = json.loads(paths[0].read_text())
    assert data["stamp"]["commit"] == "0123456789abcdef"
    assert data["records"][0]["interval"] == [1.0, 1.02]
    assert data["records"][0]["verdict"] == "met"


FAKE_CHECKS = {
    "alpha": 'print(\'{"project": "alpha", "check": "one", "value": 1.0, "unit": "x"}\')',
    "beta": (
        "import sys\n"
        'print(\'{"project": "beta", "check": "before the crash", "value": 2.0, "unit": "x"}\')\n'
        "print('not json')\n"
        "sys.exit('beta broke')"
    ),
    "gamma": (
        "import time\n"
        'print(\'{"project": "gamma", "check": "early", "value": 3.0, "unit": "x"}\', flush=True)\n'
        "time.sleep(60)"
    ),
}


def test_gpu_check_keeps_going_past_failures_and_timeouts_and_writes_every_row(
    tmp_path, monkeypatch
):
    gpu_tool = _load_tool("gpu_check")
    for name, code in FAKE_CHECKS.items():
        package = tmp_path / "projects" / name / "src" / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "gpu_check.py").write_text(code + "\n")
    assert gpu_tool.project_names(tmp_path) == ["alpha", "beta", "gamma"]
    results = gpu_tool.check_projects(["alpha", "beta", "gamma"], 5, root=tmp_path)
    statuses = {name: status for name, (_, status, _) in results.items()}
    assert statuses["alpha"] == "ok"
    assert statuses["beta"] == "FAILED (exit 1): beta broke"
    assert statuses["gamma"] == "TIMEOUT after 5 s"
    assert [row["check"] for rows, _, _ in results.values() for row in rows] == [
        "one",
        "before the crash",
        "early",
    ]
    # A copy without .git: the commit comes from GIT_COMMIT and the dirty flag is unknown.
    from shared import provenance

    monkeypatch.setattr(gpu_tool, "ROOT", tmp_path)
    monkeypatch.setattr(provenance, "git", lambda *args: "")
    monkeypatch.setenv("GIT_COMMIT", "feedbeef" * 5)
    stamp = gpu_tool.stamp("python3 tools/gpu_check.py", "Fake card", "2.11", "13.0")
    assert stamp["commit"] == "feedbeef" * 5 and stamp["dirty"] is None
    written = gpu_tool.write_results(tmp_path / "out", stamp, results)
    assert [p.name for p in written] == ["alpha.json", "beta.json", "gamma.json", "gpu_check.json"]
    beta = json.loads((tmp_path / "out" / "beta.json").read_text())
    assert beta["status"].startswith("FAILED") and [r["check"] for r in beta["rows"]] == [
        "before the crash"
    ]
    combined = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert len(combined["rows"]) == 3 and combined["stamp"]["card"] == "Fake card"
    assert set(combined["status"]) == {"alpha", "beta", "gamma"}


@pytest.mark.slow
def test_the_scaffold_trains_reproduces_benches_and_checks(tmp_path, monkeypatch):
    """Everything the template writes runs: smoke config, shrunk sweep, bench, GPU check."""
    import dataclasses
    import sys

    from shared.bench import measure
    from shared.cli import main
    from shared.sweep import run
    from shared.testing.sweeps import shrunk

    target = _load_tool("new_project").scaffold("scaffolded_demo", "Scaffolded demo", root=tmp_path)
    monkeypatch.syspath_prepend(str(target / "src"))
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path / "results"))
    summary = main(target, ["--config", str(target / "configs" / "smoke.yaml")])
    assert summary["epochs"] == 1 and 0 <= summary["last"]["test/acc"] <= 1
    from scaffolded_demo import bench, gpu_check, reproduce

    sweep = dataclasses.replace(shrunk(reproduce.SWEEP), project_root=target)
    assert run(sweep).rows[0].metric == "test acc, last epoch (%)"
    (declared,) = bench.benchmarks()
    record = measure(dataclasses.replace(declared, repeats=2, warmup=1), "scaffolded_demo")
    assert record.value > 0 and record.unit == "items/s"
    assert [c.name for c in gpu_check.checks()] == ["ResNet-18 CIFAR (32 px)"]
    for name in [m for m in sys.modules if m.startswith("scaffolded_demo")]:
        del sys.modules[name]


def test_compare_results_finds_a_single_changed_value(tmp_path):
    compare = _load_tool("compare_results").compare
    row = {"setting": "s", "method": "m", "metric": "acc", "ours": {"values": [90.0, 91.0]}}
    for root, values in (("a", [90.0, 91.0]), ("b", [90.0, 91.0]), ("c", [90.0, 91.00000001])):
        (tmp_path / root / "demo").mkdir(parents=True)
        data = {"rows": [{**row, "ours": {"values": values}}], "notes": ["n"]}
        (tmp_path / root / "demo" / "results.json").write_text(json.dumps(data))
    assert compare(tmp_path / "a", tmp_path / "b")[1] is True
    lines, equal = compare(tmp_path / "a", tmp_path / "c")
    assert equal is False and lines[-1] == "| demo | 1 | True | True | 1 | True |"


def test_gpu_check_unpacks_only_the_carried_wheels_the_machine_lacks(tmp_path):
    gpu_tool = _load_tool("gpu_check")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name, code in (("carried_pkg_zz", "VALUE = 3\n"), ("json", "SHADOW = True\n")):
        with zipfile.ZipFile(wheels / f"{name}-1.0-py3-none-any.whl", "w") as archive:
            archive.writestr(f"{name}/__init__.py", code)
            archive.writestr(f"{name}-1.0.dist-info/METADATA", f"Name: {name}\nVersion: 1.0\n")
    site = gpu_tool.carried_site(wheels)
    assert site == wheels / "site"
    assert (site / "carried_pkg_zz" / "__init__.py").read_text() == "VALUE = 3\n"
    assert not (site / "json").exists()  # the machine has json: its wheel stays packed
    assert gpu_tool.carried_site(tmp_path / "no_wheels") is None
