"""Discovery of the paper projects under ``projects/`` (used by tests, bench and GPU check)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.paths import repo_root

REQUIRED_FILES = ("train.py", "configs/default.yaml", "configs/smoke.yaml", "README.md")
REQUIRED_DIRS = ("tests",)


@dataclass(frozen=True)
class Project:
    name: str
    path: Path

    @property
    def package_dir(self) -> Path:
        return self.path / "src" / self.name

    def has_module(self, module: str) -> bool:
        """Whether ``<name>.<module>`` exists (e.g. ``bench``, ``gpu_check``, ``reproduce``)."""
        return (self.package_dir / f"{module}.py").is_file()

    def missing(self) -> list[str]:
        """Required files and folders this project lacks."""
        gone = [f for f in REQUIRED_FILES if not (self.path / f).is_file()]
        gone += [d for d in REQUIRED_DIRS if not (self.path / d).is_dir()]
        if not self.package_dir.is_dir():
            gone.append(f"src/{self.name}/")
        return gone


def discover(root: Path | None = None) -> list[Project]:
    """Every folder under ``projects/`` (sorted); an empty or absent ``projects/`` gives []."""
    projects_dir = (root or repo_root()) / "projects"
    if not projects_dir.is_dir():
        return []
    return [
        Project(p.name, p)
        for p in sorted(projects_dir.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_"))
    ]
