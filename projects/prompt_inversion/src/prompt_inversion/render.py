"""A procedurally rendered image–prompt dataset, written in DiffusionDB's on-disk format.

Prompts come from templates over colours, shapes, counts, positions and styles; each image is
drawn from its prompt (that many shapes of that colour in that region, in that style), so the
image carries what the prompt says and a model can learn the mapping. Several images share a
prompt (other seeds), as in DiffusionDB. Images are drawn inside the central square so a centre
crop keeps every shape; some are wider than tall, as SD users chose sizes.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFilter

from prompt_inversion.diffusiondb import METADATA_COLUMNS
from shared.errors import ConfigError

COLOURS = {
    "red": (220, 30, 30), "green": (30, 170, 50), "blue": (40, 70, 220),
    "yellow": (240, 220, 30), "purple": (140, 40, 170), "orange": (250, 140, 20),
}  # fmt: skip
SHAPES = ("circle", "square", "triangle", "cross", "diamond")
COUNTS = {"one": 1, "two": 2, "three": 3}
POSITIONS = {  # the region's box in the central square, as fractions (left, top, right, bottom)
    "on the left": (0.0, 0.0, 0.5, 1.0), "on the right": (0.5, 0.0, 1.0, 1.0),
    "at the top": (0.0, 0.0, 1.0, 0.5), "at the bottom": (0.0, 0.5, 1.0, 1.0),
    "in the middle": (0.2, 0.2, 0.8, 0.8),
}  # fmt: skip
STYLES = ("watercolor painting", "pixel art", "neon glow", "pencil sketch", "photograph")
TEMPLATES = (
    "{count} {colour} {shapes} {position}, {style}",
    "a {style} of {count} {colour} {shapes} {position}",
    "{count} {colour} {shapes} {position}, {style}, highly detailed, 8k",
)
SAMPLERS = ("k_euler_a", "k_lms", "ddim", "plms")


@dataclass(frozen=True)
class Scene:
    colour: str
    shape: str
    count: str
    position: str
    style: str
    template: int

    @property
    def prompt(self) -> str:
        plural = f"{self.shape}es" if self.shape.endswith("s") else f"{self.shape}s"
        shapes = self.shape if self.count == "one" else plural
        count = "a" if self.count == "one" and self.template != 1 else self.count
        text = TEMPLATES[self.template].format(
            count=count, colour=self.colour, shapes=shapes, position=self.position, style=self.style
        )
        return text[0].upper() + text[1:] if self.template == 2 else text


def random_scene(rng: np.random.Generator) -> Scene:
    return Scene(
        colour=str(rng.choice(list(COLOURS))),
        shape=str(rng.choice(SHAPES)),
        count=str(rng.choice(list(COUNTS))),
        position=str(rng.choice(list(POSITIONS))),
        style=str(rng.choice(STYLES)),
        template=int(rng.integers(len(TEMPLATES))),
    )


def _draw_shape(
    draw: ImageDraw.ImageDraw, shape: str, box: tuple[float, ...], fill, outline
) -> None:
    left, top, right, bottom = box
    cx, cy, r = (left + right) / 2, (top + bottom) / 2, (right - left) / 2
    if shape == "circle":
        draw.ellipse(box, fill=fill, outline=outline, width=2)
    elif shape == "square":
        draw.rectangle(box, fill=fill, outline=outline, width=2)
    elif shape == "triangle":
        draw.polygon([(cx, top), (right, bottom), (left, bottom)], fill=fill, outline=outline)
    elif shape == "diamond":
        draw.polygon([(cx, top), (right, cy), (cx, bottom), (left, cy)], fill=fill, outline=outline)
    else:  # cross
        w = r / 2.5
        draw.rectangle((cx - w, top, cx + w, bottom), fill=fill or outline)
        draw.rectangle((left, cy - w, right, cy + w), fill=fill or outline)


def render(scene: Scene, width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """Draw ``scene``: ``count`` shapes of ``colour`` placed in ``position``, styled."""
    side = min(width, height)
    background = {
        "watercolor painting": (245, 238, 220), "pixel art": (200, 200, 200),
        "neon glow": (10, 10, 25), "pencil sketch": (250, 250, 250), "photograph": (120, 140, 130),
    }[scene.style]  # fmt: skip
    image = Image.new("RGB", (width, height), background)
    if scene.style == "photograph":
        noise = rng.normal(0, 18, (height, width, 3)) + np.asarray(background)
        image = Image.fromarray(noise.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    x0, y0 = (width - side) / 2, (height - side) / 2
    region = [
        x0 + f * side if i % 2 == 0 else y0 + f * side
        for i, f in enumerate(POSITIONS[scene.position])
    ]
    colour = COLOURS[scene.colour]
    size = side * 0.22
    count = COUNTS[scene.count]
    wide = region[2] - region[0] >= region[3] - region[1]
    for i in range(count):  # one slot per shape along the region's longer side: no overlaps
        left, top, right, bottom = region
        if wide:
            left, right = left + i * (right - left) / count, left + (i + 1) * (right - left) / count
        else:
            top, bottom = top + i * (bottom - top) / count, top + (i + 1) * (bottom - top) / count
        cx = rng.uniform(left + size / 2, max(left + size / 2, right - size / 2))
        cy = rng.uniform(top + size / 2, max(top + size / 2, bottom - size / 2))
        box = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
        fill = None if scene.style == "pencil sketch" else colour
        _draw_shape(draw, scene.shape, box, fill, colour)
    if scene.style == "watercolor painting":
        image = image.filter(ImageFilter.GaussianBlur(side / 48))
    elif scene.style == "pixel art":
        small = image.resize((max(1, width // 8), max(1, height // 8)), Image.Resampling.NEAREST)
        image = small.resize((width, height), Image.Resampling.NEAREST)
    elif scene.style == "neon glow":
        glow = image.filter(ImageFilter.GaussianBlur(side / 24))
        image = Image.blend(image, glow, 0.5)
    return image


@dataclass(frozen=True)
class RenderSettings:
    """What to render.

    Args:
        prompts: distinct scenes (each one prompt).
        images_per_prompt: images per prompt (other seeds of the same prompt).
        parts: DiffusionDB parts the images are spread over.
        size: the shorter side in pixels; a third of the images are 5:4 landscape.
        seed: the seed of prompts and drawings.
        mismatch: the share of images drawn from another scene than their prompt's, the
            rendered stand-in for DiffusionDB images that do not show their prompt (the label
            noise the curriculum orders by); their names go to ``MISMATCHED_FILE``.
    """

    prompts: int = 600
    images_per_prompt: int = 4
    parts: int = 4
    size: int = 48
    seed: int = 0
    mismatch: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.mismatch < 1.0:
            raise ConfigError("data.init_args.render.mismatch", self.mismatch, "a share in [0, 1)")

    @property
    def folder_name(self) -> str:
        noise = f"-mm{self.mismatch:g}" if self.mismatch else ""
        return (
            f"rendered-p{self.prompts}x{self.images_per_prompt}-parts{self.parts}-"
            f"{self.size}px-s{self.seed}{noise}"
        )


MISMATCHED_FILE = "mismatched_images.json"
"""The renderer's ground truth beside ``metadata.parquet`` (not part of DiffusionDB's format):
the names of the images drawn from another scene than their prompt's."""


