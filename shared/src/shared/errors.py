"""Errors that end a run with one readable paragraph instead of a library traceback."""

from __future__ import annotations

import math
from typing import Any


class ConfigError(ValueError):
    """A configuration value is wrong: names the field, what was found and what was expected."""

    def __init__(self, field: str, found: Any, expected: str, hint: str = "") -> None:
        self.field, self.found, self.expected = field, found, expected
        message = f"Config field `{field}` is {found!r}, expected {expected}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


def check_range(
    field: str,
    value: float,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` if it lies in the interval, else raise a :class:`ConfigError`."""
    above = value >= low if low_inclusive else value > low
    below = value <= high if high_inclusive else value < high
    if not (above and below) or (isinstance(value, float) and math.isnan(value)):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        raise ConfigError(field, value, f"a value in {left}{low}, {high}{right}")
    return value
