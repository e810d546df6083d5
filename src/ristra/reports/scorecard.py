"""The plan scorecard: a strategic plan's measures as a template of the report binders, and its
statuses read back from the released tables only.

Contract
--------
* :func:`scorecard` turns a stored plan into a :class:`Scorecard`: a report template (id
  ``plan-scorecard.<plan id>``) with one section per measure whose values are computed from
  counts (:data:`~ristra.core.plan.released.PUBLISHED_KINDS`): for shares and ratios a ``table``
  section — the measure's category by the year column, with the counts it is derived from (the
  group and everyone; at a stage, the stage and the stage before); for graduation, retention and
  promotion a ``plan_measure`` section (:mod:`ristra.reports.plan_sections`: cohorts and their
  graduates, or a yearly life table per year column); for a pipeline program's yield a text
  section naming the table its counts are read from, the program's outcomes by cohort of the
  dashboard (``dashboard/outcomes-<program>``: one count, one cell, already protected there) —
  and a text section for every other measure saying why it is not published. The publication
  computes, protects and audits those tables with everything else the audience sees
  (:mod:`ristra.services.publication`), with the same meanings as the other reports' counts, so
  one count has one meaning everywhere.
* :meth:`Scorecard.statuses` computes every measure's status from the *released* tables
  (:func:`~ristra.core.plan.released.released_status`): a year with a suppressed count has no
  value, and a status that needs one is withheld, saying so.
* :meth:`Scorecard.finish` puts the statuses and each year's value into the assembled document
  (a summary section first, and notes under each measure's table), so the DOCX, XLSX and HTML
  renderers print them like any report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ristra.core.disclosure import ReleasedTable
from ristra.core.metrics.columns import DEFAULT_YEAR
from ristra.core.metrics.errors import MetricError
from ristra.core.metrics.plans import Context
from ristra.core.metrics.plans.representation import previous_stage
from ristra.core.plan import Measure, MeasureStatus, Plan, Rollup, plan_rollups
from ristra.core.plan.life_table import LIFE_COLUMNS
from ristra.core.plan.pipeline_yield import (
    APPLIED,
    NO_PARTICIPANTS,
    NOT_LINKED,
    PARTICIPANTS,
    TOO_YOUNG,
    in_cohorts,
    not_linked_status,
    released_year,
)
from ristra.core.plan.released import (
    PUBLISHED_KINDS,
    SURVIVAL_COUNTS,
    SURVIVAL_KINDS,
    YearCounts,
    point_from_counts,
    released_status,
)
from ristra.core.tables import DerivedCell
from ristra.reports.document import ReportDocument
from ristra.reports.plan_sections import COHORT, graduated_label, survival_series
from ristra.reports.program_outcomes import outcomes_key
from ristra.reports.sections import TOTAL_LEVEL
from ristra.reports.templates import ReportTemplate, TemplateError, parse_template

PREFIX = "plan-scorecard."
_COUNT_OF: Mapping[str, str] = {"applications": "applications.applied", "students": "students.matriculants",
                                "trainees": "trainees.appointments", "participants": "participants.participations"}
_EMPLOYEE_SELECT: Mapping[tuple[str, str], str] = {("senior_administrative", "yes"): "employees.senior_administrative",
                                                    ("employee_class", "faculty"): "employees.faculty"}
_IN, _OUT = "In category", "Not in category"
#: the id of the dashboard template, whose program outcome tables a pipeline-yield measure reads
#: (:data:`ristra.services.publication.values.DASHBOARD`)
DASHBOARD_TEMPLATE = "dashboard"


def scorecard_id(plan_id: str) -> str:
    return f"{PREFIX}{plan_id}"


@dataclass(frozen=True)
class Layout:
    """Where a measure's counts are: its section, its columns by role (``count``: the group at
    the stage, ``total``: at the stage before or everyone) and the state's share (ratios)."""

    section: str
    columns: tuple[tuple[str, str], ...]
    benchmark_share: float | None = None
    table: str | None = None  # the key of another template's table the counts are read from


