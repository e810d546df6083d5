"""Binding a template to the data: one binder per section, which says what it needs from the
metrics engine (count asks, metric specifications) and builds the section's unreleased tables
from the answers.

Contract
--------
* :func:`bind` checks the template's categories against the category version in use (an unknown
  category, one that does not apply to the section's dataset, or a crossing where a single
  category is needed raises :class:`~ristra.reports.templates.TemplateError` naming the template,
  section and field) and returns a :class:`BoundTemplate`.
* A section whose dataset has no data in the current snapshots is bound to a note saying so; the
  rest of the report is still made.
* So is a section whose metric needs a data window that the import did not declare, when the
  context requires a declared window (:class:`~ristra.core.metrics.errors.WindowNotDeclared`; the
  publication does): the note names the dataset and how to declare the extract's first day
  (:func:`undeclared_window`), instead of the report failing or the window being guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ristra.core.metrics.errors import MetricError, WindowNotDeclared
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans import Answers, Ask, Context, plan_for
from ristra.core.metrics.plans.path import PATH_DATASETS
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.specs import MetricSpec
from ristra.core.program_outcomes import ProgramOutcomes
from ristra.reports.counting import BreakdownBinder, CountTableBinder
from ristra.reports.metric_sections import FunnelBinder, PathBinder, RetentionBinder
from ristra.reports.plan_sections import PlanMeasureBinder, plan_measure_datasets
from ristra.reports.program_outcomes import ProgramOutcomesBinder
from ristra.reports.programs import ProgramRostersBinder, ProgramsBinder
from ristra.reports.sections import ComputedSection
from ristra.reports.templates import ReportTemplate, Section, TemplateError


class SectionBinder(Protocol):
    """What every section binder does (see the module docstring)."""

    def asks(self) -> list[Ask]: ...

    def specs(self) -> list[MetricSpec]: ...

    def build(self, answers: Answers, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection: ...


@dataclass(frozen=True)
class NoteBinder:
    """A text section, or a section with no data: nothing to compute."""

    section: Section
    note: str = ""

    def asks(self) -> list[Ask]:
        return []

    def specs(self) -> list[MetricSpec]:
        return []

    def build(self, answers: Answers, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection:
        return ComputedSection(self.section, (), (self.note,) if self.note else ())


@dataclass(frozen=True)
class BoundTemplate:
    """A template with a binder for each section, in order."""

    template: ReportTemplate
    binders: tuple[SectionBinder, ...]

    def asks(self) -> list[Ask]:
        return [a for b in self.binders for a in b.asks()]

    def specs(self) -> list[MetricSpec]:
        return [s for b in self.binders for s in b.specs()]

    def build(self, answers: Answers, results: Mapping[MetricSpec, MetricResult]) -> tuple[ComputedSection, ...]:
        """Every section computed; table keys are prefixed with the template id (unique in a release)."""
        out = []
        for binder in self.binders:
            computed = binder.build(answers, results)
            tables = tuple(replace(t, table=replace(t.table, key=f"{self.template.id}/{t.table.key}"))
                           for t in computed.tables)
            out.append(replace(computed, tables=tables))
        return tuple(out)


def _needed(section: Section) -> tuple[str, ...]:
    """Datasets of which at least one must have data for the section to be computed."""
    if section.kind in ("table", "breakdown"):
        return (section.dataset,)
    if section.kind == "plan_measure":
        return plan_measure_datasets(section)
    return {"path": PATH_DATASETS, "funnel": ("applications",), "retention": ("employees",),
            "programs": ("participants",), "program_rosters": ("participants",),
            "program_outcomes": ("participants",)}.get(section.kind, ())


def _groupings(template: ReportTemplate, section: Section, context: Context) -> tuple[Grouping, ...]:
    def fail(problem: str) -> TemplateError:
        return TemplateError(f"template {template.id}, section {section.id!r}, field 'categories': {problem}")

    found = []
    for name in section.categories:
        try:
            grouping = context.grouping(name)
        except MetricError as error:
            raise fail(str(error)) from None
        if section.kind in ("path", "funnel", "retention") and grouping.kind != "category":
            raise fail(f"{name} is not a single category; a {section.kind} section follows one category at a time")
        datasets = _needed(section) if section.kind != "path" else PATH_DATASETS
        if not any(grouping.applies_to(d) for d in datasets):
            raise fail(f"category {name} does not apply to {' or '.join(datasets)}; "
                       f"it applies to {', '.join(grouping.datasets)}")
        found.append(grouping)
    return tuple(found)


def window_reason(error: WindowNotDeclared) -> str:
    """Why a section is not computed when the data window of ``error.datasets`` was not declared:
    plain words naming the dataset and how to declare the extract's first day."""
    named = " and ".join(error.datasets)
    imports = "imports" if len(error.datasets) > 1 else "import"
    first = error.datasets[0]
    return (f"the {named} {imports} did not declare the first day the extract covers, and a guess would bias "
            "retention upwards if the extract starts later than the guess. Declare it by importing the "
            f"{first} file again with its first day (`ristra import {first} FILE --extract-start YYYY-MM-DD`, "
            "or the \"Extract start\" field of the web import form).")


