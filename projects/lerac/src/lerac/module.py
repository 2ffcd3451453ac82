"""Thin LightningModules: LeRaC's per-block optimizer groups, and the CBS baseline."""

from __future__ import annotations

from typing import Any

from lerac.cbs import GaussianSmoothing, attach_smoothing
from lerac.groups import lerac_param_groups
from lerac.schedules import cbs_sigma
from shared.classification import NOT_HYPERPARAMETERS, ImageClassifier
from shared.errors import check_range


class LeRaCClassifier(ImageClassifier):
    """An :class:`ImageClassifier` whose optimizer has one group per LeRaC block.

    η⁽⁰⁾ is the optimiser's learning rate; the rates then move under the
    :class:`lerac.callbacks.LeRaC` callback.

    Args:
        grouping: a preset (``resnet``, ``wrn_official``, ``wrn``, ``cvt``) or a list of
            ``{name, prefixes, rate}`` blocks.
        lerac_min_lr: the official ``min_lr`` floor of the start rates.
        clf_lr: the classifier's start rate as a fraction of η⁽⁰⁾.
        lerac_factor: the factor between consecutive blocks' start rates (official 0.1).
        floor_inclusive: the pretrained-CvT ``>=`` floor test instead of ``>``.
        s0_factor: overrides the preset's first-block start, ``s0 = η⁽⁰⁾·s0_factor``.
        kwargs: ``backbone``, ``num_classes``, ``optimizer``, ``lr_scheduler`` of
            :class:`shared.classification.ImageClassifier`.
    """

    def __init__(
        self,
        grouping: str | list[dict[str, Any]] = "resnet",
        lerac_min_lr: float = 1e-5,
        clf_lr: float = 1e-3,
        lerac_factor: float = 0.1,
        floor_inclusive: bool = False,
        s0_factor: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_range("model.lerac_min_lr", lerac_min_lr, 0.0, low_inclusive=False)
        check_range("model.clf_lr", clf_lr, 0.0, low_inclusive=False)
        check_range(
            "model.lerac_factor", lerac_factor, 0.0, 1.0, low_inclusive=False, high_inclusive=False
        )
        if s0_factor is not None:
            check_range("model.s0_factor", s0_factor, 0.0, 1.0, low_inclusive=False)
        self.save_hyperparameters(ignore=NOT_HYPERPARAMETERS)
        self.parameter_groups()  # a bad grouping fails here, before any data is loaded

    def parameter_groups(self) -> list[dict[str, Any]]:
        hp = self.hparams
        return lerac_param_groups(
            self.backbone,
            hp.grouping,
            eta0=self.optimizer_defaults["lr"],
            min_lr=hp.lerac_min_lr,
            clf_lr=hp.clf_lr,
            factor=hp.lerac_factor,
            inclusive_floor=hp.floor_inclusive,
            s0_factor=hp.s0_factor,
        )

    def start_rates(self) -> dict[str, float]:
        """Each block's starting rate, by group name (for logs and tests)."""
        return {g["name"]: g["lr"] for g in self.parameter_groups()}


class CBSClassifier(ImageClassifier):
    """Curriculum by Smoothing: every spatial conv's output is blurred with a Gaussian whose σ
    starts at ``cbs_sigma`` and is multiplied by ``cbs_factor`` every ``cbs_every`` epochs
    (pairlab/CBS defaults 1, 0.9, 5; kernel 3). The blur stays on for evaluation, as there.

    Args:
        cbs_sigma: the blur's initial standard deviation.
        cbs_factor: its factor every ``cbs_every`` epochs.
        cbs_every: epochs between two reductions of σ.
        cbs_kernel_size: side of the Gaussian kernel.
        kwargs: ``backbone``, ``num_classes``, ``optimizer``, ``lr_scheduler`` of
            :class:`shared.classification.ImageClassifier`.
    """

    def __init__(
        self,
        cbs_sigma: float = 1.0,
        cbs_factor: float = 0.9,
        cbs_every: int = 5,
        cbs_kernel_size: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_range("model.cbs_factor", cbs_factor, 0.0, 1.0, low_inclusive=False)
        check_range("model.cbs_every", cbs_every, 1)
        self.save_hyperparameters(ignore=NOT_HYPERPARAMETERS)
        self.smoothing = GaussianSmoothing(cbs_kernel_size, cbs_sigma)
        self._hooks = attach_smoothing(self.backbone, self.smoothing)

    def smooth_for_epoch(self, epoch: int) -> None:
        """Set σ for a (0-based) epoch."""
        hp = self.hparams
        self.smoothing.set_sigma(cbs_sigma(epoch, hp.cbs_sigma, hp.cbs_factor, hp.cbs_every))

    def on_train_epoch_start(self) -> None:
        self.smooth_for_epoch(self.current_epoch)
        self.log("train/cbs_sigma", float(self.smoothing.sigma), on_step=False, on_epoch=True)
