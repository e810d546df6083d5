"""Where a cube query reads its rows: a dataset's view (named after the dataset), or a relation
built from views in a ``prelude`` CTE — the promotion spells, which join each faculty
appointment to the dates of its rank changes, or the applications counted once per person.

A prelude is a value (:class:`PromotionSpells`, :class:`CountedApplications`) that writes its SQL
in the dialect the query is compiled in (``prelude.sql(dialect)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ristra.core.categories import SqlFragment
from ristra.core.categories.sql import quote_identifier
from ristra.core.categories.syntax import Value
from ristra.core.sql_dialect import Dialect

PROMOTION_SOURCE = "promotion_spells"


def spell_columns(index: int) -> tuple[str, str]:
    """The columns of transition ``index``: the date the rank was reached, the date it was left
    by the promotion asked about."""
    return f"rank_start_{index}", f"promoted_{index}"


@dataclass(frozen=True)
class PromotionSpells:
    """The prelude of :func:`promotion_source`."""

    transitions: tuple[tuple[str, str], ...]

    def sql(self, dialect: Dialect) -> SqlFragment:
        q = dialect.quote
        columns: list[str] = []
        params: list[Value] = []
        first_date = f"min({q('date')})"
        reached = f"{q('event')} IN (?, ?) AND {q('to_rank')} = ?"
        promoted = f"{q('event')} = ? AND {q('from_rank')} = ? AND {q('to_rank')} = ?"
        for i, (from_rank, to_rank) in enumerate(self.transitions):
            start, done = spell_columns(i)
            columns.append(f"{dialect.filtered(first_date, reached)} AS {q(start)}")
            params += ["hire", "promotion", from_rank]
            columns.append(f"{dialect.filtered(first_date, promoted)} AS {q(done)}")
            params += ["promotion", from_rank, to_rank]
        chosen = ", ".join(f"s.{q(c)}" for i in range(len(self.transitions)) for c in spell_columns(i))
        # Only events some column above takes: reaching a from-rank, or a promotion asked about.
        starts = sorted({a for a, _ in self.transitions})
        marks = ", ".join("?" for _ in starts)
        asked = " OR ".join(f'({q("from_rank")} = ? AND {q("to_rank")} = ?)' for _ in self.transitions)
        appointment, event = q("appointment_id"), q("event")
        sql = (
            f'{q(PROMOTION_SOURCE)} AS (SELECT e.*, {chosen} FROM {q("employees")} AS e '
            f'LEFT JOIN (SELECT {appointment}, {", ".join(columns)} FROM {q("employee_events")} '
            f'WHERE {appointment} IS NOT NULL AND {event} IN (?, ?) AND ({q("to_rank")} IN ({marks}) '
            f'OR ({event} = ? AND ({asked}))) GROUP BY {appointment}) AS s '
            f'ON s.{appointment} = e.{appointment})'
        )
        params += ["hire", "promotion", *starts, "promotion", *(r for t in self.transitions for r in t)]
        return SqlFragment(sql, tuple(params))


@dataclass(frozen=True)
class CountedApplications:
    """The prelude of :func:`applications_source` (relation ``name``)."""

    name: str
    counting: str
    from_cycle: int | None
    to_cycle: int | None

    def sql(self, dialect: Dialect) -> SqlFragment:
        q = dialect.quote
        conditions, params = [f"{q('cycle')} IS NOT NULL"], []
        for op, bound in ((">=", self.from_cycle), ("<=", self.to_cycle)):
            if bound is not None:
                conditions.append(f"{q('cycle')} {op} ?")
                params.append(int(bound))
        select = f"SELECT * FROM {q('applications')} WHERE {' AND '.join(conditions)}"
        if self.counting != "applications":
            direction = "ASC" if self.counting == "first" else "DESC"
            order = f"{q('cycle')} {direction}, {q('application_id')} {direction}"
            select = dialect.keep_first(select, q("person_id"), order)
        return SqlFragment(f"{q(self.name)} AS ({select})", tuple(params))


Prelude = PromotionSpells | CountedApplications


@dataclass(frozen=True)
class Source:
    """Rows of ``dataset`` read from the relation ``name`` (defined by ``prelude`` if given).
    ``datasets`` lists every dataset the relation reads, ``columns`` the columns the prelude reads
    from each, and ``transitions`` the promotions a promotion source describes."""

    dataset: str
    name: str
    prelude: Prelude | None = None
    datasets: tuple[str, ...] = ()
    transitions: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The relation holds every row of ``dataset`` once, with more columns: asks over the
    #: dataset's own view may be answered from it in the same query.
    row_for_row: bool = False
    #: Applications counted per person: (counting, from_cycle, to_cycle) (:func:`applications_source`).
    counting: tuple[str, int | None, int | None] | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        return self.datasets or (self.dataset,)


def dataset_source(dataset: str) -> Source:
    """A dataset's own view (the engine names each view after its dataset)."""
    quote_identifier(dataset)
    return Source(dataset, dataset)


