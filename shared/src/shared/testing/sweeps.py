"""A project's reproduction shrunk to seconds, for its end-to-end test."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from shared.sweep import Sweep

ONE_BATCH = (
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=1",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
)


def shrunk(
    sweep: Sweep, seeds: Sequence[int] = (0,), overrides: Sequence[str] = ONE_BATCH
) -> Sweep:
    """``sweep`` with ``seeds`` only (arms with their own seeds keep the first of them) and
    ``overrides`` appended to every trained arm."""
    arms = tuple(
        dataclasses.replace(
            arm,
            overrides=(*arm.overrides, *overrides) if arm.train else arm.overrides,
            seeds=None if arm.seeds is None else tuple(arm.seeds[:1]),
        )
        for arm in sweep.arms
    )
    return dataclasses.replace(sweep, arms=arms, seeds=tuple(seeds))
