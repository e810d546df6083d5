"""What a publication holds: every shipped report template and the dashboard's tables, as
templates of the report binders (one count, one meaning), computed in one pass of the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.plans import Ask, Context, plan_for
from ristra.core.metrics.plans.path import PATH_DATASETS
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.specs import MetricSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.program_outcomes import ProgramOutcomes
from ristra.reports.binding import BoundTemplate, bind
from ristra.reports.sections import ComputedSection
from ristra.reports.templates import ReportTemplate, parse_template
from ristra.services.metrics import MetricsService
from ristra.services.publication.values import DASHBOARD, FUNNEL_STAGES, HORIZONS
from ristra.services.workspace import Workspace


def dashboard_template(categories: Sequence[tuple[str, tuple[str, ...]]], programs: Sequence[str]) -> ReportTemplate:
    """The dashboard's tables as a template of the report binders (so a count has one meaning
    everywhere): ``categories`` as (id, datasets it applies to)."""
    def applying(*datasets: str) -> list[str]:
        return [c for c, ds in categories if any(d in ds for d in datasets)]

    def funnel(section_id: str, title: str) -> dict[str, Any]:
        """Every stage by cycle, and over all cycles, for every category."""
        columns: list[dict[str, Any]] = [{"id": s, "metric": f"applications.{s}", "label": s.capitalize()}
                                         for s in FUNNEL_STAGES]
        columns += [{"id": f"{s}_all", "metric": f"applications.{s}", "label": f"All cycles: {s}",
                     "per_year": False} for s in FUNNEL_STAGES]
        raw: dict[str, Any] = {"id": section_id, "kind": "table", "title": title, "categories": applying("applications"),
                               "years": {"column": "cycle"}, "columns": columns}
        return raw

    sections: list[dict[str, Any]] = []
    if applying(*PATH_DATASETS):
        sections.append({"id": "path", "kind": "path", "title": "The path", "categories": applying(*PATH_DATASETS)})
    if applying("applications"):
        sections.append(funnel("funnel", "Admissions funnel, all programs"))
        if programs:
            columns = [{"id": s, "metric": f"applications.{s}", "label": s.capitalize(), "by": "program"}
                       for s in FUNNEL_STAGES]
            sections.append({"id": "funnel_programs", "kind": "table", "title": "Admissions funnel by program",
                             "categories": applying("applications"), "columns": columns})
    if applying("employees"):
        sections.append({"id": "retention", "kind": "retention", "title": "Faculty retention",
                         "categories": applying("employees"), "population": "faculty", "horizons": list(HORIZONS)})
        sections.append({"id": "departments", "kind": "breakdown", "title": "Faculty and staff by department",
                         "categories": applying("employees"), "metric": "employees.current", "rows": {"by": "department", "total": "All departments"}})
    sections.append({"id": "program_rosters", "kind": "program_rosters", "title": "Participants by program",
                     "notes": ["Participants are roster entries (one person in one program year); "
                               "\"not completed\" includes an unknown completion."]})
    sections.append({"id": "program_outcomes", "kind": "program_outcomes", "rows": "cohort",
                     "title": "Participants' outcomes by program and cohort"})
    sections.append({"id": "program_comparison", "kind": "program_outcomes", "rows": "comparison",
                     "title": "Participants and the comparison group among applicants of the same cycles"})
    sections.append({"id": "linkage_tiers", "kind": "program_outcomes", "rows": "tiers",
                     "title": "Roster rows by linkage tier"})
    raw = {"id": DASHBOARD, "version": 1, "title": "Dashboard", "description": "The dashboard's tables.",
           "sections": sections or [{"id": "empty", "kind": "text", "title": "No data", "text": "No data."}]}
    return parse_template(raw, "the dashboard")


def compute_sections(workspace: Workspace, service: MetricsService, templates: Sequence[ReportTemplate],
                     context: Context, outcomes: ProgramOutcomes | None = None
                     ) -> dict[str, tuple[ComputedSection, ...]]:
    """Every section's unreleased tables, by template id: one pass of the metrics engine over the
    snapshots of ``context``; ``program_outcomes`` sections from ``outcomes`` (:func:`program_outcomes`)."""
    from ristra.engine import open_engine

    bound: list[BoundTemplate] = [bind(t, context, outcomes) for t in templates]
    specs = list(dict.fromkeys(s for b in bound for s in b.specs()))
    plans = {s: plan_for(s, context) for s in specs}
    files = {k: f for k, f in service.current_files().items() if k in context.snapshots}
    engine = open_engine(workspace.settings.engine, files, memory_limit=workspace.settings.memory_limit)
    try:  # the runner's two phases; the sections' own asks answered with the first
        computed = engine.compute(list(plans.values()), extra=[a for b in bound for a in b.asks()])
    finally:
        engine.close()
    results: dict[MetricSpec, MetricResult] = dict(zip(plans, computed.results, strict=True))
    return {b.template.id: b.build(computed.answers, results) for b in bound}


def program_outcomes(workspace: Workspace) -> ProgramOutcomes | None:
    """The outcomes of every program and cohort through the linkage in force
    (:func:`ristra.services.program_outcomes.outcomes`), or ``None`` when there is no link run of
    the rosters to the applications yet, or no applications (the sections then say so)."""
    from ristra.core.linkage import LinkageInputError
    from ristra.services.program_outcomes import outcomes

    try:
        return outcomes(workspace)
    except LinkageInputError:
        return None


def programs_in(workspace: Workspace, service: MetricsService) -> tuple[str, ...]:
    from ristra.engine import open_engine

    files = {k: f for k, f in service.current_files().items() if k == "applications"}
    if not files:
        return ()
    ask = Ask(dataset_source("applications"), (grouping_column("applications", "program"),), ())
    engine = open_engine(workspace.settings.engine, files, memory_limit=workspace.settings.memory_limit)
    try:
        answers = engine.answer([ask])
    finally:
        engine.close()
    return tuple(sorted(str(k[0]) for k in answers.table(ask) if k[0] is not None))
