"""A test-side intruder: what one audience can conclude from everything it is served.

Independent of the production audit (nothing from ``ristra.core.disclosure`` is imported): the
intruder holds a list of :class:`Observed` tables (published cells, ``None`` where suppressed,
each table's own additive structure and, optionally, what each cell *means*), writes every
relation that holds by construction of the data between those cells, and for every suppressed
cell solves ``min`` and ``max`` of its value by linear programming (``scipy.optimize.linprog``,
HiGHS) subject to the published values, the table margins, the relations and ``x >= 0``.

Observation format
------------------
* ``Observed.key`` — unique within one observation set; ``cells[r][c]`` an ``int`` or ``None``
  (suppressed); ``row_sums`` / ``col_sums`` as :class:`Line` values (``total`` is the sum of
  ``parts``, in every column / every row), exactly the ``row_sums`` / ``col_sums`` of a released
  table's ``to_dict()``; :meth:`Observed.from_dict` reads such a dict directly.
* ``meanings[(r, c)]`` — a :class:`CellMeaning` ``(dataset, atoms, category, level)`` with
  ``atoms`` a ``frozenset`` of atom tuples as in ``ristra.reports.measures`` (``("eq", col, v)``,
  ``("in", col, v1, v2, ...)``, ``("flag", f)``, ``("missing", col)``, ``("not", "flag=declined")``,
  ``("retention", what, population)``, ...). ``category``/``level`` None: the total over every level.
* ``truth`` — the unreleased counts (same shape). The LP never reads them; they serve only to
  (i) keep a candidate relation only when it holds on the true counts and (ii) decide which
  suppressed cells are sensitive (1 <= c < k) and report their true values.

Relations (:func:`write_relations`)
-----------------------------------
* **identity** — cells with the same meaning (in one observation set) are one number;
* **sum over a dimension** — a meaning without an ``("eq", col, v)`` atom equals the sum of the
  meanings that add ``("eq", col, v)`` for each value shown, when that holds on the true counts;
  otherwise (the parts shown do not cover the whole) the parts' sum is at most the whole;
* **in** — a meaning with ``("in", col, a, b, ...)`` equals the sum of the meanings with
  ``("eq", col, a)``, ``("eq", col, b)``, ... (at least their sum when not all are shown);
* **levels** — the levels of a category sum to the total (category None), or at most;
* **order** — A <= B when A's rows are a subset of B's rows: same dataset, B's atoms implied by
  A's atoms closed under :data:`IMPLICATIONS` (and ``("eq", c, v)`` implies every ``("in", c, ...
  v ...)``), and B is a total or has A's category and level;
* **measure** — the equalities of :data:`EQUALITIES` between different measures.

Every candidate except the order relations (true by the data model) must hold on the true
counts when they are known; one that does not, or cannot be checked, is dropped and counted
in :class:`RelationStats`.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

Atom = tuple[str, ...]
Cell = tuple[int, int]


class CellMeaning(NamedTuple):
    """What one count cell counts: rows of ``dataset`` meeting every atom, at ``level`` of
    ``category`` (both None: every level)."""

    dataset: str
    atoms: frozenset[Atom]
    category: str | None
    level: str | None


def cell_meaning(dataset: str, atoms: Iterable[Sequence[Any]], category: str | None = None,
                 level: str | None = None) -> CellMeaning:
    """A :class:`CellMeaning` from any iterable of atoms (tuples or lists)."""
    return CellMeaning(dataset, frozenset(tuple(str(p) for p in a) for a in atoms), category, level)


@dataclass(frozen=True)
class Line:
    """Line ``total`` is the sum of lines ``parts``."""

    total: int
    parts: tuple[int, ...]


@dataclass
class Observed:
    """One published table as the intruder holds it (see the module docstring)."""

    key: str
    cells: list[list[int | None]]
    row_sums: list[Line] = field(default_factory=list)
    col_sums: list[Line] = field(default_factory=list)
    meanings: dict[Cell, CellMeaning] = field(default_factory=dict)
    truth: list[list[int]] | None = None
    row_labels: list[tuple[str, ...]] = field(default_factory=list)
    col_labels: list[str] = field(default_factory=list)
    source: str = ""

    @classmethod
    def from_dict(cls, released: Mapping[str, Any], *, meanings: Mapping[Cell, CellMeaning] | None = None,
                  truth: Sequence[Sequence[int]] | None = None, key: str | None = None,
                  source: str = "") -> Observed:
        """From a released table's ``to_dict()`` (``"suppressed"`` becomes None)."""
        cells = [[None if isinstance(v, str) else int(v) for v in row] for row in released["cells"]]
        return cls(
            key=key or str(released["key"]), cells=cells,
            row_sums=[Line(int(s["total"]), tuple(int(p) for p in s["parts"])) for s in released.get("row_sums", ())],
            col_sums=[Line(int(s["total"]), tuple(int(p) for p in s["parts"])) for s in released.get("col_sums", ())],
            meanings=dict(meanings or {}), truth=None if truth is None else [[int(v) for v in r] for r in truth],
            row_labels=[tuple(str(p) for p in label) for label in released.get("row_labels", ())],
            col_labels=[str(c) for c in released.get("col_labels", ())], source=source,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0]) if self.cells else 0

    def equations(self) -> list[tuple[Cell, tuple[Cell, ...]]]:
        """Every margin equation as ``(total cell, part cells)``."""
        n_rows, n_cols = self.shape
        out: list[tuple[Cell, tuple[Cell, ...]]] = []
        for s in self.row_sums:
            out.extend(((s.total, c), tuple((p, c) for p in s.parts)) for c in range(n_cols))
        for s in self.col_sums:
            out.extend(((r, s.total), tuple((r, p) for p in s.parts)) for r in range(n_rows))
        return out


