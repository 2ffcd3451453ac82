"""Train deepfake_bench (default: cnndet_lite's cross-generator matrix on DFB-Synth): `python train.py [--config configs/<file>.yaml] [--resume]`."""

from pathlib import Path

from shared.cli import main

if __name__ == "__main__":
    main(Path(__file__).parent)
