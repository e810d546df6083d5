"""Every SQL statement the metric plans compile to, as plain data (for the dialect test).

:func:`compiled_statements` plans every metric of the standard pack (and the extra specifications
of the reference-evaluator test) over every dataset, answers their first phase with fixed date
extents so that the follow-up asks are planned too, and compiles each ask's query alone and every
source's merged query, plain and exact, with and without stored place keys, with the key tables
they read. The result is a list of ``{"label", "sql", "params"}`` dicts (parameters as text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ristra.core.datasets import DATASETS
from ristra.core.metrics.pack import standard_pack
from ristra.core.metrics.plans import Ask, Context, plan_for
from ristra.core.metrics.results import SnapshotRef
from ristra.core.metrics.specs import MetricSpec
from ristra.core.metrics.sql.cube import CompiledCube, CubeQuery, SetColumns, ValueDimension
from ristra.core.metrics.sql.lookups import stored_key_columns
from ristra.core.sql_dialect import DUCKDB, Dialect
from ristra.ingest.benchmarks import load_benchmarks
from support.metrics import default_categories

#: Compiles a query: (query, exact, stored place families) -> compiled cube.
Compile = Callable[[CubeQuery, bool, frozenset[str]], CompiledCube]


class FixedAnswers:
    """First-phase answers: no rows, every date extent 2010-01-01 .. 2025-12-31."""

    def table(self, ask: Ask) -> dict[tuple[object, ...], tuple[int, ...]]:
        return {}

    def columns(self, ask: Ask) -> SetColumns:
        return SetColumns.from_table({}, 1 + len(ask.measures), len(ask.dims))

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        return dt.date(2010, 1, 1), dt.date(2025, 12, 31)


def planned_asks(extra: Sequence[MetricSpec] = ()) -> list[Ask]:
    """The asks of both phases of every plan of the standard pack over every dataset, and of ``extra``."""
    names = [name for name, d in DATASETS.items() if not d.restricted]
    refs = {name: SnapshotRef(name, f"snap-{name}", 10, "2010-01-01") for name in names}
    context = Context(default_categories(), load_benchmarks(), refs, require_declared_window=False)
    specs = [*standard_pack(context.categories, names), *extra]
    plans = [plan_for(s, context) for s in specs]
    asks = [a for p in plans for a in p.asks()]
    answers = FixedAnswers()
    asks += [a for p in plans for a in p.followups(answers)]
    return asks


def _query(asks: Sequence[Ask]) -> CubeQuery:
    query = CubeQuery(asks[0].source)
    for ask in asks:
        query.add(ask.dims, ask.measures)
        query.restrict(ask.where)
        query.within(ask.scope)
        for column in ask.extents:
            query.extent(column)
    return query


def _text(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def compiled_statements(compile_query: Compile, extra: Sequence[MetricSpec] = (),
                        dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    """See the module docstring; ``compile_query`` compiles one query, the rules alone and the key
    tables are compiled in ``dialect``."""
    asks = planned_asks(extra)
    by_source: dict[tuple[object, bool], list[Ask]] = {}
    for ask in asks:
        by_source.setdefault((ask.source, any(isinstance(d, ValueDimension) for d in ask.dims)), []).append(ask)
    groups: list[tuple[str, list[Ask]]] = [(f"ask {i} over {a.source.name}", [a]) for i, a in enumerate(asks)]
    groups += [(f"merged {i} over {key[0].name}", group)  # type: ignore[attr-defined]
               for i, (key, group) in enumerate(by_source.items())]
    out: list[dict[str, Any]] = []
    names = [name for name, d in DATASETS.items() if not d.restricted]
    for definition in default_categories().definitions:  # every rule alone, as the category module compiles it
        for name in names:
            if definition.applies_to(name):
                for kind, fragment in (("rule", definition.sql(name, dialect)),
                                       ("membership", definition.membership_sql(name, dialect))):
                    out.append({"label": f"{kind} {definition.id} over {name}", "sql": fragment.sql,
                                "params": [_text(v) for v in fragment.params]})
    for label, group in groups:
        families = frozenset(stored_key_columns(group[0].source.dataset))
        for exact in (False, True):
            for stored in dict.fromkeys((frozenset(), families)):
                compiled = compile_query(_query(group), exact, stored)
                tag = f"{label} exact={exact} stored={sorted(stored)}"
                out.append({"label": tag, "sql": compiled.query.sql, "params": [_text(v) for v in compiled.query.params]})
                for table in compiled.key_tables:
                    create = table.create_sql(dialect)
                    out.append({"label": f"{tag} key table {table.name}", "sql": create.sql,
                                "params": [_text(v) for v in create.params]})
    return out
