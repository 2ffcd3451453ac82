"""CBM as a thin LightningModule over the shared image classifier.

Training batches pass through :class:`~cbm.model.MaskIn` before the backbone, with the ratio the
:class:`~cbm.callbacks.MaskingCurriculum` callback set for this epoch. Validation and test see
clean images; the test pass also reports accuracy under a fixed random occlusion
(``test/occluded_acc``), the mechanism-level metric of the digits reproduction.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torchmetrics.classification import MulticlassAccuracy

from cbm.model import RATIO_FLOOR, MaskIn, mask_patches
from cbm.saliency import sobel_patch_saliency
from shared.classification import ImageClassifier
from shared.errors import ConfigError, check_range

ProbsSource = Literal["sobel", "sobel_online", "uniform"]


class CBMClassifier(ImageClassifier):
    """Curriculum by Masking.

    Args:
        patches: patches per side ``n`` of the masking grid (official: 4, so 16 patches).
        ratio_floor: positive ratios below it are raised to it (official: 0.07).
        probs_source: ``sobel`` takes the precomputed per-image probabilities from the batch
            (wrap the data in :class:`cbm.data.SaliencyDataModule`), as the official code;
            ``sobel_online`` computes them from each (possibly augmented) training batch;
            ``uniform`` masks patches uniformly at random (the saliency ablation).
        occlusion_patches: patches of an ``occlusion_grid`` × ``occlusion_grid`` grid hidden per
            test image for ``test/occluded_acc`` (0: off), drawn uniformly with a generator
            seeded by ``occlusion_seed`` at every test pass, so every model sees the same ones.
        kwargs: ``backbone``, ``num_classes``, ``optimizer``, ``lr_scheduler`` of
            :class:`shared.classification.ImageClassifier`.
    """

    def __init__(
        self,
        patches: int = 4,
        ratio_floor: float = RATIO_FLOOR,
        probs_source: ProbsSource = "sobel",
        occlusion_patches: int = 4,
        occlusion_grid: int = 4,
        occlusion_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if probs_source not in ProbsSource.__args__:
            raise ConfigError("model.probs_source", probs_source, f"one of {ProbsSource.__args__}")
        check_range("model.occlusion_grid", occlusion_grid, 1)
        check_range("model.occlusion_patches", occlusion_patches, 0, occlusion_grid**2)
        self.masking = MaskIn(patches, ratio_floor)
        self.probs_source = probs_source
        self.occlusion_patches, self.occlusion_grid = occlusion_patches, occlusion_grid
        self.occlusion_seed = occlusion_seed
        self.mask_ratio = 0.0
        self.test_occluded_acc = MulticlassAccuracy(self.num_classes, average="micro")
        self._occlusion_generator: torch.Generator | None = None

    def on_fit_start(self) -> None:
        super().on_fit_start()
        data_patches = getattr(self.trainer.datamodule, "patches", None)
        if self.probs_source == "sobel" and data_patches not in (None, self.masking.patches):
            raise ConfigError(
                "model.patches",
                self.masking.patches,
                f"{data_patches}, the patches per side the data's probabilities were computed for",
            )

    def patch_probabilities(self, batch: tuple) -> torch.Tensor | None:
        """The masking distribution for this batch: cached, computed now, or None (uniform)."""
        images = batch[0]
        if self.probs_source == "uniform":
            return None
        if self.probs_source == "sobel_online":
            return sobel_patch_saliency(images.detach(), self.masking.patches)
        if len(batch) < 3:
            raise ConfigError(
                "model.probs_source",
                self.probs_source,
                "training batches (image, label, probabilities)",
                "Wrap the data in `cbm.data.SaliencyDataModule`, or use `sobel_online` / `uniform`.",
            )
        return batch[2]

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        images, labels = batch[0], batch[1]
        masked = self.masking(images, self.mask_ratio, self.patch_probabilities(batch))
        return super().training_step((masked, labels), batch_idx)

    def on_test_epoch_start(self) -> None:
        self._occlusion_generator = torch.Generator().manual_seed(self.occlusion_seed)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        super().test_step(batch, batch_idx)
        if self.occlusion_patches == 0:
            return
        images, labels = batch
        weights = torch.ones(len(images), self.occlusion_grid**2)
        hidden = torch.multinomial(
            weights, self.occlusion_patches, generator=self._occlusion_generator
        )
        occluded = mask_patches(images, hidden.to(images.device), self.occlusion_grid)
        self.test_occluded_acc(self(occluded), labels)
        self.log("test/occluded_acc", self.test_occluded_acc)
