"""`make reproduce-curriculum_dpo`: not built yet (issue 13, item 5)."""

from __future__ import annotations

import sys

MESSAGE = (
    "curriculum_dpo: the reproduction (plain DPO vs Curriculum DPO at equal step budgets, seeds "
    "0-2, reward-vs-step curves; issue 13, item 5) is not built yet. `python train.py` runs the "
    "tiny embedded default (one Curriculum DPO run on the colour toy)."
)


def main() -> int:
    print(MESSAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
