"""Train Lightning-fast frame-level video anomaly detection by multi-scale adversarial distillation: `python train.py [--config configs/<file>.yaml] [--resume]`."""

from pathlib import Path

from shared.cli import main

if __name__ == "__main__":
    main(Path(__file__).parent)
