"""DeepfakeBench's dataset JSON (``preprocessing/dataset_json/<Dataset>.json``).

``{dataset: {label_name: {split: {video: {"label": label_name, "frames": [...]}}}}}``, where
FaceForensics++ inserts a compression level (``c23``, ...) between split and video. Label names
map to 0/1 through a ``label_dict`` (DeepfakeBench's ``train_config.yaml``; labels >= 1 are
folded to fake, as its ``test.py`` does for UCF's per-manipulation labels). Frame paths are
taken relative to ``root`` unless absolute.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from deepfake_bench.data.videos import VideoRecord

LAYOUT = '{dataset: {label_name: {split: [compression:] {video: {"label", "frames"}}}}}'
SOURCE = "DeepfakeBench's preprocessing (github.com/SCLBD/DeepfakeBench, rearrange.py)"


def _videos(node: Mapping, compression: str) -> Mapping:
    """The ``video -> info`` mapping of one split, under the compression level if there is one."""
    if node and all(isinstance(v, Mapping) and "frames" in v for v in node.values()):
        return node
    if compression in node:
        return node[compression]
    return {}


def read_deepfakebench_json(
    path: Path,
    label_dict: Mapping[str, int],
    split: str = "test",
    compression: str = "c23",
    root: Path | None = None,
    check_frames: bool = True,
) -> list[VideoRecord]:
    """The videos of ``split`` with their frame paths and 0/1 labels."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(path.name, path.parent, LAYOUT, SOURCE)
    content = json.loads(path.read_text())
    root = Path(root) if root is not None else path.parent
    records = []
    for dataset, by_label in content.items():
        for label_name, by_split in by_label.items():
            for video, info in _videos(by_split.get(split, {}), compression).items():
                name = info.get("label", label_name)
                if name not in label_dict:
                    raise DatasetFormatError(
                        path,
                        f"label name {name!r} (video {video!r})",
                        f"a label of label_dict: {sorted(label_dict)}",
                    )
                frames = tuple(Path(f) if Path(f).is_absolute() else root / f
                               for f in info["frames"])  # fmt: skip
                if check_frames and (missing := [f for f in frames if not f.is_file()]):
                    raise DatasetFormatError(
                        path, f"video {video!r} naming a missing frame {missing[0]}",
                        "frames that exist (rerun DeepfakeBench's preprocessing or fix root)",
                    )  # fmt: skip
                label = 1 if label_dict[name] >= 1 else 0
                records.append(VideoRecord(f"{dataset}/{video}", label, frames, dataset))
    return records
