"""Disclosure policies: who the output is for and how much protection each small cell needs.

Contract
--------
A :class:`Policy` names an ``audience`` and a ``threshold`` *k*: every count *c* with
``1 <= c < k`` is a **primary** (sensitive) cell and is never shown nor derivable. Zeros are
shown unless ``show_zeros`` is false, in which case they are sensitive too. ``rounding``
(optional) rounds the *published* counts to a base for presentation; it is not a protection
device (the audit assumes the exact values are known, which is conservative).

Protection model (see ``docs/disclosure.md``)
---------------------------------------------
For a sensitive cell the attacker's feasible interval ``[lo, hi]`` (derived by linear
programming from everything released) must satisfy

* ``hi >= k + 1`` when ``Protection.insider`` (default), else ``hi >= k``: an attacker who is
  one of the cell's contributors and subtracts their own contribution still cannot rule out
  that the rest number at least *k*. In Fischetti & Salazar-González's terms the upper
  protection level is ``UPL = k + insider - c``;
* ``lo <= 0`` when ``Protection.lower_to_zero`` (default): the attacker cannot rule out that the
  cell is empty (lower protection level ``LPL = c``).

Both required bounds are the same for every sensitive cell, so publishing them reveals
nothing about any cell's value.

References: Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), ch. 4-5;
CMS Cell Size Suppression Policy (cells of 1-10 not shown or derivable; threshold 11).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ristra.core.disclosure.errors import PolicyError

CostModel = Literal["value", "cells"]


@dataclass(frozen=True)
class Protection:
    """Which attacker the protection must withstand (see the module docstring)."""

    insider: bool = True
    lower_to_zero: bool = True


@dataclass(frozen=True)
class Policy:
    """A disclosure policy for one audience.

    ``cost`` is what complementary suppression minimises: ``"value"`` (the sum of the
    suppressed counts; a zero costs 1) or ``"cells"`` (the number of suppressed cells).
    """

    audience: str
    threshold: int
    show_zeros: bool = True
    rounding: int | None = None
    protection: Protection = field(default_factory=Protection)
    cost: CostModel = "value"

    def __post_init__(self) -> None:
        if not isinstance(self.audience, str) or not self.audience.strip():
            raise PolicyError("a policy needs an audience name")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise PolicyError(f"the threshold must be a whole number, not {self.threshold!r}")
        if self.threshold < 1:
            raise PolicyError(f"the threshold must be at least 1 (got {self.threshold})")
        if self.rounding is not None and (
            isinstance(self.rounding, bool) or not isinstance(self.rounding, int) or self.rounding < 1
        ):
            raise PolicyError(f"rounding must be a whole number of at least 1 or None (got {self.rounding!r})")
        if self.cost not in ("value", "cells"):
            raise PolicyError(f"unknown cost model {self.cost!r} (use 'value' or 'cells')")
        if not isinstance(self.protection, Protection):
            raise PolicyError("protection must be a Protection")

    @property
    def required_upper(self) -> int:
        """The least upper bound an attacker must be left with for any sensitive cell."""
        return self.threshold + (1 if self.protection.insider else 0)

    @property
    def required_lower(self) -> int | None:
        """The greatest lower bound an attacker may derive for a sensitive cell (None: no rule)."""
        return 0 if self.protection.lower_to_zero else None

    def is_sensitive(self, count: int) -> bool:
        """Whether a count is primary-suppressed under this policy."""
        return 1 <= count < self.threshold or (count == 0 and not self.show_zeros)

    def publish(self, count: int) -> int:
        """The number shown for a published count: rounded half up to a multiple of ``rounding``
        when set, but never to a non-zero value below the threshold (so no shown figure looks
        like a small count)."""
        if self.rounding is None or count == 0:
            return count
        base = self.rounding
        shown = ((2 * count + base) // (2 * base)) * base
        if shown < self.threshold:
            shown = -(-self.threshold // base) * base
        return shown

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Public output: no count from 1 to 10 shown or derivable (CMS cell-size suppression policy).
PUBLIC = Policy(audience="public", threshold=11)
#: Internal output (e.g. department chairs): counts from 1 to 4 protected.
INTERNAL = Policy(audience="internal", threshold=5)
