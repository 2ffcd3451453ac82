"""Write a tiny CIFAR-10/100 in the official "python version" pickle layout."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from shared.data.cifar import cifar_layout


def write_cifar_fixture(
    root: Path, name: str = "cifar10", per_file: int = 20, seed: int = 0
) -> Path:
    """Write ``per_file`` random images into every batch file of ``name``; return the folder.

    Labels cycle through the classes, so every class appears when ``per_file`` allows.
    """
    layout = cifar_layout(name)
    folder = Path(root) / layout.folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index, file in enumerate((*layout.train_files, *layout.test_files)):
        labels = [(index * per_file + i) % layout.num_classes for i in range(per_file)]
        batch = {
            b"batch_label": file.encode(),
            b"data": rng.integers(0, 256, size=(per_file, 3072), dtype=np.uint8),
            layout.label_key: labels,
            b"filenames": [f"{file}_{i}.png".encode() for i in range(per_file)],
        }
        if name == "cifar100":
            batch[b"coarse_labels"] = [label // 5 for label in labels]
        with (folder / file).open("wb") as handle:
            pickle.dump(batch, handle)
    meta = {layout.names_key: [f"class_{i}".encode() for i in range(layout.num_classes)]}
    with (folder / layout.meta_file).open("wb") as handle:
        pickle.dump(meta, handle)
    return folder