@dataclass(frozen=True)
class ScorecardStatus:
    """A plan's statuses from one publication: each measure's, the roll-ups, and the years whose
    counts are suppressed (by measure)."""

    plan: Plan
    measures: tuple[MeasureStatus, ...]
    rollups: tuple[Rollup, ...]
    suppressed_years: Mapping[str, tuple[int, ...]]

    def measure(self, measure_id: str) -> MeasureStatus:
        return next(m for m in self.measures if m.measure == measure_id)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _json_safe({
            "plan_id": self.plan.id, "cycle": self.plan.cycle, "computed_from": "released counts",
            "measures": [{**m.to_dict(), "suppressed_years": list(self.suppressed_years.get(m.measure, ()))}
                         for m in self.measures],
            "rollups": [r.to_dict() for r in self.rollups]})
        return data


@dataclass(frozen=True)
class Scorecard:
    """See the module docstring."""

    plan: Plan
    plan_version: int
    template: ReportTemplate
    layouts: Mapping[str, Layout]
    unpublished: Mapping[str, str]

    def table_key(self, measure_id: str) -> str:
        layout = self.layouts[measure_id]
        return layout.table or f"{self.template.id}/{layout.section}"

    def series(self, measure: Measure, table: ReleasedTable) -> list[YearCounts]:
        """The measure's published counts by year, read from its released table by labels."""
        layout = self.layouts[measure.id]
        if measure.metric.kind in SURVIVAL_KINDS:
            return [YearCounts(y, counts) for y, counts in sorted(survival_series(table).items())]
        if measure.metric.kind == "pipeline-yield":
            return [year for _, year in _yield_rows(table, measure.years)]
        rows = {labels[1]: r for r, labels in enumerate(table.row_labels)}
        yes = rows.get(_IN)
        other = next((r for label, r in rows.items() if label.startswith(_OUT)), None)
        everyone = rows.get(TOTAL_LEVEL)
        roles = dict(layout.columns)
        by_year: dict[int, dict[str, int | None]] = {}
        for c, label in enumerate(table.col_labels):
            year, _, name = label.partition(": ")
            if not year.isdigit():
                continue
            counts = by_year.setdefault(int(year), {})
            for role, column in roles.items():
                if name != column:
                    continue
                if measure.metric.kind == "selection-ratio":
                    counts[{"count": "count", "total": "total"}[role]] = _cell(table, yes, c)
                    counts[f"other_{role}"] = _cell(table, other, c)
                elif measure.metric.kind in ("representation", "representation-ratio"):
                    counts["count"], counts["total"] = _cell(table, yes, c), _cell(table, everyone, c)
                else:
                    counts[role] = _cell(table, yes, c)
        return [YearCounts(y, by_year[y]) for y in sorted(by_year)]

    def statuses(self, tables: Mapping[str, ReleasedTable]) -> ScorecardStatus:
        """Every measure's status from the released ``tables`` (see the module docstring)."""
        found: list[MeasureStatus] = []
        hidden: dict[str, tuple[int, ...]] = {}
        for m in self.plan.measures:
            if m.id in self.layouts and self.table_key(m.id) in tables:
                layout = self.layouts[m.id]
                status, years = released_status(m, self.series(m, tables[self.table_key(m.id)]),
                                                 layout.benchmark_share)
                hidden[m.id] = years
            elif m.metric.kind == "entered":
                status, _ = released_status(m, ())
            elif m.metric.kind == "pipeline-yield" and m.id in self.layouts:
                linked = any(k.startswith(f"{DASHBOARD_TEMPLATE}/{outcomes_key('')}") for k in tables)
                status = not_linked_status(m, NO_PARTICIPANTS if linked else NOT_LINKED)
            else:
                status, _ = released_status(m, ())
                reason = self.unpublished.get(m.id) or "its data are not in this publication"
                status = replace(status, reason=f"withheld: {reason}")
            found.append(status)
        by_id = {s.measure: s for s in found}
        return ScorecardStatus(self.plan, tuple(found), plan_rollups(self.plan, by_id), hidden)

    def trend_table(self, measure_id: str, tables: Mapping[str, ReleasedTable]) -> ReleasedTable | None:
        """The measure's released table as a slice whose derived cells are each year's value,
        computed from the slice's published counts only (suppressed years have none): what its
        trend chart is drawn from. None when the measure has no table in this publication."""
        measure = self.plan.measure(measure_id)
        key = self.table_key(measure_id) if measure_id in self.layouts else ""
        table = tables.get(key)
        if table is None:
            return None
        layout = self.layouts[measure_id]
        rows = list(range(len(table.row_labels)))
        if measure.metric.kind in SURVIVAL_KINDS:
            return table.slice(key, measure.title, rows, range(len(table.col_labels)),
                               derive=lambda cells: self._survival_values(measure, table))
        if measure.metric.kind == "pipeline-yield":
            return table.slice(key, measure.title, rows, range(len(table.col_labels)),
                               derive=lambda cells: _yield_values(table, measure.years))

        def derive(cells: tuple[tuple[int | None, ...], ...]) -> list[DerivedCell]:
            labels = [r[1] for r in table.row_labels]
            yes = labels.index(_IN)
            needed = {"representation": [yes, labels.index(TOTAL_LEVEL)], "representation-ratio":
                      [yes, labels.index(TOTAL_LEVEL)], "stage-rate": [yes], "graduation": [yes]}.get(
                measure.metric.kind, [r for r, label in enumerate(labels) if label != TOTAL_LEVEL])
            out = []
            for year in self.series(measure, table):
                columns = [c for c, label in enumerate(table.col_labels) if label.startswith(f"{year.year}: ")]
                sources = tuple((r, c) for r in needed for c in columns)
                point = point_from_counts(measure.metric.kind, year, layout.benchmark_share)
                out.append(DerivedCell(yes, str(year.year), "share", None if point is None else point.value, sources))
            return out

        return table.slice(key, measure.title, rows, range(len(table.col_labels)), derive=derive)

    def _survival_values(self, measure: Measure, table: ReleasedTable) -> list[DerivedCell]:
        """Each year's survival value of a life table, derived from its followed and events cells."""
        out = []
        wanted = tuple(LIFE_COLUMNS.index(c) for c in SURVIVAL_COUNTS)
        for year in self.series(measure, table):
            mine = [r for r, labels in enumerate(table.row_labels) if labels[0] == str(year.year)]
            point = point_from_counts(measure.metric.kind, year)
            out.append(DerivedCell(mine[-1], str(year.year), "share", None if point is None else point.value,
                                   tuple((r, c) for r in mine for c in wanted)))
        return out

    def finish(self, document: ReportDocument, tables: Mapping[str, ReleasedTable]) -> ReportDocument:
        """The document with the statuses and values from the released tables (module docstring)."""
        card = self.statuses(tables)
        lines = [f"{m.measure}: {m.label}. {m.reason}" for m in card.measures]
        sections = []
        for s in document.sections:
            if s.id == "statuses":
                s = replace(s, text="\n".join(lines))
            elif s.id in {layout.section: mid for mid, layout in self.layouts.items()}:
                mid = next(mid for mid, layout in self.layouts.items() if layout.section == s.id)
                s = replace(s, notes=(*s.notes, *_measure_notes(card.measure(mid), card.suppressed_years.get(mid, ()))))
            sections.append(s)
        return replace(document, sections=tuple(sections))


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as None (JSON has no NaN or infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _cell(table: ReleasedTable, row: int | None, col: int) -> int | None:
    return None if row is None else table.cells[row][col]


def _yield_rows(table: ReleasedTable, years: tuple[int, int] | None) -> list[tuple[int, YearCounts]]:
    """The published counts of a program's outcomes-by-cohort table, by cohort row (the
    all-cohorts row left out, and the cohorts outside ``years``): (row, counts in the roles of a
    pipeline-yield measure)."""
    columns = {label: c for c, label in enumerate(table.col_labels)}
    if not all(name in columns for name in (PARTICIPANTS, TOO_YOUNG, APPLIED)):
        return []  # no participant of the program is old enough to have applied yet: no Applied column
    out = []
    for r, labels in enumerate(table.row_labels):
        if labels and labels[0].isdigit() and in_cohorts(years, int(labels[0])):
            out.append((r, released_year(int(labels[0]), *(table.cells[r][columns[name]]
                                                             for name in (PARTICIPANTS, TOO_YOUNG, APPLIED)))))
    return out


def _yield_values(table: ReleasedTable, years: tuple[int, int] | None) -> list[DerivedCell]:
    """Each cohort's yield, derived from its published Participants, Not yet old enough and
    Applied cells."""
    wanted = [c for c, label in enumerate(table.col_labels) if label in (PARTICIPANTS, TOO_YOUNG, APPLIED)]
    out = []
    for r, year in _yield_rows(table, years):
        point = point_from_counts("pipeline-yield", year)
        out.append(DerivedCell(r, str(year.year), "share", None if point is None else point.value,
                               tuple((r, c) for c in wanted)))
    return out


def _number(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "—"


def _measure_notes(status: MeasureStatus, hidden: tuple[int, ...]) -> tuple[str, ...]:
    values = "; ".join(f"{p.year}: {_number(p.value)} [{_number(p.lower)}, {_number(p.upper)}]" for p in status.points)
    notes = [f"Status, from the published counts: {status.label}. {status.reason}."]
    if values:
        notes.append(f"Values from the published counts (95% interval): {values}.")
    if hidden:
        notes.append(f"No value for {', '.join(map(str, hidden))}: counts suppressed in this publication.")
    if status.projection is not None:
        pr = status.projection
        notes.append(f"Projection to {pr.year}: {_number(pr.value)} [{_number(pr.lower)}, {_number(pr.upper)}]; "
                     f"probability of reaching the target {100 * pr.probability:.0f}%.")
    if status.need is not None:
        notes.append(f"What it would take: {status.need.note}.")
    return tuple(notes)


def scorecard(plan: Plan, plan_version: int, context: Context) -> Scorecard:
    """The scorecard of ``plan`` against the categories and benchmarks of ``context``."""
    sections: list[dict[str, Any]] = [{"id": "statuses", "kind": "text", "title": "Status of every measure",
                                       "text": "(computed from the released tables)"}]
    layouts: dict[str, Layout] = {}
    unpublished: dict[str, str] = {}
    for m in plan.measures:
        if m.metric.kind == "entered":
            continue
        try:
            raw, layout = _section(m, context)
            parse_template({"id": "check", "version": 1, "title": "check", "sections": [raw]})
        except (TemplateError, MetricError, ValueError, KeyError) as error:
            unpublished[m.id] = str(error)
            sections.append({"id": f"u-{m.id}", "kind": "text", "title": m.title,
                             "text": f"{m.id}: not published in the scorecard ({error})."})
            continue
        layouts[m.id] = layout
        sections.append(raw)
    raw_template = {
        "id": scorecard_id(plan.id), "version": plan_version, "title": f"Plan scorecard: {plan.title}",
        "description": f"The measures of the strategic plan {plan.id} (cycle {plan.cycle}) with the counts they "
                       "come from; every value and status is computed from the counts this publication shows.",
        "notes": ["Each measure's value, status, projection and what it would take are computed from the "
                  "published counts of its table only; a year with a suppressed count has no value, and a status "
                  "that needs one is withheld.",
                  "People whose category membership is not recorded are counted with \"not in category\", so "
                  "shares are of everyone (the live status of `ristra plan status` is of known membership)."],
        "sections": sections}
    return Scorecard(plan, plan_version, parse_template(raw_template, f"the plan {plan.id}"), layouts, unpublished)


def _section(m: Measure, context: Context) -> tuple[dict[str, Any], Layout]:
    kind = m.metric.kind
    if kind not in PUBLISHED_KINDS:
        raise ValueError(f"a {kind} value is not a ratio of counts this publication shows")
    if kind == "pipeline-yield":
        return _yield_section(m)
    select = dict(m.metric.select)
    grouping = context.grouping(str(m.metric.category))
    if kind == "graduation" or kind in SURVIVAL_KINDS:
        return _plan_measure_section(m, grouping.id)
    section: dict[str, Any] = {"id": f"s-{m.id}", "kind": "table", "title": m.title, "categories": [grouping.id]}
    share = None
    if kind in ("representation", "representation-ratio"):
        dataset = str(m.metric.option("dataset"))
        stage = m.metric.option("stage")
        if stage:
            metric = f"applications.{stage}"
        elif dataset == "employees":
            picked = [(c, str(v)) for c, v in select.items() if (c, str(v)) in _EMPLOYEE_SELECT]
            if not picked:
                raise ValueError("the employees counted are neither faculty nor senior administrative staff")
            metric = _EMPLOYEE_SELECT[picked[0]]
            select.pop(picked[0][0])
        else:
            metric = _COUNT_OF[dataset]
        columns = [{"id": "count", "metric": metric, "label": "Counted"}]
        year = str(m.metric.option("year") or DEFAULT_YEAR[dataset])
        layout = (("count", "Counted"), ("total", "Counted"))
        if kind == "representation-ratio":
            found = context.benchmark(grouping.benchmark_key, str(m.metric.option("population") or "all_ages"),
                                      str(m.metric.option("geography") or "NM"))
            share = found.share if found is not None else None
    else:
        stage = str(m.metric.option("stage"))
        columns = [{"id": "before", "metric": f"applications.{previous_stage(stage)}", "label": "At the stage before"},
                   {"id": "stage", "metric": f"applications.{stage}", "label": "At the stage"}]
        year = "cycle"
        layout = (("count", "At the stage"), ("total", "At the stage before"))
    section["columns"] = columns
    section["years"] = {"column": year}
    if select:
        section["where"] = {c: (True if v is True else str(v)) for c, v in select.items()}
    section["notes"] = [f"Counts behind {m.id} ({kind}), by {year.replace('_', ' ')}."]
    return section, Layout(section["id"], layout, share)


def _plan_measure_section(m: Measure, category: str) -> tuple[dict[str, Any], Layout]:
    """A ``plan_measure`` section (:mod:`ristra.reports.plan_sections`) for a graduation,
    retention or promotion measure, and where its counts are."""
    block: dict[str, Any] = {"kind": m.metric.kind}
    block.update({k: v for k, v in m.metric.options if k != "select" and v is not None})
    section: dict[str, Any] = {"id": f"s-{m.id}", "kind": "plan_measure", "title": m.title, "categories": [category]}
    if m.metric.kind == "graduation":
        within = int(m.metric.option("within"))
        layout: tuple[tuple[str, str], ...] = (("count", graduated_label(within)), ("total", COHORT))
        section["notes"] = [f"Counts behind {m.id} (graduation within {within} years), by matriculation year."]
    else:
        block["years"] = list(m.series_years)
        layout = ()
        section["notes"] = [f"Counts behind {m.id} ({m.metric.kind} at {m.metric.option('horizon')} years): a yearly "
                            "life table for each year."]
    section["measure"] = block
    return section, Layout(section["id"], layout)


def _yield_section(m: Measure) -> tuple[dict[str, Any], Layout]:
    """A text section for a pipeline-yield measure: its counts are the dashboard's outcomes-by-cohort
    table of the program, protected there (one count, one cell), so the scorecard adds no table."""
    program = str(m.metric.option("program"))
    section: dict[str, Any] = {
        "id": f"s-{m.id}", "kind": "text", "title": m.title,
        "text": f"Counts behind {m.id} (yield of program {program}): the dashboard's table of the program's "
                f"participants and their outcomes by cohort, columns \"{PARTICIPANTS}\", \"{TOO_YOUNG}\" and "
                f"\"{APPLIED}\". Each cohort's yield is {APPLIED.lower()} / ({PARTICIPANTS.lower()} − "
                f"{TOO_YOUNG.lower()}). A participant who is not linked to the admissions records is counted as "
                "not applied, so the yield is a lower bound."}
    return section, Layout(section["id"], (), None, f"{DASHBOARD_TEMPLATE}/{outcomes_key(program)}")