def mismatched_scenes(items: list[Scene], settings: RenderSettings) -> dict[int, Scene]:
    """Item index -> the scene drawn instead (another colour and another shape), for
    ``round(mismatch * len(items))`` items; their own random stream, so ``mismatch=0`` renders
    exactly the set without it."""
    rng = np.random.default_rng([settings.seed, 1])
    count = round(settings.mismatch * len(items))
    drawn = {}
    for index in sorted(rng.choice(len(items), size=count, replace=False).tolist()):
        scene = random_scene(rng)
        while scene.colour == items[index].colour or scene.shape == items[index].shape:
            scene = random_scene(rng)
        drawn[index] = scene
    return drawn


def write_rendered_diffusiondb(root: Path, settings: RenderSettings) -> Path:
    """Write ``metadata.parquet`` and ``images/part-NNNNNN.zip`` (PNGs + part JSON) to ``root``."""
    rng = np.random.default_rng(settings.seed)
    scenes: dict[str, Scene] = {}
    while len(scenes) < settings.prompts:
        scene = random_scene(rng)
        scenes.setdefault(scene.prompt, scene)
    items = [s for s in scenes.values() for _ in range(settings.images_per_prompt)]
    order = rng.permutation(len(items))
    drawn_instead = mismatched_scenes(items, settings)
    mismatched = []
    per_part = -(-len(items) // settings.parts)
    (root / "images").mkdir(parents=True, exist_ok=True)
    rows: dict[str, list] = {name: [] for name in METADATA_COLUMNS}
    start = datetime(2022, 8, 1, tzinfo=UTC)
    for part in range(settings.parts):
        part_id = part + 1
        chosen = order[part * per_part : (part + 1) * per_part]
        entries = {}
        with zipfile.ZipFile(root / "images" / f"part-{part_id:06d}.zip", "w") as archive:
            for k, index in enumerate(chosen):
                scene = items[index]
                width = round(settings.size * 1.25) if k % 3 == 0 else settings.size
                name = f"{uuid.UUID(bytes=rng.bytes(16), version=4)}.png"
                buffer = io.BytesIO()
                shown = drawn_instead.get(int(index), scene)
                render(shown, width, settings.size, rng).save(buffer, format="PNG")
                if shown is not scene:
                    mismatched.append(name)
                archive.writestr(name, buffer.getvalue())
                seed, cfg, sampler = int(rng.integers(2**32)), 7.0, SAMPLERS[k % len(SAMPLERS)]
                entries[name] = {"p": scene.prompt, "se": seed, "c": cfg, "st": 50, "sa": sampler}
                values = [name, scene.prompt, part_id, seed, 50, cfg, sampler, width,
                          settings.size, "renderer", start, 0.0, 0.0]  # fmt: skip
                for column, value in zip(METADATA_COLUMNS, values, strict=True):
                    rows[column].append(value)
            archive.writestr(f"part-{part_id:06d}.json", json.dumps(entries))
    table = pa.table(
        {
            n: pa.array(v, type=t)
            for (n, t), v in zip(METADATA_COLUMNS.items(), rows.values(), strict=True)
        }
    )
    (root / MISMATCHED_FILE).write_text(json.dumps(sorted(mismatched)) + "\n")
    pq.write_table(table, root / "metadata.parquet")  # last: its presence marks a complete set
    return root
