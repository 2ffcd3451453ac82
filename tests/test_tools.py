"""The GPU check is safe to run anywhere: without CUDA it says so and exits 0."""

import subprocess
import sys

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
