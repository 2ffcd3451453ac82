"""Test-session settings: one intra-op thread; runs, results and data in pytest's temp folder.

Checkpoints are the bulk of what tests write (a full-size ResNet-18 paper config saves about
170 MB per fit), so each test's new checkpoint files are deleted when it ends; a fixture shared
by several tests keeps its own. pytest keeps the last three sessions' folders and removes older
ones, so repeated runs do not fill the disk.
"""

import os
from collections.abc import Iterator

import pytest

from shared.paths import runs_root
from shared.runtime import configure_threads

os.environ.setdefault("REPRO_THREADS", "1")
os.environ.setdefault("PYTHONUNBUFFERED", "1")
configure_threads(1)


@pytest.fixture(scope="session", autouse=True)
def scratch_roots(tmp_path_factory: pytest.TempPathFactory) -> None:
    """RUNS_ROOT, RESULTS_ROOT and DATA_ROOT (generated sets, caches) in this session's temporary
    folder, unless already set: a test session writes nothing into the repository."""
    base = tmp_path_factory.mktemp("repro")
    os.environ.setdefault("RUNS_ROOT", str(base / "runs"))
    os.environ.setdefault("RESULTS_ROOT", str(base / "results"))
    os.environ.setdefault("DATA_ROOT", str(base / "data"))


@pytest.fixture(autouse=True)
def drop_new_checkpoints(scratch_roots: None) -> Iterator[None]:
    """Deletes the checkpoint files a test wrote under RUNS_ROOT once it has finished."""
    root = runs_root()
    before = set(root.rglob("*.ckpt"))
    yield
    for path in set(root.rglob("*.ckpt")) - before:
        path.unlink()
