"""The DiscErn objective: cross-entropy plus per-tap Gini and KL terms, off during a warm-up.

``L = l_ce * CE + (1/T) sum_t l_gini[t] * Gini[t] + (1/T) sum_t l_kl[t] * KL[t]`` over ``T`` taps;
before ``start_epoch`` (1-based, as in the official code) both lambdas are zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import torch
import torch.nn.functional as F

from gini_loss.losses import (
    EPS,
    BatchClasses,
    Target,
    distribution_over,
    gini_per_filter,
    kl_to_target,
)
from shared.errors import ConfigError, check_range


def losses_active(epoch: int, start_epoch: int) -> bool:
    """Whether the feature terms count at 0-based ``epoch`` (official: 1-based epoch >= start)."""
    return epoch + 1 >= start_epoch


def mean_over_taps(values: list[torch.Tensor]) -> torch.Tensor:
    """The mean of per-tap scalars; one tap's value itself (the same number, no extra op)."""
    return values[0] if len(values) == 1 else torch.stack(values).mean()


class DiscErnObjective:
    """Combines the terms for ``num_taps`` taps with per-tap weights and the warm-up."""

    def __init__(
        self,
        num_taps: int,
        lambdas_gini: Sequence[float],
        lambdas_kl: Sequence[float],
        start_epoch: int = 10,
        target: Target = "batch",
        lambda_ce: float = 1.0,
        eps: float = EPS,
        official_eps_order: bool = True,
    ) -> None:
        if num_taps < 1:
            raise ConfigError("model.taps", num_taps, "at least one tap")
        for field, lambdas in (
            ("model.lambdas_gini", lambdas_gini),
            ("model.lambdas_kl", lambdas_kl),
        ):
            if len(lambdas) != num_taps:
                raise ConfigError(field, list(lambdas), f"one weight per tap ({num_taps} taps)")
            for value in lambdas:
                check_range(field, value, 0.0)
        check_range("model.start_epoch", start_epoch, 1)
        check_range("model.lambda_ce", lambda_ce, 0.0)
        self.lambdas_gini, self.lambdas_kl = list(lambdas_gini), list(lambdas_kl)
        self.start_epoch, self.target, self.lambda_ce = start_epoch, target, lambda_ce
        self.eps, self.official_eps_order = eps, official_eps_order

    def tap_terms(
        self, features: torch.Tensor, classes: BatchClasses
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Unweighted ``(Gini, KL)`` of one tap (KL is 0 when the target is None), the batch's
        labels already in ``classes`` (built once, shared by the taps).

        Computed in float32 even under bf16 autocast: ``eps = 1e-10`` and the per-class sums
        would otherwise be rounded away.
        """
        device = features.device.type
        autocast = torch.is_autocast_enabled(device)
        with torch.autocast(device, enabled=False) if autocast else nullcontext():
            distribution = distribution_over(features.float(), classes, self.eps)
            gini = gini_per_filter(distribution).mean()
            kl = kl_to_target(distribution, classes, self.target, self.eps, self.official_eps_order)
            return gini, kl

    def __call__(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        features: Sequence[torch.Tensor] | torch.Tensor,
        epoch: int,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss and the unweighted terms ``ce``, ``gini``, ``kl`` (means over taps).

        A bare tensor instead of a list reproduces the official code's quirk: the lambdas (and so
        the warm-up) are ignored and both terms get weight 1.
        """
        ce = F.cross_entropy(logits, labels)
        classes = BatchClasses.of(labels, logits.shape[1])
        if isinstance(features, torch.Tensor):
            gini, kl = self.tap_terms(features, classes)
            return self.lambda_ce * ce + gini + kl, {"ce": ce, "gini": gini, "kl": kl}
        if len(features) != len(self.lambdas_gini):
            raise ValueError(
                f"got {len(features)} tapped features for {len(self.lambdas_gini)} taps"
            )
        on = losses_active(epoch, self.start_epoch)
        total = self.lambda_ce * ce
        ginis, kls = [], []
        for tap, lambda_gini, lambda_kl in zip(
            features, self.lambdas_gini, self.lambdas_kl, strict=True
        ):
            gini, kl = self.tap_terms(tap, classes)
            if on:
                total = total + (lambda_gini * gini + lambda_kl * kl) / len(features)
            ginis.append(gini.detach())
            kls.append(kl.detach())
        terms = {"ce": ce, "gini": mean_over_taps(ginis), "kl": mean_over_taps(kls)}
        return total, terms
