"""`make reproduce-vad_distill`: the ShapesVAD reproduction (issue 12, item 4) is not built yet."""

from __future__ import annotations

import sys

MESSAGE = (
    "vad_distill: the reproduction (issue 12, item 4) is not built yet; "
    "`python train.py` runs the tiny default demo on ShapesVAD."
)


def main() -> int:
    print(MESSAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
