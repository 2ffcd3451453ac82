"""Masking-ratio curricula: pure functions returning exactly one ratio per epoch (0-based).

They follow the official ``ablation/ablation_curricula.py`` value for value. Where the number of
epochs ``E`` is not a multiple of the official block (5 for the repeated cycle, 4 for the held
schedules), the official code returns a shorter list and would crash with an ``IndexError``; here
the official repetition is continued and cut at ``E`` instead: ``linear_repeat`` keeps cycling
(epoch ``e`` uses ``cycle[e % 5]``), and the held schedules keep holding their values 4 epochs
each, so the ``E % 4`` extra epochs repeat the last value.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from shared.errors import ConfigError, check_range

HOLD = 4
"""Epochs each value of the held schedules (linear, log, exp, anti-linear) lasts."""

FIBONACCI = (0, 1, 1, 2, 3, 5, 8)
"""``py_fibonacci``'s ``fibonacci(length=7)``, which the official cycle is built from."""

CYCLE_40 = (0.07, 0.4036067977500615)
CYCLE_60 = (0.10, 0.6036067977500615)
"""The official ``(r_min, r_max)`` pairs: the "40" and "60" cycles."""


def _check_epochs(epochs: int) -> None:
    if epochs < 1:
        raise ConfigError("epochs", epochs, "at least 1 epoch")


def _check_ratio(field: str, value: float) -> None:
    check_range(field, value, 0.0, 1.0)


def _held(values: list[float], epochs: int) -> list[float]:
    """Hold each value ``HOLD`` epochs; extend with the last value, then cut at ``epochs``."""
    if not values:
        raise ConfigError(
            "epochs", epochs, f"at least {HOLD} epochs, since each value is held {HOLD} epochs"
        )
    held = [float(v) for v in values for _ in range(HOLD)]
    held += [held[-1]] * max(0, epochs - len(held))
    return held[:epochs]


def fibonacci_cycle(r_min: float, r_max: float) -> list[float]:
    """The official 5-epoch "linear repeat" cycle: ``[r_min, r_max·ln F_i / ln 8 for F_i in 2,3,5,8]``."""
    _check_ratio("r_min", r_min)
    _check_ratio("r_max", r_max)
    logs = [r_max * math.log(f) / math.log(FIBONACCI[-1]) for f in FIBONACCI[3:]]
    return [r_min, *logs]


def linear_repeat(r_min: float, r_max: float, epochs: int) -> list[float]:
    """The official best schedule: the Fibonacci-log cycle, repeated; epoch e uses cycle[e % 5]."""
    _check_epochs(epochs)
    cycle = fibonacci_cycle(r_min, r_max)
    return [cycle[e % len(cycle)] for e in range(epochs)]


def linear(r_min: float, r_max: float, epochs: int) -> list[float]:
    """``linspace(r_min, r_max, E // 4)``, each value held 4 epochs (easy to hard)."""
    _check_epochs(epochs)
    _check_ratio("r_min", r_min)
    _check_ratio("r_max", r_max)
    return _held(np.linspace(r_min, r_max, epochs // HOLD).tolist(), epochs)


def anti_linear(r_min: float, r_max: float, epochs: int) -> list[float]:
    """The official ``linear`` list reversed (hard to easy), continued with its last value."""
    _check_epochs(epochs)
    _check_ratio("r_min", r_min)
    _check_ratio("r_max", r_max)
    values = np.linspace(r_min, r_max, epochs // HOLD).tolist()[::-1]
    return _held(values, epochs)


def log(r_max: float, epochs: int) -> list[float]:
    """``r_max · ln(i) / ln(E // 4)`` for ``i = 1..E // 4``, each held 4 epochs; starts at 0."""
    _check_epochs(epochs)
    _check_ratio("r_max", r_max)
    steps = epochs // HOLD
    if steps < 2:
        raise ConfigError("epochs", epochs, f"at least {2 * HOLD} epochs for the log schedule")
    return _held([r_max * math.log(i) / math.log(steps) for i in range(1, steps + 1)], epochs)


def exp(r_max: float, epochs: int, rate: float = 0.148) -> list[float]:
    """``r_max · e^{a·i} / e^{a·(E/4 − 1)}`` for ``i = 0..E // 4 − 1``, each held 4 epochs.

    ``E/4`` in the denominator is a true division, as in the official code, so for ``E`` not a
    multiple of 4 the last value stays below ``r_max``.
    """
    _check_epochs(epochs)
    _check_ratio("r_max", r_max)
    top = math.exp(rate * (epochs / HOLD - 1))
    values = [r_max * math.exp(rate * i) / top for i in range(epochs // HOLD)]
    for value in values:
        _check_ratio("exp schedule value", value)
    return _held(values, epochs)


def static(ratio: float, epochs: int) -> list[float]:
    """The same ratio every epoch."""
    _check_epochs(epochs)
    _check_ratio("ratio", ratio)
    return [float(ratio)] * epochs


def baseline(epochs: int) -> list[float]:
    """No masking: conventional training."""
    _check_epochs(epochs)
    return [0.0] * epochs


SCHEDULES: dict[str, Callable[..., list[float]]] = {
    "linear_repeat": linear_repeat,
    "linear": linear,
    "anti_linear": anti_linear,
    "log": log,
    "exp": exp,
    "static": static,
    "baseline": baseline,
}


def build_schedule(
    name: str, epochs: int, r_min: float = CYCLE_40[0], r_max: float = CYCLE_40[1]
) -> list[float]:
    """One ratio per epoch from a schedule name and the ``(r_min, r_max)`` knobs it uses.

    ``static`` uses ``r_max`` as its constant ratio; ``log`` and ``exp`` ignore ``r_min``.
    """
    if name not in SCHEDULES:
        raise ConfigError("schedule", name, f"one of {sorted(SCHEDULES)}")
    if name in ("linear_repeat", "linear", "anti_linear"):
        return SCHEDULES[name](r_min, r_max, epochs)
    if name in ("log", "exp", "static"):
        return SCHEDULES[name](r_max, epochs)
    return baseline(epochs)
