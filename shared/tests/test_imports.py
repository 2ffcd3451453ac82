"""The shared files a project's code reaches: imports (relative ones, those inside functions)
and dotted names in configs, never a module nothing names."""

from pathlib import Path

from shared.imports import module_file, shared_files_reached


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_reached_files_follow_imports_strings_and_packages(tmp_path):
    top = "shared/src/shared"
    _write(
        tmp_path,
        {
            f"{top}/__init__.py": "",
            f"{top}/a.py": "from shared import b\n",
            f"{top}/b.py": "from .c import value\n",
            f"{top}/c.py": "value = 1\n",
            f"{top}/unused.py": "import shared.c\n",
            f"{top}/pkg/__init__.py": "",
            f"{top}/pkg/mod.py": "from ..d import thing\n",
            f"{top}/pkg/vocab.json": "{}\n",
            f"{top}/d.py": "thing = 2\n",
            "projects/demo/src/demo/x.py": "def f():\n    import shared.a\n",
            "projects/demo/configs/default.yaml": "class_path: shared.pkg.mod.Class\n",
        },
    )
    own = [
        tmp_path / "projects/demo/src/demo/x.py",
        tmp_path / "projects/demo/configs/default.yaml",
    ]
    reached = shared_files_reached(own, tmp_path)
    assert reached == [
        f"{top}/__init__.py",
        f"{top}/a.py",
        f"{top}/b.py",
        f"{top}/c.py",
        f"{top}/d.py",
        f"{top}/pkg/__init__.py",
        f"{top}/pkg/mod.py",
        f"{top}/pkg/vocab.json",
    ]  # not unused.py: nothing the project reaches names it


def test_a_dotted_name_resolves_to_the_module_that_defines_it(tmp_path):
    top = "shared/src/shared"
    _write(
        tmp_path,
        {f"{top}/__init__.py": "", f"{top}/data/__init__.py": "", f"{top}/data/cifar.py": ""},
    )
    assert (
        module_file(tmp_path, "shared.data.cifar.CIFARDataModule")
        == tmp_path / top / "data/cifar.py"
    )
    assert module_file(tmp_path, "shared.data") == tmp_path / top / "data/__init__.py"
    assert module_file(tmp_path, "shared.nowhere") == tmp_path / top / "__init__.py"