@dataclass(frozen=True)
class WindowNoteBinder(NoteBinder):
    """A section whose metric needs a data window that was not declared: its note says why
    (``reason``, :func:`window_reason`)."""

    reason: str = ""


def _window_refused(binder: SectionBinder, context: Context) -> str:
    """Why a section's metric refuses an undeclared window ('' when it does not)."""
    for spec in binder.specs():
        try:
            plan_for(spec, context)  # a plan refuses an undeclared window while planning: no query runs
        except WindowNotDeclared as error:
            return window_reason(error)
        except MetricError:
            continue  # any other problem is raised where the section is computed, as before
    return ""


def undeclared_window(template: ReportTemplate, section: Section, context: Context) -> str:
    """Why ``section`` of ``template`` is not computed for an undeclared data window ('' when it is;
    :func:`window_reason`)."""
    binder = bind(replace(template, sections=(section,)), context).binders[0]
    return binder.reason if isinstance(binder, WindowNoteBinder) else ""


def bind(template: ReportTemplate, context: Context, outcomes: ProgramOutcomes | None = None) -> BoundTemplate:
    """See the module docstring. ``outcomes`` (the linkage service's value, computed above this
    layer) fills ``program_outcomes`` sections; without it they are a note."""
    binders: list[Any] = []
    for section in template.sections:
        groupings = _groupings(template, section, context) if section.categories else ()
        needed = _needed(section)
        if needed and not any(d in context.snapshots for d in needed):
            binders.append(NoteBinder(section, f"No {' or '.join(needed)} data has been imported, so this "
                                               "section is empty."))
        elif section.kind == "table":
            binders.append(CountTableBinder(section, groupings))
        elif section.kind == "breakdown":
            binders.append(BreakdownBinder(section, groupings))
        elif section.kind == "path":
            binders.append(PathBinder(section, groupings))
        elif section.kind == "funnel":
            binders.append(FunnelBinder(section, groupings))
        elif section.kind == "retention":
            binders.append(RetentionBinder(section, groupings))
        elif section.kind == "programs":
            binders.append(ProgramsBinder(section, "programs" in context.snapshots))
        elif section.kind == "program_rosters":
            binders.append(ProgramRostersBinder(section, "programs" in context.snapshots))
        elif section.kind == "program_outcomes":
            binders.append(ProgramOutcomesBinder(section, outcomes, "programs" in context.snapshots))
        elif section.kind == "plan_measure":
            binders.append(PlanMeasureBinder(section, groupings, context))
        else:
            binders.append(NoteBinder(section))
        if isinstance(binders[-1], PathBinder | FunnelBinder | RetentionBinder):
            refused = _window_refused(binders[-1], context)
            if refused:
                binders[-1] = WindowNoteBinder(section, f"This section is not computed: {refused}", refused)
    return BoundTemplate(template, tuple(binders))


def datasets_needed(templates: Sequence[ReportTemplate]) -> tuple[str, ...]:
    """Every dataset any section of ``templates`` can use."""
    return tuple(dict.fromkeys(d for t in templates for s in t.sections for d in _needed(s)))