# -- the data model -------------------------------------------------------------------------------------

#: Atom implications of the data model: a row meeting the key meets the value.
IMPLICATIONS: Mapping[Atom, tuple[Atom, ...]] = {
    ("flag", "offered"): (("flag", "interviewed"),),
    ("flag", "interviewed"): (("flag", "completed"),),
    ("flag", "matriculated"): (("flag", "offered"),),
    ("flag", "declined"): (("flag", "offered"),),
    # pipeline-program participants: a later application's stage implies applying, which implies a link
    ("flag", "completed"): (("flag", "applied"),),
    ("flag", "applied"): (("flag", "linked"),),
}


@dataclass(frozen=True)
class Term:
    """One term ``(dataset, atoms)`` of a declared equality."""

    dataset: str
    atoms: frozenset[Atom]


@dataclass(frozen=True)
class Equality:
    """``sum(lhs) == sum(rhs)`` for every meaning matching ``lhs[0]`` plus extra ``eq`` atoms on
    the columns of ``carry`` (renamed to the other dataset's column), same category and level."""

    name: str
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]
    carry: Mapping[str, str] = field(default_factory=dict)


def _term(dataset: str, *atoms: Atom) -> Term:
    return Term(dataset, frozenset(atoms))


_FACULTY_CURRENT = (("eq", "employee_class", "faculty"), ("missing", "separation_date"))
_SENIOR_CURRENT = (("eq", "senior_administrative", "yes"), ("missing", "separation_date"))

#: Equalities between different measures that hold by construction of the data (each kept only
#: where it holds on the true counts).
EQUALITIES: tuple[Equality, ...] = (
    Equality("faculty followed = current + separated",
             (_term("employees", ("retention", "followed", "faculty")),),
             (_term("employees", *_FACULTY_CURRENT), _term("employees", ("retention", "separated", "faculty")))),
    Equality("senior staff followed = current + separated",
             (_term("employees", ("retention", "followed", "senior_administrative")),),
             (_term("employees", *_SENIOR_CURRENT),
              _term("employees", ("retention", "separated", "senior_administrative")))),
    Equality("trainees in training = active + on leave",
             (_term("trainees", ("in", "status", "active", "leave")),),
             (_term("trainees", ("eq", "status", "active")), _term("trainees", ("eq", "status", "leave"))),
             {"program": "program", "kind": "kind", "specialty": "specialty"}),
    Equality("offers not declined of cycle y (MD) = first-year MD students of y",
             (_term("applications", ("flag", "offered"), ("not", "flag=declined"), ("eq", "program", "MD")),),
             (_term("students", ("eq", "program", "MD")),),
             {"cycle": "matriculation_year"}),
    Equality("matriculated applications of cycle y = students of matriculation year y",
             (_term("applications", ("flag", "matriculated")),),
             (_term("students"),),
             {"cycle": "matriculation_year", "program": "program"}),
    Equality("students = matriculated (all programs and years)",
             (_term("students"),), (_term("applications", ("flag", "matriculated")),)),
)


