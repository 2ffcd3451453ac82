"""Train the tiny project with DDP on two CPU processes (gloo). Usage: ddp_train.py PROJECT_DIR."""

import sys

from shared.cli import main

if __name__ == "__main__":
    main(
        sys.argv[1],
        ["--trainer.strategy=ddp", "--trainer.accelerator=cpu", "--trainer.devices=2"],
    )
