"""Fixtures in the real on-disk formats, for tests and for trying a config without the data."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path


def jpeg_bytes(value: int, size: tuple[int, int] = (8, 8)) -> bytes:
    """A uniform grey JPEG (``value`` in 0-255) of ``size`` (width, height), as Pick-a-Pic
    stores its images."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (value, value, value)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def write_pickapic(folder: Path, captions: Sequence[str], size: tuple[int, int] = (16, 16)) -> Path:
    """A Pick-a-Pic split (``save_to_disk``) of one pair per caption in the v1 columns; row r's
    image 0 wins when r is even."""
    from datasets import Dataset

    rows = range(len(captions))
    Dataset.from_dict(
        {
            "caption": list(captions),
            "jpg_0": [jpeg_bytes(40 + 20 * r, size) for r in rows],
            "jpg_1": [jpeg_bytes(200 - 20 * r, size) for r in rows],
            "label_0": [float(r % 2 == 0) for r in rows],
            "label_1": [float(r % 2 == 1) for r in rows],
            "image_0_uid": [f"{r}a" for r in rows],
            "image_1_uid": [f"{r}b" for r in rows],
        }
    ).save_to_disk(str(folder))
    return folder
