"""Where a number came from: the git commit, whether the tree was dirty, and which code it ran.

A project's *code* is everything that can change its numbers: ``projects/<name>/src``,
``projects/<name>/configs``, ``projects/<name>/train.py`` and the files of ``shared/src`` that
they can reach (:mod:`shared.imports`). Reproductions
record a fingerprint of that code with every run, so a resumed sweep can refuse runs made by
other code, and ``make report`` can say which results a later commit has made stale.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from shared.imports import shared_files_reached
from shared.paths import repo_root

COMMIT_ENV = "GIT_COMMIT"
"""Names the commit where the copy has no ``.git`` (e.g. the tree sent to a GPU machine)."""


def git(*args: str) -> str:
    """``git <args>`` in the repository, stripped; ``""`` when git or the repository is absent."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo_root(), capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def head_commit() -> str:
    """The checked-out commit: ``git rev-parse HEAD`` when the checkout has its own ``.git``
    (a copy placed inside another repository must not report that one's), else
    ``$GIT_COMMIT``, else ``"unknown"``."""
    own = git("rev-parse", "HEAD") if (repo_root() / ".git").exists() else ""
    return own or os.environ.get(COMMIT_ENV) or "unknown"


def code_paths(project: str) -> list[str]:
    """The repository paths whose content can change ``project``'s numbers: its own folders,
    then the shared files its code reaches now."""
    name = project.split("/")[0]  # sub-studies (``lerac/stress``) share their project's code
    base = f"projects/{name}"
    own = [f"{base}/src", f"{base}/configs", f"{base}/train.py"]
    root = repo_root()
    return own + shared_files_reached([root / f for f in _code_files(own)], root)


def tree_dirty(paths: list[str] | None = None) -> bool:
    """Whether tracked files (under ``paths``, default all) differ from the commit."""
    return bool(git("status", "--porcelain", "--untracked-files=no", "--", *(paths or [])))


def _code_files(paths: list[str]) -> list[str]:
    """Tracked and untracked, not ignored, files under ``paths`` (relative, sorted)."""
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "--", *paths)
    if listed:
        return sorted(set(listed.splitlines()))
    root = repo_root()  # no git: walk the folders, leaving caches out
    files = []
    for path in paths:
        full = root / path
        candidates = [full] if full.is_file() else full.rglob("*")
        files += [
            str(p.relative_to(root))
            for p in candidates
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
    return sorted(files)


def code_fingerprint(project: str) -> str:
    """SHA-256 over the path and content of every file of ``project``'s code, as on disk now."""
    root = repo_root()
    digest = hashlib.sha256()
    for relative in _code_files(code_paths(project)):
        path = root / relative
        if path.is_file():  # a tracked file deleted in the working tree counts as absent
            digest.update(f"{relative}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def commits_touching_code_since(commit: str, project: str) -> list[str]:
    """Commits after ``commit`` (up to HEAD) that change ``project``'s code, newest first.

    Raises ``LookupError`` when ``commit`` is not in this repository's history.
    """
    if not _commit_exists(commit):
        raise LookupError(commit)
    log = git("log", "--format=%h", f"{commit}..HEAD", "--", *code_paths(project))
    return log.splitlines() if log else []


def _commit_exists(commit: str) -> bool:
    try:
        subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"],
            cwd=repo_root(),
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def relative_to_repo(path: Path) -> str:
    """``path`` relative to the repository root when it lies inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)
