"""Checks on the arguments of the public statistical functions, and the normal quantile.

Counts that cannot be counts (negative, non-integer, more successes than trials) and
confidence levels outside (0, 1) are programming errors and raise ``ValueError``; small or
empty groups are *not* errors — every function returns a value for them, shown wide and
flagged.
"""

from __future__ import annotations

import functools
import math
import numbers

from scipy import stats


def check_count_pair(k: int, n: int, what: str = "count") -> tuple[int, int]:
    """Return ``(k, n)`` as ints after checking ``0 <= k <= n``; ``what`` names them in errors."""
    for name, value in (("successes", k), ("total", n)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, numbers.Real) and float(value).is_integer():
                continue
            raise ValueError(f"{what}: {name} must be a whole number, got {value!r}")
    k_int, n_int = int(k), int(n)
    if n_int < 0 or k_int < 0:
        raise ValueError(f"{what}: counts must not be negative (k={k_int}, n={n_int})")
    if k_int > n_int:
        raise ValueError(f"{what}: more successes than the total (k={k_int} > n={n_int})")
    return k_int, n_int


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` as a float after checking it lies strictly between 0 and 1."""
    value = float(confidence)
    if not (0.0 < value < 1.0) or math.isnan(value):
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return value


def normal_quantile(confidence: float) -> float:
    """The two-sided standard-normal critical value z with P(|Z| <= z) = ``confidence``
    (remembered per confidence level: every interval of a pack asks for the same few)."""
    return _normal_quantile(check_confidence(confidence))


@functools.lru_cache(maxsize=64)
def _normal_quantile(confidence: float) -> float:
    return float(stats.norm.isf((1.0 - confidence) / 2.0))