def promotion_source(transitions: Sequence[tuple[str, str]]) -> Source:
    """Every employee row with, for each transition (from_rank, to_rank), the first date the
    appointment held ``from_rank`` (a ``hire`` or ``promotion`` event with ``to_rank`` =
    from_rank) and the first ``promotion`` event from ``from_rank`` to ``to_rank``. Events are
    linked by ``appointment_id``; a row with no such event has NULL dates (no spell). Who is
    followed (faculty) is the spells' own condition, so the relation is the employees' rows, one
    for one (:attr:`Source.row_for_row`)."""
    chosen = tuple((a, b) for a, b in transitions)
    reads = (("employees", ("appointment_id",)),
             ("employee_events", ("appointment_id", "event", "date", "from_rank", "to_rank")))
    return Source("employees", PROMOTION_SOURCE, PromotionSpells(chosen), ("employees", "employee_events"),
                  chosen, reads, row_for_row=True)


#: How applications are counted: every application, or one per person (first or latest).
COUNTINGS = ("applications", "first", "latest")


def applications_source(counting: str = "applications", from_cycle: int | None = None,
                        to_cycle: int | None = None) -> Source:
    """The applications to count: every one (``applications``, the dataset's own view when no
    window is given), or one per person — the ``first`` (earliest cycle; ties: the smallest
    ``application_id``) or the ``latest`` (latest cycle; ties: the largest ``application_id``)
    application of each ``person_id`` among those with ``from_cycle`` <= cycle <= ``to_cycle``
    (each bound optional; applications without a cycle are left out)."""
    if counting not in COUNTINGS:
        raise ValueError(f"counting must be one of {COUNTINGS}, not {counting!r}")
    if counting == "applications" and from_cycle is None and to_cycle is None:
        return dataset_source("applications")
    name = f"applications_{counting}_{from_cycle or 'any'}_{to_cycle or 'any'}"
    prelude = CountedApplications(name, counting, from_cycle, to_cycle)
    return Source("applications", name, prelude, ("applications",),
                  columns=(("applications", ("person_id", "cycle", "application_id")),),
                  counting=(counting, from_cycle, to_cycle))


def counted_rows(rows: Sequence[Mapping[str, object]], counting: str, from_cycle: int | None,
                 to_cycle: int | None) -> list[Mapping[str, object]]:
    """:func:`applications_source` in Python (the reference evaluator's path)."""
    def cycle(row: Mapping[str, object]) -> int:
        value = row.get("cycle")
        return value if isinstance(value, int) else -1

    kept = [r for r in rows if r.get("cycle") is not None
            and (from_cycle is None or cycle(r) >= from_cycle) and (to_cycle is None or cycle(r) <= to_cycle)]
    if counting == "applications":
        return kept
    chosen: dict[object, Mapping[str, object]] = {}
    for row in kept:
        key = (cycle(row), str(row.get("application_id")))
        person = row.get("person_id")
        best = chosen.get(person)
        if best is None:
            chosen[person] = row
            continue
        best_key = (cycle(best), str(best.get("application_id")))
        if (key < best_key) if counting == "first" else (key > best_key):
            chosen[person] = row
    return list(chosen.values())
