"""Lightning's messages that are harmless here, and the switch that keeps them out of the output.

Each entry says why it is harmless, so a new kind of message is seen rather than hidden.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

HARMLESS_WARNINGS = {
    r"`isinstance\(treespec, LeafSpec\)` is deprecated": "Lightning's own use of an old torch API",
    r"The number of training batches \(\d+\) is smaller than the logging interval": (
        "every shared module also logs each training term's epoch mean"
    ),
    r"does not have many workers which may be a bottleneck": (
        "in-memory and generated data load in the training process by design"
    ),
    r"LightningCLI's args parameter is intended": (
        "train.py and the sweeps pass each run's command line as `args` on purpose"
    ),
}
HARMLESS_INFO = {
    r"^💡 Tip": "an advertisement for an optional package",
    r"^(GPU|TPU|HPU) available": "the accelerator is recorded in every results stamp",
    r"^LOCAL_RANK": "device visibility, not a result",
    r"^Seed set to": "the seed is in the run's config.yaml and metrics.json",
    r"^(Restoring states from|Loaded model weights from) the checkpoint": (
        "testing the best checkpoint is the documented protocol"
    ),
}
LIGHTNING_LOGGERS = (
    "pytorch_lightning.utilities.rank_zero",
    "lightning_fabric.utilities.rank_zero",
    "lightning_fabric.utilities.seed",
)


class _DropHarmless(logging.Filter):
    def __init__(self, patterns: list[str]) -> None:
        super().__init__()
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns))

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.search(record.getMessage())


@contextmanager
def quiet_lightning(info: bool = True) -> Iterator[None]:
    """Within the block, drop :data:`HARMLESS_WARNINGS` and :data:`HARMLESS_INFO`; with
    ``info=False`` drop every Lightning info line (sweeps print their own line per run)."""
    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    levels = [logger.level for logger in loggers]
    harmless = _DropHarmless(list(HARMLESS_INFO))
    for logger in loggers:
        logger.addFilter(harmless)
        if not info:
            logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for pattern in HARMLESS_WARNINGS:
                warnings.filterwarnings("ignore", message=f".*{pattern}")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeFilter(harmless)
            logger.setLevel(level)
