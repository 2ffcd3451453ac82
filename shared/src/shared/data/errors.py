"""Dataset errors that tell the user where we looked, what we expected and where to get it."""

from __future__ import annotations

from pathlib import Path


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder or file is missing."""

    def __init__(self, name: str, looked_in: Path | str, layout: str, source: str) -> None:
        self.name, self.looked_in, self.layout, self.source = name, Path(looked_in), layout, source
        super().__init__(
            f"{name} was not found in {self.looked_in}. Expected layout: {layout}. "
            f"Get it from {source}, then put it there, or point the config field `data_root` "
            "(or the DATA_ROOT environment variable) at the folder that holds it."
        )


class DatasetFormatError(ValueError):
    """A dataset file exists but does not hold what its official format promises."""

    def __init__(self, path: Path | str, found: str, expected: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: found {found}, expected {expected}.")


def require_dir(folder: Path, name: str, layout: str, source: str) -> Path:
    """``folder`` if it is a directory, else a :class:`DatasetNotFoundError` saying what to do."""
    if not folder.is_dir():
        raise DatasetNotFoundError(name, folder, layout, source)
    return folder