def _retention_rank(what: str) -> float:
    """Order of the retention counts of one population: separated within H (rank H) <=
    separated <= followed."""
    if what.startswith("separated within "):
        try:
            return float(what.removeprefix("separated within ").split()[0])
        except ValueError:
            return math.nan
    return {"separated": 1e9, "followed": 2e9}.get(what, math.nan)


def _closure(atoms: frozenset[Atom], retention_atoms: Mapping[str, list[Atom]],
             in_atoms: Mapping[str, list[Atom]]) -> frozenset[Atom]:
    """``atoms`` and every atom they imply (:data:`IMPLICATIONS`, the retention order, and
    ``eq``/``in`` atoms implying the ``in`` atoms of ``in_atoms`` that contain their values)."""
    out = set(atoms)
    todo = list(atoms)
    while todo:
        a = todo.pop()
        implied: list[Atom] = list(IMPLICATIONS.get(a, ()))
        if a[0] == "retention" and len(a) == 3:
            rank = _retention_rank(a[1])
            implied += [b for b in retention_atoms.get(a[2], ()) if _retention_rank(b[1]) >= rank]
        elif a[0] == "eq":
            implied += [b for b in in_atoms.get(a[1], ()) if a[2] in b[2:]]
        elif a[0] == "in":
            implied += [b for b in in_atoms.get(a[1], ()) if set(a[2:]) <= set(b[2:])]
        for b in implied:
            if b not in out:
                out.add(b)
                todo.append(b)
    return frozenset(out)


# -- relations ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Relation:
    """``sum(coef * x[meaning]) == 0`` (``sense`` "eq") or ``<= 0`` ("le")."""

    kind: str
    terms: tuple[tuple[CellMeaning, int], ...]
    sense: str
    name: str = ""


@dataclass
class RelationStats:
    """How many candidate relations of each kind were kept, dropped (false on the true counts)
    and unverifiable (a term without a true count)."""

    kept: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unverifiable: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {"kept": dict(self.kept), "dropped": dict(self.dropped), "unverifiable": dict(self.unverifiable)}


def _holds(rel: Relation, truth: Mapping[CellMeaning, int]) -> bool | None:
    if any(m not in truth for m, _ in rel.terms):
        return None
    value = sum(coef * truth[m] for m, coef in rel.terms)
    return value == 0 if rel.sense == "eq" else value <= 0


