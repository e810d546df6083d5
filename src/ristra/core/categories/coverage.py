"""Warnings about how a category behaves on the data (never errors: the data may change).

:func:`membership_warnings` takes the counts of ``yes``/``no``/``unknown`` for one category over
one dataset (the engine counts them with :func:`~.sql.membership_sql`) and warns when the rule
is always true, always false, matches nobody, or leaves everyone or most people unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WarningCode = Literal["no_rows", "matches_nobody", "always_true", "always_false", "all_unknown", "mostly_unknown"]

#: Share of unknowns above which a category is flagged ``mostly_unknown``.
MOSTLY_UNKNOWN = 0.5


@dataclass(frozen=True)
class MembershipCounts:
    """How many rows are ``yes``, ``no`` and ``unknown`` for one category."""

    yes: int
    no: int
    unknown: int

    def __post_init__(self) -> None:
        if min(self.yes, self.no, self.unknown) < 0:
            raise ValueError("counts must not be negative")

    @property
    def total(self) -> int:
        return self.yes + self.no + self.unknown

    def to_dict(self) -> dict[str, int]:
        return {"yes": self.yes, "no": self.no, "unknown": self.unknown, "total": self.total}


@dataclass(frozen=True)
class CategoryWarning:
    """A warning about one category over one dataset."""

    category: str
    dataset: str
    code: WarningCode
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"category": self.category, "dataset": self.dataset, "code": self.code, "message": self.message}


def membership_warnings(category: str, dataset: str, counts: MembershipCounts) -> list[CategoryWarning]:
    """The warnings for ``counts`` (empty when the category splits the data normally)."""

    def warn(code: WarningCode, message: str) -> CategoryWarning:
        return CategoryWarning(category, dataset, code, f"category {category} on {dataset}: {message}")

    n = counts.total
    if n == 0:
        return [warn("no_rows", "the dataset has no rows, so the rule could not be tried")]
    out: list[CategoryWarning] = []
    if counts.unknown == n:
        return [warn("all_unknown", f"all {n} rows are unknown: the columns the rule needs are missing")]
    if counts.yes == 0:
        out.append(warn("matches_nobody", f"the rule matches nobody ({counts.no} no, {counts.unknown} unknown)"))
    if counts.no == 0 and counts.unknown == 0:
        out.append(warn("always_true", f"the rule is true for all {n} rows"))
    elif counts.yes == 0 and counts.unknown == 0:
        out.append(warn("always_false", f"the rule is false for all {n} rows"))
    if counts.unknown / n > MOSTLY_UNKNOWN:
        out.append(warn("mostly_unknown", f"{counts.unknown} of {n} rows ({counts.unknown / n:.0%}) are unknown"))
    return out
