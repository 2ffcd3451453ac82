"""BioDeepAV (Croitoru et al., the survey's OOD benchmark): test-only talking-face videos.

Raw ``<root>/{real,fake}/videos/*.mp4`` or DeepfakeBench-preprocessed
``<root>/{real,fake}/frames/<video>/*.png`` (32 face crops per video). Labels: real 0, fake 1
(DeepfakeBench's ``biodeep_real`` / ``biodeep_fake``). It has no train split: its
DeepfakeBench rearrangement puts every video in train, val and test alike, so training on it
would be training on the test set.
"""

from __future__ import annotations

from pathlib import Path

from shared.data.errors import DatasetNotFoundError
from shared.errors import ConfigError
from deepfake_bench.data.image_folders import EXTENSIONS
from deepfake_bench.data.videos import VideoRecord

LAYOUT = "<root>/{real,fake}/videos/*.mp4 or <root>/{real,fake}/frames/<video>/*.png"
SOURCE = "https://huggingface.co/datasets/University-of-Bucharest-BioDeep/BioDeepAV"


def read_biodeepav(root: Path, split: str = "test") -> list[VideoRecord]:
    """Every video (mp4 files when present, else frame folders), real first."""
    if split != "test":
        raise ConfigError(
            "data.init_args.split", split, "'test'", "BioDeepAV is a test-only benchmark."
        )
    root = Path(root)
    records = []
    for label, name in ((0, "real"), (1, "fake")):
        videos = sorted((root / name / "videos").glob("*.mp4"))
        if videos:
            records += [VideoRecord(p.stem, label, p, "BioDeepAV") for p in videos]
            continue
        for folder in sorted(p for p in (root / name / "frames").glob("*") if p.is_dir()):
            frames = tuple(sorted(f for f in folder.iterdir() if f.suffix.lower() in EXTENSIONS))
            records.append(VideoRecord(folder.name, label, frames, "BioDeepAV"))
    if not {r.label for r in records} >= {0, 1}:
        raise DatasetNotFoundError("BioDeepAV", root, LAYOUT, SOURCE)
    return records
