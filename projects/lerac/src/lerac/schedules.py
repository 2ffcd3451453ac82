"""LeRaC's learning-rate rules and the post-curriculum cosine, as pure functions."""

from __future__ import annotations

import math

from shared.errors import ConfigError

UPDATES_PER_EPOCH = (1, 2, 4)


def update_points(batches_per_epoch: int, updates_per_epoch: int) -> frozenset[int]:
    """Optimizer-step counts (1-based, within an epoch) after which the official code updates.

    The end-of-epoch update is separate. With ``L`` batches: none for 1 update per epoch,
    ``{L//2}`` for 2, ``{L//4, L//2, 3L//4}`` for 4. The official loop tests membership, so
    coinciding points (tiny ``L``) count once and a point of 0 never fires.
    """
    if updates_per_epoch not in UPDATES_PER_EPOCH:
        raise ConfigError(
            "LeRaC.update_per_epoch", updates_per_epoch, f"one of {UPDATES_PER_EPOCH}"
        )
    length = batches_per_epoch
    if updates_per_epoch == 2:
        return frozenset({length // 2})
    if updates_per_epoch == 4:
        return frozenset({length // 4, length // 2, 3 * length // 4})
    return frozenset()


def official_update(lr: float, scale: float, stop_lr: float) -> float:
    """One official ``update_lr`` on one group: ``lr · scale`` if that stays below ``stop_lr``."""
    return lr * scale if lr * scale < stop_lr else lr


def paper_lr(start: float, eta0: float, t: int, k: int) -> float:
    """The paper's closed form η_j⁽ᵗ⁾ = η_j⁽⁰⁾ · c^{(t/k)·log_c(η⁽⁰⁾/η_j⁽⁰⁾)}, for any ``t``.

    The base ``c`` cancels, so it is evaluated in log space as the geometric interpolation
    ``η_j⁽⁰⁾ · exp((t/k)·ln(η⁽⁰⁾/η_j⁽⁰⁾))`` (each step monotone in ``t`` under rounding, capped
    at η⁽⁰⁾): every block reaches η⁽⁰⁾ exactly at ``t = k`` and stays there for ``t > k``.
    """
    if k < 1:
        raise ConfigError("LeRaC.k", k, "a curriculum length of at least one iteration")
    if t >= k:
        return eta0
    return min(eta0, start * math.exp(max(t, 0) / k * math.log(eta0 / start)))


def timm_cosine(base: float, t: float, t_initial: float, lr_min: float) -> float:
    """timm's ``CosineLRScheduler`` without warm-up, first cycle: ``lr_min`` from ``t_initial`` on."""
    if t >= t_initial:
        return lr_min
    return lr_min + 0.5 * (base - lr_min) * (1.0 + math.cos(math.pi * t / t_initial))


def cbs_sigma(epoch: int, sigma0: float, factor: float, every: int) -> float:
    """CBS blur width in (0-based) ``epoch``: σ₀ · factor^⌊epoch / every⌋ (pairlab/CBS)."""
    return sigma0 * factor ** (epoch // every)
