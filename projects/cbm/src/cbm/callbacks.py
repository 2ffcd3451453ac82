"""The curriculum: a callback that sets the masking ratio from the epoch and logs it."""

from __future__ import annotations

import pytorch_lightning as pl

from cbm.model import masked_patch_count
from cbm.schedules import CYCLE_40, build_schedule
from shared.errors import ConfigError, check_range


class MaskingCurriculum(pl.Callback):
    """Sets ``pl_module.mask_ratio = ratios[current_epoch]`` at the start of every epoch.

    The ratios come from a named schedule (``linear_repeat``, ``linear``, ``log``, ``exp``,
    ``anti_linear``, ``static``, ``baseline``) with ``(r_min, r_max)``, built for
    ``trainer.max_epochs``; or are given explicitly in ``ratios``, one per epoch. Reading the
    ratio from the epoch (not counting calls) keeps a resumed run on the same curriculum.
    Logs ``train/mask_ratio`` and ``train/masked_patches`` (K) every epoch.
    """

    def __init__(
        self,
        schedule: str = "linear_repeat",
        r_min: float = CYCLE_40[0],
        r_max: float = CYCLE_40[1],
        ratios: list[float] | None = None,
    ) -> None:
        super().__init__()
        if ratios is not None:
            for epoch, ratio in enumerate(ratios):
                check_range(f"ratios[{epoch}]", ratio, 0.0, 1.0)
        self.schedule, self.r_min, self.r_max = schedule, r_min, r_max
        self.explicit = None if ratios is None else [float(r) for r in ratios]
        self.ratios: list[float] = []

    reads_max_epochs = "cbm.callbacks.MaskingCurriculum (one masking ratio per epoch of the budget)"

    def build(self, epochs: int) -> list[float]:
        """The per-epoch ratios for a run of ``epochs`` epochs."""
        if self.explicit is None:
            return build_schedule(self.schedule, epochs, self.r_min, self.r_max)
        if len(self.explicit) != epochs:
            raise ConfigError(
                "trainer.callbacks.MaskingCurriculum.ratios",
                f"a list of {len(self.explicit)} ratios",
                f"one ratio per epoch, i.e. {epochs} (trainer.max_epochs)",
            )
        return list(self.explicit)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit":
            if trainer.max_epochs is None or trainer.max_epochs < 1:
                raise ConfigError(
                    "trainer.max_epochs", trainer.max_epochs, "a positive number of epochs"
                )
            self.ratios = self.build(trainer.max_epochs)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        ratio = self.ratios[trainer.current_epoch]
        pl_module.mask_ratio = ratio
        patches = pl_module.masking.patches
        count = masked_patch_count(ratio, patches, pl_module.masking.floor)
        pl_module.log("train/mask_ratio", ratio, on_step=False, on_epoch=True)
        pl_module.log("train/masked_patches", float(count), on_step=False, on_epoch=True)
