"""Disclosure control: the one path by which a table leaves the engine.

>>> from ristra.core.tables import crosstab
>>> from ristra.core.disclosure import PUBLIC, release
>>> table = crosstab("Faculty by rank", [[3, 20, 30], [15, 25, 12], [40, 14, 50]],
...                  rows=["Assistant", "Associate", "Full"], cols=["A", "B", "C"])
>>> released = release(table, PUBLIC)
>>> released.cells[0][0] is None, released.suppression_summary.passed
(True, True)

* :class:`Policy` (presets :data:`PUBLIC`, threshold 11, and :data:`INTERNAL`, threshold 5);
* :func:`release` — primary suppression, complementary suppression by an exact MILP
  (Fischetti & Salazar-González 2001) over all margins and equations between tables, and the
  attack by linear programming; returns :class:`ReleasedTable` values only it can build;
* :class:`Equation` and the helpers :func:`same_column`, :func:`same_row`, :func:`same_cells`,
  :func:`across_years` for equations between tables of one release.

See ``docs/disclosure.md`` for the formulation, the protection model and references.
"""

from ristra.core.disclosure.equations import (
    Carried,
    CellRef,
    Equation,
    Order,
    across_years,
    same_cells,
    same_column,
    same_row,
)
from ristra.core.disclosure.errors import DisclosureError, PolicyError
from ristra.core.disclosure.policy import INTERNAL, PUBLIC, Policy, Protection
from ristra.core.disclosure.released import (
    SUPPRESSED,
    CellInterval,
    ReleasedDerived,
    ReleasedTable,
    SuppressionSummary,
)
from ristra.core.disclosure.releasing import release

__all__ = [
    "INTERNAL", "PUBLIC", "SUPPRESSED", "Carried", "CellInterval", "CellRef", "Order", "DisclosureError", "Equation", "Policy",
    "PolicyError", "Protection", "ReleasedDerived", "ReleasedTable", "SuppressionSummary", "across_years",
    "release", "same_cells", "same_column", "same_row",
]