def write_relations(meanings: Iterable[CellMeaning], truth: Mapping[CellMeaning, int],
                    equalities: Sequence[Equality] = EQUALITIES,
                    stats: RelationStats | None = None) -> list[Relation]:
    """Every relation of the module docstring between ``meanings`` (identities are handled by
    the caller: one variable per meaning), kept when it holds on ``truth``."""
    stats = stats if stats is not None else RelationStats()
    present = sorted(set(meanings), key=repr)
    have = set(present)
    out: list[Relation] = []
    seen: set[tuple[str, tuple[tuple[CellMeaning, int], ...]]] = set()

    def offer(rel: Relation, needs_truth: bool = True) -> None:
        terms = tuple(sorted(rel.terms, key=repr))
        if (rel.sense, terms) in seen:
            return
        seen.add((rel.sense, terms))
        verdict = _holds(rel, truth)
        if verdict is None and needs_truth:
            stats.unverifiable[rel.kind] += 1
        elif verdict is False:
            stats.dropped[rel.kind] += 1
        else:
            stats.kept[rel.kind] += 1
            out.append(rel)

    def part_sum(kind: str, whole: CellMeaning, parts: Sequence[CellMeaning]) -> None:
        """whole == sum(parts) when that holds on the truth, else sum(parts) <= whole (the parts
        are disjoint: different values of one column, or different levels)."""
        terms = ((whole, -1), *((p, 1) for p in parts))
        eq = Relation(kind, terms, "eq")
        verdict = _holds(eq, truth)
        if verdict:
            offer(eq)
            return
        (stats.dropped if verdict is False else stats.unverifiable)[kind] += 1
        offer(Relation(f"{kind} (at most)", terms, "le"), needs_truth=False)

    # sums over a dimension
    groups: dict[tuple[CellMeaning, str], list[CellMeaning]] = defaultdict(list)
    for m in present:
        for atom in m.atoms:
            if atom[0] == "eq":
                groups[(CellMeaning(m.dataset, m.atoms - {atom}, m.category, m.level), atom[1])].append(m)
    for (base, _col), parts in sorted(groups.items(), key=lambda item: repr(item[0])):
        if base in have:
            part_sum("sum", base, parts)
    # in atoms
    for m in present:
        for atom in m.atoms:
            if atom[0] == "in":
                rest = m.atoms - {atom}
                parts = [CellMeaning(m.dataset, rest | {("eq", atom[1], v)}, m.category, m.level) for v in atom[2:]]
                shown = [p for p in parts if p in have]
                if shown:
                    if len(shown) == len(parts):
                        part_sum("in", m, shown)
                    else:
                        offer(Relation("in (at most)", ((m, -1), *((p, 1) for p in shown)), "le"), needs_truth=False)
    # levels of a category
    levels: dict[tuple[str, frozenset[Atom], str], list[CellMeaning]] = defaultdict(list)
    for m in present:
        if m.category is not None and m.level is not None:
            levels[(m.dataset, m.atoms, m.category)].append(m)
    for (dataset, atoms, _cat), parts in sorted(levels.items(), key=lambda item: repr(item[0])):
        total = CellMeaning(dataset, atoms, None, None)
        if total in have:
            part_sum("levels", total, parts)
    # order relations
    retention_atoms: dict[str, list[Atom]] = defaultdict(list)
    in_atoms: dict[str, list[Atom]] = defaultdict(list)
    for atom in sorted({atom for m in present for atom in m.atoms}):
        if atom[0] == "retention" and len(atom) == 3:
            retention_atoms[atom[2]].append(atom)
        elif atom[0] == "in":
            in_atoms[atom[1]].append(atom)
    index: dict[tuple[str, str | None, str | None], dict[frozenset[Atom], CellMeaning]] = defaultdict(dict)
    for m in present:
        index[(m.dataset, m.category, m.level)][m.atoms] = m
    for small in present:
        closed = _closure(small.atoms, retention_atoms, in_atoms)
        targets = [index.get((small.dataset, None, None), {})]
        if small.category is not None:
            targets.append(index.get((small.dataset, small.category, small.level), {}))
        for table in targets:
            if len(table) <= 2 ** len(closed):
                found = [b for atoms, b in table.items() if atoms <= closed]
            else:
                found = [table[frozenset(s)] for n in range(len(closed) + 1)
                         for s in itertools.combinations(sorted(closed), n) if frozenset(s) in table]
            for b in found:
                if b != small:
                    offer(Relation("order", ((small, 1), (b, -1)), "le"), needs_truth=False)
    # equalities between measures
    for eq in equalities:
        first = eq.lhs[0]
        for m in present:
            if m.dataset != first.dataset or not first.atoms <= m.atoms:
                continue
            extra = m.atoms - first.atoms
            if any(a[0] != "eq" or a[1] not in eq.carry for a in extra):
                continue

            def mapped(t: Term, lhs_side: bool, extra: frozenset[Atom] = extra, m: CellMeaning = m,
                       carry: Mapping[str, str] = eq.carry) -> CellMeaning:
                atoms = extra if lhs_side else frozenset(("eq", carry[a[1]], a[2]) for a in extra)
                return CellMeaning(t.dataset, t.atoms | atoms, m.category, m.level)

            terms = [(mapped(t, True), 1) for t in eq.lhs] + [(mapped(t, False), -1) for t in eq.rhs]
            if all(t in have for t, _ in terms):
                offer(Relation("measure", tuple(terms), "eq", eq.name))
    return out


# -- the attack --------------------------------------------------------------------------------------------

CellRef = tuple[str, str, int, int]  # (observation set, table key, row, col)


