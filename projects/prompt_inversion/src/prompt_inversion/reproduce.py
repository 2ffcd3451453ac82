"""`make reproduce-prompt_inversion`: the embedded reproduction (issue 14, item 5) is not built yet."""

from __future__ import annotations

import sys

MESSAGE = (
    "prompt_inversion: the reproduction (issue 14, item 5) is not built yet; "
    "`python train.py` runs the tiny default (a small ViT on the rendered DiffusionDB)."
)


def main() -> int:
    print(MESSAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
