"""The E-value: how strong unmeasured confounding would have to be to explain away a risk ratio.

Method: for an observed risk ratio RR ≥ 1, E = RR + √(RR·(RR − 1)); a ratio below 1 is inverted
first (RR* = 1/RR). The E-value of the interval is that of the confidence limit nearest 1, and 1
when the interval includes 1 (VanderWeele & Ding 2017, Table 1). It is the minimum strength of
association, on the risk-ratio scale, that an unmeasured confounder would need with both the
exposure (taking part in the program) and the outcome, conditional on the measured covariates, to
move the estimate (or its interval) to the null.

Assumptions: the estimate is a risk ratio (an odds ratio of a common outcome would first need
converting); the bound is for a confounder that could act in the worst direction; it says nothing
about bias from linkage error or selection.

Reference: VanderWeele & Ding, Ann. Intern. Med. 167 (2017) 268–274.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class EValue:
    """The E-value of a risk ratio (``point``) and of its confidence limit nearest 1 (``limit``,
    the limit itself in ``nearest_limit``); NaN when the ratio is undefined."""

    risk_ratio: float
    point: float
    nearest_limit: float
    limit: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def e_value_of(rr: float) -> float:
    """E = RR + √(RR(RR − 1)) after inverting a ratio below 1; NaN for a ratio that is not positive
    and finite."""
    if not (rr > 0 and math.isfinite(rr)):
        return float("nan")
    r = 1 / rr if rr < 1 else rr
    return r + math.sqrt(r * (r - 1))


def e_value(rr: float, lower: float, upper: float) -> EValue:
    """The E-values of ``rr`` and of its interval (``lower``, ``upper``) (module docstring)."""
    if not (rr > 0 and math.isfinite(rr)):
        return EValue(rr, float("nan"), float("nan"), float("nan"))
    if (math.isnan(lower) or math.isnan(upper)):
        return EValue(rr, e_value_of(rr), float("nan"), float("nan"))
    if lower <= 1 <= upper:
        nearest = 1.0
        return EValue(rr, e_value_of(rr), nearest, 1.0)
    nearest = lower if rr > 1 else upper
    return EValue(rr, e_value_of(rr), nearest, e_value_of(nearest))
