"""Crossing two categories: ``cross(a, b)`` is a category with the nine levels
(yes/no/unknown) × (yes/no/unknown), written ``"yes|no"`` (a's level, then b's).

Unknown stays a level of its own on either side, so crossing never drops anyone: the nine
levels sum to the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product

from ristra.core.categories.definitions import CategoryDefinition
from ristra.core.categories.evaluator import membership
from ristra.core.categories.sql import MEMBERSHIP_LEVELS, SqlFragment
from ristra.core.sql_dialect import DUCKDB, Dialect

SEPARATOR = "|"


@dataclass(frozen=True)
class CrossedCategory:
    """The intersection of two categories over the datasets both apply to."""

    a: CategoryDefinition
    b: CategoryDefinition

    def __post_init__(self) -> None:
        if self.a.id == self.b.id:
            raise ValueError(f"cannot cross category {self.a.id} with itself")
        if not self.datasets:
            raise ValueError(f"categories {self.a.id} and {self.b.id} share no dataset")

    @property
    def id(self) -> str:
        return f"{self.a.id}__x__{self.b.id}"

    @property
    def label(self) -> str:
        return f"{self.a.label} × {self.b.label}"

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(d for d in self.a.datasets if d in self.b.datasets)

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(f"{x}{SEPARATOR}{y}" for x, y in product(MEMBERSHIP_LEVELS, MEMBERSHIP_LEVELS))

    def parts_sql(self, dataset: str, dialect: Dialect = DUCKDB) -> tuple[SqlFragment, SqlFragment]:
        """The two membership expressions (group by both to get the nine cells)."""
        return self.a.membership_sql(dataset, dialect), self.b.membership_sql(dataset, dialect)

    def membership_sql(self, dataset: str, dialect: Dialect = DUCKDB) -> SqlFragment:
        """One expression giving the combined level, e.g. ``'yes|unknown'``."""
        left, right = self.parts_sql(dataset, dialect)
        return SqlFragment(f"(({left.sql}) || ? || ({right.sql}))", (*left.params, SEPARATOR, *right.params))

    def membership(self, row: Mapping[str, object], dataset: str) -> str:
        return f"{membership(self.a.checked(dataset), row)}{SEPARATOR}{membership(self.b.checked(dataset), row)}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "a": self.a.id,
            "b": self.b.id,
            "datasets": list(self.datasets),
            "levels": list(self.levels),
        }


def cross(a: CategoryDefinition, b: CategoryDefinition) -> CrossedCategory:
    """The crossed category of ``a`` and ``b`` (``ValueError`` if they share no dataset)."""
    return CrossedCategory(a, b)
