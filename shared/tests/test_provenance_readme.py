"""Provenance (commit, code fingerprint) and README sections generated from results files."""

import subprocess

import pytest

from shared import readme
from shared.paths import repo_root
from shared.provenance import code_fingerprint, code_paths, head_commit


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A throwaway repository root (REPO_ROOT) with one project."""
    (tmp_path / "projects" / "demo" / "src").mkdir(parents=True)
    (tmp_path / "shared" / "src").mkdir(parents=True)
    (tmp_path / "projects" / "demo" / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "projects" / "demo" / "README.md").write_text("readme\n")
    monkeypatch.setenv("REPO_ROOT", str(tmp_path))
    repo_root.cache_clear()
    yield tmp_path
    monkeypatch.delenv("REPO_ROOT")
    repo_root.cache_clear()


def test_code_paths_of_a_sub_study_are_its_projects(repo):
    (repo / "shared" / "src" / "shared").mkdir()
    (repo / "shared" / "src" / "shared" / "__init__.py").write_text("")
    (repo / "shared" / "src" / "shared" / "used.py").write_text("")
    (repo / "projects" / "demo" / "src" / "a.py").write_text("from shared import used\n")
    assert code_paths("demo/stress") == [
        "projects/demo/src", "projects/demo/configs", "projects/demo/train.py",
        "shared/src/shared/__init__.py", "shared/src/shared/used.py",
    ]  # fmt: skip


def test_fingerprint_follows_the_code_not_the_docs(repo, monkeypatch):
    for git in ([], ["git", "init", "-q"]):  # without git (a plain copy) and with it
        if git:
            subprocess.run(git, cwd=repo, check=True)
        before = code_fingerprint("demo")
        (repo / "projects" / "demo" / "README.md").write_text("changed\n")
        assert code_fingerprint("demo") == before
        shared = repo / "shared" / "src" / "shared"
        shared.mkdir(exist_ok=True)
        (shared / "new.py").write_text("y = 2\n")  # a shared module the project does not reach
        assert code_fingerprint("demo") == before
        (repo / "projects" / "demo" / "src" / "a.py").write_text("import shared.new\n")
        changed = code_fingerprint("demo")  # untracked files count
        (shared / "new.py").write_text("y = 3\n")
        assert code_fingerprint("demo") not in (before, changed)
        (shared / "new.py").unlink()
        (repo / "projects" / "demo" / "src" / "a.py").write_text("x = 1\n")
        assert code_fingerprint("demo") == before


def test_the_commit_of_a_copy_without_git_comes_from_the_environment(tmp_path, monkeypatch):
    outer, copy = tmp_path, tmp_path / "copy"  # a copy placed inside another repository
    (copy / "projects").mkdir(parents=True)
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=outer, check=True)
    subprocess.run(
        ["git", *identity, "commit", "-q", "--allow-empty", "-m", "x"], cwd=outer, check=True
    )
    monkeypatch.setenv("REPO_ROOT", str(copy))
    repo_root.cache_clear()
    monkeypatch.setenv("GIT_COMMIT", "abc123")
    assert head_commit() == "abc123"
    monkeypatch.delenv("GIT_COMMIT")
    assert head_commit() == "unknown"  # not the outer repository's commit
    monkeypatch.delenv("REPO_ROOT")
    repo_root.cache_clear()


def test_generated_sections_are_rewritten_and_checked(repo, monkeypatch):
    monkeypatch.setitem(readme.RENDERERS, "twice", lambda arg: f"{arg}{arg}\n")
    path = repo / "projects" / "demo" / "README.md"
    path.write_text("intro\n<!-- generated: twice ab -->\nstale\n<!-- end generated -->\noutro\n")
    (repo / "README.md").write_text("root\n")
    assert readme.update_readmes(check=True) == [path]
    assert "stale" in path.read_text()  # a check changes nothing
    assert readme.update_readmes() == [path]
    assert (
        path.read_text()
        == "intro\n<!-- generated: twice ab -->\nabab\n<!-- end generated -->\noutro\n"
    )
    assert readme.update_readmes(check=True) == []
    path.write_text("<!-- generated: nope x -->\n<!-- end generated -->\n")
    with pytest.raises(KeyError, match="unknown generated section kind 'nope'"):
        readme.update_readmes()


def test_results_sections_show_the_table_without_its_title(repo, monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path / "results"))
    assert "`make reproduce-demo` writes results.md" in readme.render_results("demo")
    assert "`make reproduce-demo-stress`" in readme.render_results("demo/stress")
    (tmp_path / "results" / "demo").mkdir(parents=True)
    (tmp_path / "results" / "demo" / "results.md").write_text("## Title\n\n| a |\n")
    assert readme.render_results("demo") == "| a |\n"


def test_timing_sections_come_from_the_run_records(monkeypatch, tmp_path):
    import json

    from shared.machine import describe_machine

    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    for arm, seed, seconds in (("default", 0, 10.0), ("default", 1, 14.0), ("other", 0, 36.0)):
        path = tmp_path / "demo" / "records" / arm / f"seed{seed}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"arm": arm, "seed": seed, "wall_time_s": seconds, "commit": "a" * 40}
        machine = {**describe_machine(), "cores": 2, "load_avg_1m": seconds / 4}
        path.write_text(json.dumps({**record, "machine": machine}))
    text = readme.render_timing("demo:default")
    assert "load average at the runs' starts was 2.5-9.0 (median 3.5) on 2 cores" in text
    assert "the 3 runs recorded there took 1.0 min in all" in text
    assert "took 12 s (median of 2; 10-14 s)" in text and f"`{'a' * 10}`" in text
