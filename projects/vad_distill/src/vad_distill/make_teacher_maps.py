"""`python -m vad_distill.make_teacher_maps --train <frames> --test <frames> --out <root>`: fit the
in-project teachers (spec §11.2) on a dataset in the fast-aed frame layout
(``<frames>/<video>/<frame>.png``) and write their maps as
``<out>/{train,test}/<teacher>/<video>/{1x1,4x4,16x16}/<frame>.npy`` — the folders a paper
config's ``train_teachers`` / ``test_teachers`` name. Videos are read one at a time, in grey."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from shared.data.errors import DatasetFormatError, DatasetNotFoundError, require_dir
from shared.vad.datasets import numbered_frames, read_image
from vad_distill.data import LAYOUT, SOURCE
from vad_distill.teachers.build import Video, build_teacher_maps
from vad_distill.teachers.scorers import TEACHERS


def videos(root: Path) -> Iterator[Video]:
    """``(name, (T, H, W) uint8 grey frames, frame stems)`` of every video folder, sorted."""
    folder = require_dir(root, "frames", LAYOUT, SOURCE)
    for video in sorted(p for p in folder.iterdir() if p.is_dir()):
        paths = numbered_frames(video)
        frames = [read_image(p, grayscale=True) for p in paths]
        if len({f.shape for f in frames}) > 1:
            raise DatasetFormatError(video, "frames of mixed sizes", "one frame size per video")
        yield video.name, np.stack(frames), [p.stem for p in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="training frames root")
    parser.add_argument("--test", type=Path, required=True, help="test frames root")
    parser.add_argument("--out", type=Path, required=True, help="where the maps go")
    parser.add_argument("--folds", type=int, default=3, help="cross-fitting folds")
    args = parser.parse_args(argv)
    try:
        roots = {split: {k: args.out / split / k for k in TEACHERS} for split in ("train", "test")}
        build_teacher_maps(
            videos(args.train), videos(args.test), roots["train"], args.folds,
            others_out=roots["test"],
        )  # fmt: skip
    except (DatasetNotFoundError, DatasetFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"teacher maps written under {args.out}/{{train,test}}/{{{','.join(TEACHERS)}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