@dataclass(frozen=True)
class Finding:
    """A sensitive suppressed cell whose interval breaks the protection rule."""

    snapshot: str
    table: str
    row: int
    col: int
    true: int
    lower: int
    upper: int | None
    row_label: tuple[str, ...] = ()
    col_label: str = ""

    @property
    def pinned(self) -> bool:
        return self.upper is not None and self.lower == self.upper

    def to_dict(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "table": self.table, "row": self.row, "col": self.col,
                "row_label": list(self.row_label), "col_label": self.col_label, "true": self.true,
                "interval": [self.lower, self.upper]}


@dataclass
class AttackResult:
    """Every suppressed cell's interval, the findings and the relation counts."""

    threshold: int
    required_upper: int
    intervals: dict[CellRef, tuple[int, int | None]]
    findings: list[Finding]
    sensitive: int
    pinned: int
    published_sensitive: list[Finding]
    stats: RelationStats
    variables: int
    components: int
    #: suppressed cells whose true count lies outside their interval: a relation or a published
    #: value is wrong (always empty when the observations and the true counts agree)
    inconsistent: list[CellRef] = field(default_factory=list)

    @property
    def recovered(self) -> int:
        return len(self.findings)

    def interval(self, table: str, row: int, col: int, snapshot: str = "") -> tuple[int, int | None]:
        return self.intervals[(snapshot, table, row, col)]

    def summary(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "required_upper": self.required_upper,
                "suppressed": len(self.intervals), "sensitive_suppressed": self.sensitive,
                "recovered": self.recovered, "pinned": self.pinned,
                "bounded": self.recovered - self.pinned, "published_sensitive": len(self.published_sensitive),
                "variables": self.variables, "components": self.components, "inconsistent": len(self.inconsistent),
                "relations": self.stats.to_dict()}


class _Union:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


Expr = dict[CellRef, int]


