"""Datasets and DataModules shared by the projects."""

from shared.data.errors import DatasetFormatError, DatasetNotFoundError

__all__ = ["DatasetFormatError", "DatasetNotFoundError"]
