"""Train An out-of-distribution deepfake benchmark for image, audio and audio-visual detectors: `python train.py [--config configs/<file>.yaml] [--resume]`."""

from pathlib import Path

from shared.cli import main

if __name__ == "__main__":
    main(Path(__file__).parent)