class _System:
    """Cells of several observation sets, merged by identity, with linear constraints."""

    def __init__(self) -> None:
        self.union = _Union()
        self.value: dict[CellRef, int | None] = {}
        self.truth: dict[CellRef, int] = {}
        self.tables: dict[tuple[str, str], Observed] = {}
        self.eqs: list[tuple[Expr, int]] = []  # sum(coef * x) + const == 0
        self.ubs: list[tuple[Expr, int]] = []  # sum(coef * x) + const <= 0
        self.stats = RelationStats()
        self.by_meaning: dict[str, dict[CellMeaning, CellRef]] = {}

    def add_set(self, name: str, observed: Sequence[Observed], equalities: Sequence[Equality]) -> None:
        cells_of: dict[CellMeaning, list[CellRef]] = defaultdict(list)
        for t in observed:
            if (name, t.key) in self.tables:
                raise ValueError(f"table key {t.key!r} repeats in observation set {name!r}")
            self.tables[(name, t.key)] = t
            n_rows, n_cols = t.shape
            for r in range(n_rows):
                for c in range(n_cols):
                    ref = (name, t.key, r, c)
                    self.value[ref] = t.cells[r][c]
                    if t.truth is not None:
                        self.truth[ref] = t.truth[r][c]
            for (r, c), m in t.meanings.items():
                cells_of[m].append((name, t.key, r, c))
            for total, parts in t.equations():
                expr: Expr = defaultdict(int)
                expr[(name, t.key, *total)] -= 1
                for p in parts:
                    expr[(name, t.key, *p)] += 1
                self.eqs.append((expr, 0))
        # identities: one number per meaning (when the true counts agree)
        one: dict[CellMeaning, CellRef] = {}
        truth_of: dict[CellMeaning, int] = {}
        for m, refs in sorted(cells_of.items(), key=lambda item: repr(item[0])):
            values = {self.truth[ref] for ref in refs if ref in self.truth}
            published = {self.value[ref] for ref in refs if self.value[ref] is not None}
            if len(values) > 1 or len(published) > 1:
                self.stats.dropped["identity"] += len(refs) - 1
                continue
            for ref in refs[1:]:
                self.union.union(refs[0], ref)
            self.stats.kept["identity"] += len(refs) - 1
            one[m] = refs[0]
            if values:
                truth_of[m] = values.pop()
        self.by_meaning[name] = one
        for rel in write_relations(one, truth_of, equalities, self.stats):
            expr = defaultdict(int)
            for m, coef in rel.terms:
                expr[one[m]] += coef
            (self.eqs if rel.sense == "eq" else self.ubs).append((expr, 0))

    def link_snapshots(self, before: str, after: str, changed: int) -> int:
        """|x_after - x_before| <= changed for every cell present in both sets (by meaning, or by
        table key, row labels and column label for cells without one). Returns how many."""
        pairs: dict[CellRef, CellRef] = {}
        a_mean, b_mean = self.by_meaning.get(before, {}), self.by_meaning.get(after, {})
        for m, ref in a_mean.items():
            if m in b_mean:
                pairs[ref] = b_mean[m]
        with_meaning = {(s, k, r, c) for (s, k), t in self.tables.items() for (r, c) in t.meanings}
        labelled: dict[tuple[str, tuple[str, ...], str], CellRef] = {}
        for (s, k), t in self.tables.items():
            if s != after:
                continue
            for r in range(t.shape[0]):
                for c in range(t.shape[1]):
                    if (s, k, r, c) not in with_meaning:
                        labelled[(k, _label(t.row_labels, r, (str(r),)), _label(t.col_labels, c, str(c)))] = (s, k, r, c)
        for (s, k), t in self.tables.items():
            if s != before:
                continue
            for r in range(t.shape[0]):
                for c in range(t.shape[1]):
                    if (s, k, r, c) in with_meaning:
                        continue
                    other = labelled.get((k, _label(t.row_labels, r, (str(r),)), _label(t.col_labels, c, str(c))))
                    if other is not None:
                        pairs[(s, k, r, c)] = other
        kept = 0
        for a, b in pairs.items():
            if a in self.truth and b in self.truth and abs(self.truth[a] - self.truth[b]) > changed:
                self.stats.dropped["snapshot"] += 1
                continue
            kept += 1
            self.stats.kept["snapshot"] += 1
            self.ubs.append(({b: 1, a: -1}, -changed))
            self.ubs.append(({a: 1, b: -1}, -changed))
        return kept

    def solve(self, threshold: int, required_upper: int) -> AttackResult:
        find = self.union.find
        fixed: dict[Any, int] = {}
        for ref, v in self.value.items():
            if v is not None:
                fixed[find(ref)] = v
        rows: list[tuple[dict[Any, float], float, bool]] = []  # (coefs over free classes, rhs, is_eq)
        for is_eq, exprs in ((True, self.eqs), (False, self.ubs)):
            for expr, const in exprs:
                coefs: dict[Any, float] = defaultdict(float)
                rhs = float(-const)
                for ref, coef in expr.items():
                    cls = find(ref)
                    if cls in fixed:
                        rhs -= coef * fixed[cls]
                    else:
                        coefs[cls] += coef
                coefs = {k: v for k, v in coefs.items() if v != 0}
                if coefs:
                    rows.append((coefs, rhs, is_eq))
        free = sorted({find(ref) for ref, v in self.value.items() if v is None} - set(fixed))
        comp = _Union()
        for cls in free:
            comp.find(cls)
        for coefs, _, _ in rows:
            first = next(iter(coefs))
            for other in coefs:
                comp.union(first, other)
        members: dict[Any, list[Any]] = defaultdict(list)
        for cls in free:
            members[comp.find(cls)].append(cls)
        rows_of: dict[Any, list[int]] = defaultdict(list)
        for i, (coefs, _, _) in enumerate(rows):
            rows_of[comp.find(next(iter(coefs)))].append(i)
        bounds: dict[Any, tuple[int, int | None]] = {}
        for root, classes in members.items():
            bounds.update(_solve_component(classes, [rows[i] for i in rows_of.get(root, [])]))
        intervals: dict[CellRef, tuple[int, int | None]] = {}
        findings: list[Finding] = []
        published_sensitive: list[Finding] = []
        sensitive = pinned = 0
        inconsistent: list[CellRef] = []
        for ref in sorted(self.value):
            s, k, r, c = ref
            t = self.tables[(s, k)]
            true = self.truth.get(ref)
            cls = find(ref)
            if self.value[ref] is None:
                lo, hi = bounds[cls] if cls in bounds else (fixed[cls], fixed[cls])
                intervals[ref] = (lo, hi)
                if true is not None and not (lo <= true and (hi is None or true <= hi)):
                    inconsistent.append(ref)
            if true is None or not 1 <= true < threshold:
                continue
            finding = Finding(s, k, r, c, true, *(intervals.get(ref, (true, true))),
                              _label(t.row_labels, r, ()), _label(t.col_labels, c, ""))
            if self.value[ref] is not None:
                published_sensitive.append(finding)
                continue
            sensitive += 1
            lo, hi = intervals[ref]
            if lo > 0 or (hi is not None and hi < required_upper):
                findings.append(finding)
                pinned += finding.pinned
        return AttackResult(threshold, required_upper, intervals, findings, sensitive, pinned, published_sensitive,
                            self.stats, len(free), len(members), inconsistent)


