"""Where a cube query reads its rows: a dataset's view (named after the dataset), or a relation
built from views in a ``prelude`` CTE — the promotion spells, which join each faculty
appointment to the dates of its rank changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ristra.core.categories import SqlFragment
from ristra.core.categories.sql import quote_identifier
from ristra.core.categories.syntax import Value


@dataclass(frozen=True)
class Source:
    """Rows of ``dataset`` read from the relation ``name`` (defined by ``prelude`` if given).
    ``datasets`` lists every dataset the relation reads, ``columns`` the columns the prelude reads
    from each, and ``transitions`` the promotions a promotion source describes."""

    dataset: str
    name: str
    prelude: SqlFragment | None = None
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


PROMOTION_SOURCE = "promotion_spells"


def spell_columns(index: int) -> tuple[str, str]:
    """The columns of transition ``index``: the date the rank was reached, the date it was left
    by the promotion asked about."""
    return f"rank_start_{index}", f"promoted_{index}"


def promotion_source(transitions: Sequence[tuple[str, str]]) -> Source:
    """Every employee row with, for each transition (from_rank, to_rank), the first date the
    appointment held ``from_rank`` (a ``hire`` or ``promotion`` event with ``to_rank`` =
    from_rank) and the first ``promotion`` event from ``from_rank`` to ``to_rank``. Events are
    linked by ``appointment_id``; a row with no such event has NULL dates (no spell). Who is
    followed (faculty) is the spells' own condition, so the relation is the employees' rows, one
    for one (:attr:`Source.row_for_row`)."""
    columns: list[str] = []
    params: list[Value] = []
    for i, (from_rank, to_rank) in enumerate(transitions):
        start, done = spell_columns(i)
        columns.append(f'min("date") FILTER (WHERE "event" IN (?, ?) AND "to_rank" = ?) AS "{start}"')
        params += ["hire", "promotion", from_rank]
        columns.append(f'min("date") FILTER (WHERE "event" = ? AND "from_rank" = ? AND "to_rank" = ?) AS "{done}"')
        params += ["promotion", from_rank, to_rank]
    chosen = ", ".join(f's."{c}"' for i in range(len(transitions)) for c in spell_columns(i))
    # Only events some column above takes: reaching a from-rank, or a promotion asked about.
    starts = sorted({a for a, _ in transitions})
    marks = ", ".join("?" for _ in starts)
    asked = " OR ".join('("from_rank" = ? AND "to_rank" = ?)' for _ in transitions)
    sql = (
        f'"{PROMOTION_SOURCE}" AS (SELECT e.*, {chosen} FROM "employees" AS e '
        f'LEFT JOIN (SELECT "appointment_id", {", ".join(columns)} FROM "employee_events" '
        f'WHERE "appointment_id" IS NOT NULL AND "event" IN (?, ?) AND ("to_rank" IN ({marks}) '
        f'OR ("event" = ? AND ({asked}))) GROUP BY "appointment_id") AS s '
        f'ON s."appointment_id" = e."appointment_id")'
    )
    params += ["hire", "promotion", *starts, "promotion", *(r for t in transitions for r in t)]
    reads = (("employees", ("appointment_id",)),
             ("employee_events", ("appointment_id", "event", "date", "from_rank", "to_rank")))
    return Source("employees", PROMOTION_SOURCE, SqlFragment(sql, tuple(params)), ("employees", "employee_events"),
                  tuple((a, b) for a, b in transitions), reads, row_for_row=True)


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
    conditions, params = ['"cycle" IS NOT NULL'], []
    for op, bound in ((">=", from_cycle), ("<=", to_cycle)):
        if bound is not None:
            conditions.append(f'"cycle" {op} ?')
            params.append(int(bound))
    where = f" WHERE {' AND '.join(conditions)}"
    order = '"cycle" ASC, "application_id" ASC' if counting == "first" else '"cycle" DESC, "application_id" DESC'
    one = (f' QUALIFY row_number() OVER (PARTITION BY "person_id" ORDER BY {order}) = 1'
           if counting != "applications" else "")
    name = f"applications_{counting}_{from_cycle or 'any'}_{to_cycle or 'any'}"
    sql = f'"{name}" AS (SELECT * FROM "applications"{where}{one})'
    return Source("applications", name, SqlFragment(sql, tuple(params)), ("applications",),
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
