"""A tiny DiffusionDB in the real format for tests (metadata.parquet + part zips or folders),
written independently of the renderer so the reader is not tested against its own writer."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

COLOURS = {"red": (255, 0, 0), "green": (0, 160, 0), "blue": (0, 0, 255)}
SHAPES = ("circle", "square")
SCHEMA = pa.schema(
    [
        ("image_name", pa.string()), ("prompt", pa.string()), ("part_id", pa.uint16()),
        ("seed", pa.uint32()), ("step", pa.uint16()), ("cfg", pa.float32()),
        ("sampler", pa.string()), ("width", pa.uint16()), ("height", pa.uint16()),
        ("user_name", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC")),
        ("image_nsfw", pa.float32()), ("prompt_nsfw", pa.float32()),
    ]
)  # fmt: skip
"""The 13 columns of DiffusionDB 2M's metadata.parquet, from its data card."""


def fixture_prompt(k: int) -> str:
    colour, shape = list(COLOURS)[k % 3], SHAPES[(k // 3) % 2]
    return f"a {colour} {shape}, flat illustration"


def png(prompt: str, size: int = 32) -> bytes:
    colour = COLOURS[prompt.split()[1]]
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    (draw.ellipse if "circle" in prompt else draw.rectangle)((8, 8, 24, 24), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def write_diffusiondb(
    root: Path,
    parts: int = 2,
    per_part: int = 6,
    folders: bool = False,
    prompts: dict[int, str | None] | None = None,
) -> list[dict]:
    """``parts`` parts of ``per_part`` 32x32 PNGs (UUID names) with their part JSON, zipped (or
    as folders), and metadata.parquet; ``prompts`` overrides the prompt of image k. Returns rows."""
    (root / "images").mkdir(parents=True)
    rows = []
    for p in range(1, parts + 1):
        entries, files = {}, {}
        for i in range(per_part):
            k = (p - 1) * per_part + i
            prompt = (prompts or {}).get(k, fixture_prompt(k))
            name = f"{uuid.UUID(int=k + 1, version=4)}.png"
            files[name] = png(prompt or "a red circle")
            entries[name] = {"p": prompt, "se": k, "c": 7.0, "st": 50, "sa": "k_lms"}
            rows.append(
                {
                    "image_name": name,
                    "prompt": prompt,
                    "part_id": p,
                    "seed": k,
                    "step": 50,
                    "cfg": 7.0,
                    "sampler": "k_lms",
                    "width": 32,
                    "height": 32,
                    "user_name": "u",
                    "timestamp": datetime(2022, 8, 1, tzinfo=UTC),
                    "image_nsfw": 0.1,
                    "prompt_nsfw": 0.0,
                }
            )
        files[f"part-{p:06d}.json"] = json.dumps(entries).encode()
        if folders:
            folder = root / "images" / f"part-{p:06d}"
            folder.mkdir()
            for name, data in files.items():
                (folder / name).write_bytes(data)
        else:
            with zipfile.ZipFile(root / "images" / f"part-{p:06d}.zip", "w") as archive:
                for name, data in files.items():
                    archive.writestr(name, data)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), root / "metadata.parquet")
    return rows
