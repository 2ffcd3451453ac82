"""`python -m deepfake_bench.reproduce`: the reproduction is not built yet (issue 15)."""

from __future__ import annotations

import sys

MESSAGE = (
    "deepfake_bench: the reproduction (every detector's cross-generator matrix, LOGO, robustness, "
    "seeds 0-2, beside the survey's BioDeepAV table) is not built yet (issue 15); "
    "`python train.py` runs the tiny default: cnndet_lite's 5x5 matrix on DFB-Synth."
)


def main() -> int:
    print(MESSAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
