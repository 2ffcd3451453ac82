"""Which files of ``shared/src`` a project's code can reach.

A project's numbers depend on its own code and on the shared modules it imports, directly or
through other shared modules, and on those that its configs and strings name
(``class_path: shared.data.cifar.CIFARDataModule``). Counting only those keeps a new shared
module (another project's dataset, say) from marking every other project's results stale.
Reaching is over-approximated, never under: every import anywhere in a file counts (inside
functions too), any dotted ``shared.…`` name in the text counts (docstrings included), and a
module brings in its packages' ``__init__`` files and the data files beside it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SHARED_SRC = Path("shared/src")
DOTTED = re.compile(r"(?<![\w.])shared(?:\.[A-Za-z_]\w*)+")
TEXT_SUFFIXES = (".py", ".yaml", ".yml")


def _named_modules(text: str, module: str | None = None, package: bool = False) -> set[str]:
    """Dotted ``shared`` names a file imports or mentions; ``module`` resolves relative imports."""
    names = set(DOTTED.findall(text))
    try:
        tree = ast.parse(text)
    except SyntaxError:  # a YAML config, or broken code: its dotted names above still count
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and module:
                parts = module.split(".")[: len(module.split(".")) - node.level + package]
                base = ".".join([*parts, base] if base else parts)
            names |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return {n for n in names if n == "shared" or n.startswith("shared.")}


def module_file(root: Path, dotted: str) -> Path | None:
    """The file that ``import``ing ``dotted`` runs last: ``shared/src/shared/a/b.py`` or
    ``…/b/__init__.py``; a trailing attribute (``shared.a.b.Class``) is dropped."""
    parts = dotted.split(".")
    while parts:
        base = root / SHARED_SRC / Path(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        parts.pop()
    return None


def _brought_in(root: Path, file: Path) -> list[Path]:
    """``file``, the ``__init__.py`` of each package above it and the data files beside it."""
    top = root / SHARED_SRC
    found = [file, *(p for p in file.parent.iterdir() if p.is_file() and p.suffix != ".py")]
    folder = file.parent
    while folder != top and top in folder.parents:
        found.append(folder / "__init__.py")
        folder = folder.parent
    return [p for p in found if p.is_file() and p.suffix != ".pyc"]


def _module_name(root: Path, file: Path) -> str:
    parts = file.relative_to(root / SHARED_SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def shared_files_reached(files: list[Path], root: Path) -> list[str]:
    """Every file of ``shared/src`` that ``files`` (a project's code) can reach, relative to
    ``root``, sorted."""
    seen: set[Path] = set()
    queue = [(path, None) for path in files if path.suffix in TEXT_SUFFIXES]
    while queue:
        path, module = queue.pop()
        text = path.read_text(errors="replace")
        for name in _named_modules(text, module, path.name == "__init__.py"):
            target = module_file(root, name)
            for reached in _brought_in(root, target) if target else []:
                if reached not in seen:
                    seen.add(reached)
                    if reached.suffix == ".py":
                        queue.append((reached, _module_name(root, reached)))
    return sorted(str(p.relative_to(root)) for p in seen)