def _label(labels: Sequence[Any], i: int, default: Any) -> Any:
    return labels[i] if i < len(labels) else default


def _solve_component(classes: list[Any], rows: list[tuple[dict[Any, float], float, bool]]
                     ) -> dict[Any, tuple[int, int | None]]:
    if not rows:
        return {cls: (0, None) for cls in classes}
    col = {cls: i for i, cls in enumerate(classes)}
    matrices: dict[bool, tuple[list[int], list[int], list[float], list[float]]] = {True: ([], [], [], []),
                                                                                     False: ([], [], [], [])}
    for coefs, rhs, is_eq in rows:
        ri, ci, vals, b = matrices[is_eq]
        n = len(b)
        for cls, v in coefs.items():
            ri.append(n)
            ci.append(col[cls])
            vals.append(v)
        b.append(rhs)
    n = len(classes)

    def mat(is_eq: bool) -> tuple[csr_matrix | None, np.ndarray | None]:
        ri, ci, vals, b = matrices[is_eq]
        if not b:
            return None, None
        return csr_matrix((vals, (ri, ci)), shape=(len(b), n)), np.array(b)

    a_eq, b_eq = mat(True)
    a_ub, b_ub = mat(False)
    out: dict[Any, tuple[int, int | None]] = {}
    known_zero: set[int] = set()
    for j, cls in enumerate(classes):
        bounds_j: list[float | None] = []
        for sign in (1.0, -1.0):
            if sign == 1.0 and j in known_zero:
                bounds_j.append(0.0)
                continue
            c = np.zeros(n)
            c[j] = sign
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 3:
                bounds_j.append(None)
            elif res.status != 0:
                raise RuntimeError(f"the attacker LP failed ({res.message}); the observations are inconsistent")
            else:
                bounds_j.append(sign * res.fun)
                if sign == 1.0:
                    known_zero.update(int(i) for i in np.flatnonzero(res.x <= 1e-9))
        lo = bounds_j[0]
        hi = bounds_j[1]
        lower = max(0, math.ceil((lo or 0.0) - 1e-6))
        upper = None if hi is None else math.floor(hi + 1e-6)
        out[cls] = (lower, upper)
    return out


def attack(observed: Sequence[Observed], threshold: int, *, insider: bool = True,
           equalities: Sequence[Equality] = EQUALITIES) -> AttackResult:
    """Attack one observation set (everything one audience sees): every suppressed cell's
    interval; a sensitive cell (1 <= true < threshold) is recovered when its upper bound is
    below ``threshold + 1`` (``threshold`` without ``insider``) or its lower bound above 0."""
    system = _System()
    system.add_set("", observed, equalities)
    return system.solve(threshold, threshold + 1 if insider else threshold)


def attack_snapshots(before: Sequence[Observed], after: Sequence[Observed], changed: int, threshold: int, *,
                     insider: bool = True, equalities: Sequence[Equality] = EQUALITIES) -> AttackResult:
    """Attack two successive publications jointly: each with its own relations, plus
    ``|x_after - x_before| <= changed`` for every cell present in both (matched by meaning, or by
    table key, row labels and column label). Cell references carry the set name
    ``"before"`` or ``"after"``."""
    system = _System()
    system.add_set("before", before, equalities)
    system.add_set("after", after, equalities)
    system.link_snapshots("before", "after", changed)
    return system.solve(threshold, threshold + 1 if insider else threshold)
