"""Relations that hold by construction of the data between the counts of one publication.

An intruder who holds every table one audience can obtain also knows how the counts of the
data model relate. Every count cell carries a :class:`~ristra.core.publication.measures.Meaning`
(dataset, the atomic conditions selecting its rows, category and level); from the meanings
alone this module writes what the intruder can write:

* **identity** — two cells with the same meaning are one number;
* **sum over a dimension** — a cell equals the sum of the cells that add one ``eq`` atom on
  the same column (all years = the years; all programs = MD + PA), when the parts shown add up
  to it on the counts; an ``in`` atom equals the sum of its ``eq`` atoms (in training = active +
  on leave);
* **equalities between measures** (:data:`EQUALITIES`) declared from the data model: faculty
  followed = current + separated; offers not declined in cycle *y* = first-year students of *y*;
  students of a matriculation year = applications matriculated in that cycle. Each is kept only
  where it holds on the counts (an equality that happens to hold is assumed known: more
  protection, never less);
* **order relations** — ``A <= B`` whenever A's rows are a subset of B's: same unit (dataset,
  or retention population), B's atoms contained in A's atoms closed under the implications of
  :data:`IMPLICATIONS` (offered ⇒ interviewed ⇒ completed; matriculated ⇒ offered; declined ⇒
  offered; separated within 1 year ⇒ within 2 years ⇒ … ⇒ separated ⇒ followed), and B either
  the same category level or the total over every level. Only covering pairs are written (the
  rest follow by transitivity, which the LP applies exactly).

Within-table margins are not repeated here: each :class:`~ristra.core.tables.Table` states its
own additive structure. Adding a relation that holds on the data can only make protection
stronger, never weaker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ristra.core.disclosure import CellRef, Equation, Order
from ristra.core.publication.measures import Atom, Meaning

#: Flags (``("flag", name)`` atoms) implied by another flag, per dataset: a row with the key
#: flag also has the implied ones (the data dictionary's stage order).
IMPLICATIONS: Mapping[str, Mapping[Atom, tuple[Atom, ...]]] = {
    "applications": {
        ("flag", "interviewed"): (("flag", "completed"),),
        ("flag", "offered"): (("flag", "interviewed"),),
        ("flag", "declined"): (("flag", "offered"),),
        ("flag", "matriculated"): (("flag", "offered"),),
        ("flag", "waitlisted"): (("flag", "interviewed"),),
    },
    # pipeline-program participants (ristra.reports.program_outcomes): a stage of a later
    # application implies the one before it, and any later application implies a link
    "program_participants": {
        ("flag", "applied"): (("flag", "linked"),),
        ("flag", "completed"): (("flag", "applied"),),
        ("flag", "interviewed"): (("flag", "completed"),),
        ("flag", "offered"): (("flag", "interviewed"),),
        ("flag", "matriculated"): (("flag", "offered"),),
    },
}


@dataclass(frozen=True)
class Equality:
    """``whole == sum(parts)`` between measures of the data model.

    A cell whose meaning has every atom of ``whole_atoms`` (in ``whole_dataset``) relates to
    the cells whose meanings replace those atoms by each part's atoms (in the part's dataset),
    keeping the rest, with year columns renamed by ``years`` (whole column → part column)."""

    name: str
    whole_dataset: str
    whole_atoms: frozenset[Atom]
    parts: tuple[tuple[str, frozenset[Atom]], ...]
    years: tuple[tuple[str, str], ...] = ()


def _retention(what: str, population: str) -> Atom:
    return ("retention", what, population)


#: Equalities between different measures that hold by construction of the data.
EQUALITIES: tuple[Equality, ...] = (
    Equality("faculty followed = current + separated", "employees",
             frozenset({_retention("followed", "faculty")}),
             (("employees", frozenset({("eq", "employee_class", "faculty"), ("missing", "separation_date")})),
              ("employees", frozenset({_retention("separated", "faculty")})))),
    Equality("offers not declined = first-year students", "applications",
             frozenset({("flag", "offered"), ("not", "flag=declined")}),
             (("students", frozenset()),), (("cycle", "matriculation_year"),)),
    Equality("students = applications matriculated", "students", frozenset(),
             (("applications", frozenset({("flag", "matriculated")})),), (("matriculation_year", "cycle"),)),
)


@dataclass(frozen=True)
class PlacedCell:
    """One count cell of the publication: where it is, what it means, its (true) count."""

    ref: CellRef
    meaning: Meaning
    count: int


@dataclass(frozen=True)
class Relations:
    """The equations (``equations``) and inequalities (``orders``) of one publication, with how
    many declared relations were not written because they did not hold on the counts."""

    equations: tuple[Equation, ...]
    orders: tuple[Order, ...]
    not_holding: int = 0


def _unit(m: Meaning) -> tuple[str, str]:
    """Counts of different units (rows of a dataset; people followed in a retention analysis)
    are never ordered against each other."""
    for atom in m.atoms:
        if atom[0] == "retention":
            return (m.dataset, f"retention:{atom[2]}")
    return (m.dataset, "")


def closure(m: Meaning) -> frozenset[Atom]:
    """The atoms of ``m`` with every flag they imply (:data:`IMPLICATIONS`)."""
    implied = IMPLICATIONS.get(m.dataset, {})
    found = set(m.atoms)
    todo = list(m.atoms)
    while todo:
        atom = todo.pop()
        for more in implied.get(atom, ()):
            if more not in found:
                found.add(more)
                todo.append(more)
    return frozenset(found)


def _retention_rank(atom: Atom) -> float | None:
    """Where a retention count sits in the chain separated within *h* ≤ separated ≤ followed."""
    if atom[0] != "retention":
        return None
    if atom[1].startswith("separated within "):
        try:
            return float(atom[1].removeprefix("separated within "))
        except ValueError:
            return None
    return {"separated": 1e9, "followed": 2e9}.get(atom[1])


def relations_for(cells: Iterable[PlacedCell]) -> Relations:
    """Every relation of the module docstring between ``cells`` (in a canonical order)."""
    first: dict[Meaning, PlacedCell] = {}
    equations: list[Equation] = []
    not_holding = 0
    for cell in sorted(cells, key=lambda c: c.ref):
        known = first.get(cell.meaning)
        if known is None:
            first[cell.meaning] = cell
        elif known.count == cell.count:
            equations.append(Equation(known.ref, (cell.ref,)))
        else:
            not_holding += 1
    count = {m: c.count for m, c in first.items()}
    ref = {m: c.ref for m, c in first.items()}
    equations.extend(_sums(count, ref))
    equal, missed = _equalities(count, ref)
    equations.extend(equal)
    orders = _orders(count, ref)
    return Relations(tuple(equations), tuple(orders), not_holding + missed)


def _sums(count: Mapping[Meaning, int], ref: Mapping[Meaning, CellRef]) -> list[Equation]:
    """Sums over one ``eq`` column, and ``in`` atoms as sums of their ``eq`` atoms."""
    equations: list[Equation] = []
    parts: dict[tuple[Meaning, str], list[Meaning]] = defaultdict(list)
    for what in count:
        for atom in what.atoms:
            if atom[0] == "eq":
                base = Meaning(what.dataset, tuple(a for a in what.atoms if a != atom), what.category, what.level)
                parts[(base, atom[1])].append(what)
    for (base, _), members in sorted(parts.items(), key=lambda item: repr(item[0])):
        if base in count and sum(count[m] for m in members) == count[base]:
            cells = tuple(sorted(ref[m] for m in members))
            if ref[base] not in cells:
                equations.append(Equation(ref[base], cells))
    for what in sorted(count, key=repr):
        for atom in what.atoms:
            if atom[0] != "in":
                continue
            rest = tuple(a for a in what.atoms if a != atom)
            members = [Meaning(what.dataset, tuple(sorted((*rest, ("eq", atom[1], v)))), what.category, what.level)
                       for v in atom[2:]]
            if all(m in count for m in members) and sum(count[m] for m in members) == count[what]:
                equations.append(Equation(ref[what], tuple(sorted(ref[m] for m in members))))
    return equations


def _equalities(count: Mapping[Meaning, int], ref: Mapping[Meaning, CellRef]) -> tuple[list[Equation], int]:
    equations: list[Equation] = []
    missed = 0
    for what in sorted(count, key=repr):
        atoms = frozenset(what.atoms)
        for rule in EQUALITIES:
            if what.dataset != rule.whole_dataset or not rule.whole_atoms <= atoms:
                continue
            rest = atoms - rule.whole_atoms
            renamed = dict(rule.years)
            kept = frozenset(("eq", renamed[a[1]], *a[2:]) if a[0] == "eq" and a[1] in renamed else a for a in rest)
            found = []
            for dataset_name, part_atoms in rule.parts:
                part = Meaning(dataset_name, tuple(sorted(kept | part_atoms)), what.category, what.level)
                if part not in count:
                    break
                found.append(part)
            else:
                if sum(count[p] for p in found) == count[what]:
                    cells = tuple(sorted(ref[p] for p in found))
                    if ref[what] not in cells:
                        equations.append(Equation(ref[what], cells))
                else:
                    missed += 1
    return equations, missed


def _orders(count: Mapping[Meaning, int], ref: Mapping[Meaning, CellRef]) -> list[Order]:
    """Covering order relations (see the module docstring)."""
    index: dict[tuple[tuple[str, str], frozenset[Atom], str | None, str | None], Meaning] = {}
    chains: dict[tuple[object, ...], list[tuple[float, Meaning]]] = defaultdict(list)
    for what in count:
        unit = _unit(what)
        if unit[1]:
            ranked = [(r, a) for a in what.atoms if (r := _retention_rank(a)) is not None]
            if len(ranked) == 1:
                rest = frozenset(a for a in what.atoms if a != ranked[0][1])
                chains[(unit, rest, what.category, what.level)].append((ranked[0][0], what))
            continue
        index[(unit, frozenset(what.atoms), what.category, what.level)] = what
    orders: set[tuple[CellRef, CellRef]] = set()
    for members in chains.values():
        members.sort(key=lambda item: item[0])
        for (_, small), (_, large) in zip(members, members[1:], strict=False):
            if count[small] <= count[large]:
                orders.add((ref[small], ref[large]))
    for what in sorted(index.values(), key=repr):
        unit = _unit(what)
        start = closure(what)
        covers = _covers(index, unit, start, what, what.category, what.level)
        if not covers and what.level is not None:
            # no larger count of the same level: the nearest total over every level (when the
            # level has a larger count, its table's own level sum already bounds it by the total)
            covers = _covers(index, unit, start, what, None, None)
        for bigger in covers:
            if count[what] <= count[bigger]:
                orders.add((ref[what], ref[bigger]))
    return [Order(small, large) for small, large in sorted(orders)]


def _covers(index: Mapping[tuple[tuple[str, str], frozenset[Atom], str | None, str | None], Meaning],
            unit: tuple[str, str], start: frozenset[Atom], what: Meaning,
            category: str | None, level: str | None) -> list[Meaning]:
    """The nearest meanings (breadth first, removing one atom at a time from ``start``; those
    at the least depth) of ``category``/``level`` whose rows contain those of ``what``. Farther
    ones follow from these and the sums over a dimension (part <= whole)."""
    found: list[Meaning] = []
    frontier = {start}
    seen: set[frozenset[Atom]] = set()
    while frontier and not found and len(seen) <= 512:
        nxt: set[frozenset[Atom]] = set()
        for atoms in frontier:
            if atoms in seen:
                continue
            seen.add(atoms)
            hit = index.get((unit, atoms, category, level))
            if hit is not None and hit != what:
                found.append(hit)
                continue
            for atom in atoms:
                nxt.add(atoms - {atom})
        frontier = nxt
    return found


def placed(cells: Sequence[tuple[CellRef, Meaning, int]]) -> list[PlacedCell]:
    """Cells as :class:`PlacedCell` values."""
    return [PlacedCell(r, m, c) for r, m, c in cells]
