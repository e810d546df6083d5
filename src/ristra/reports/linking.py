"""The equations between tables of one release, found from what each count means.

An attacker who reads every report cut from one release can combine their tables. Two kinds of
equation follow from the meanings of the counts (:class:`~ristra.reports.measures.Meaning`):

* **identity** — two cells with the same meaning show the same number (the total of every
  category's table is the same count; faculty by rank appear in the LCME tables and on the path);
* **sum** — a cell equals the sum of the cells that add one ``eq`` atom to its meaning (all
  years = the sum of the years shown; all ranks = the sum of the ranks), when it does so on the
  counts. When the parts shown do not cover the whole (three of ten cycles), the sum does not
  hold and no equation is added: the attacker then knows only an inequality (parts ≤ whole),
  which the audit does not model (docs/reports.md, "What the audit covers").

Adding an equation that holds on the data can only make protection stronger (the attacker is
assumed to know more), never weaker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ristra.core.disclosure import CellRef, Link
from ristra.reports.measures import Meaning
from ristra.reports.planning import TablePlan


def links_for(plans: Sequence[TablePlan]) -> tuple[Link, ...]:
    """Identity and sum links between the cells of ``plans`` (see the module docstring)."""
    first: dict[Meaning, CellRef] = {}
    value: dict[Meaning, int] = {}
    links: list[Link] = []
    for plan in sorted(plans, key=lambda p: p.table.key):
        for (row, col), what in sorted(plan.meanings.items()):
            ref = CellRef(plan.table.key, row, col)
            count = plan.table.counts[row][col]
            if what not in first:
                first[what], value[what] = ref, count
            elif value[what] == count:
                links.append(Link(first[what], (ref,)))
    parts: dict[tuple[Meaning, str], list[Meaning]] = defaultdict(list)
    for what in first:
        for atom in what.atoms:
            if atom[0] == "eq":
                base = Meaning(what.dataset, tuple(a for a in what.atoms if a != atom), what.category, what.level)
                parts[(base, atom[1])].append(what)
    for (base, _), members in sorted(parts.items(), key=lambda item: repr(item[0])):
        if base in first and sum(value[m] for m in members) == value[base]:
            cells = tuple(sorted(first[m] for m in members))
            if first[base] not in cells:
                links.append(Link(first[base], cells))
    return tuple(links)
