"""A report ready to render: released tables only, with their numbers, titles, notes, figures and
the report's provenance (snapshots, category version, template version, audience, release).

:func:`assemble` builds a :class:`ReportDocument` from a template's computed sections and the
tables released for them. Renderers (:mod:`ristra.reports.render_docx` and the others) take a
:class:`ReportDocument` and nothing else; every number in it comes from a
:class:`~ristra.core.disclosure.ReleasedTable`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ristra.core.disclosure import ReleasedTable, SuppressionSummary
from ristra.core.metrics.results import SnapshotRef
from ristra.core.table_view import TableView
from ristra.reports.sections import ComputedSection
from ristra.reports.templates import ReportTemplate


@dataclass(frozen=True)
class FigureView:
    """A chart drawn from released tables; the tables are its text alternative."""

    number: int
    kind: str
    title: str
    tables: tuple[TableView, ...]


@dataclass(frozen=True)
class SectionView:
    """One section as shown: text, tables, an optional figure and notes."""

    id: str
    kind: str
    title: str
    text: str
    placeholder: bool
    tables: tuple[TableView, ...]
    figure: FigureView | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ReportMetadata:
    """Where a report's numbers come from (everything needed to make it again)."""

    template_id: str
    template_version: int
    title: str
    description: str
    audience: str
    threshold: int
    category_version: int
    snapshots: tuple[SnapshotRef, ...]
    release: str
    released_with: tuple[str, ...]
    issued: str

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template_id, "template_version": self.template_version, "title": self.title,
                "audience": self.audience, "threshold": self.threshold, "category_version": self.category_version,
                "snapshots": {s.dataset: s.snapshot_id for s in self.snapshots}, "release": self.release,
                "released_with": list(self.released_with), "data_as_of": self.issued}


@dataclass(frozen=True)
class ReportDocument:
    """A whole report (see the module docstring)."""

    metadata: ReportMetadata
    notes: tuple[str, ...]
    sections: tuple[SectionView, ...]
    summary: SuppressionSummary

    @property
    def tables(self) -> tuple[TableView, ...]:
        return tuple(t for s in self.sections for t in s.tables)

    @property
    def figures(self) -> tuple[FigureView, ...]:
        return tuple(s.figure for s in self.sections if s.figure is not None)

    def attack_summary(self) -> dict[str, Any]:
        """The attack on the release as it concerns this report: policy, verdict, how many cells of this
        report are suppressed and, for each, the interval an attacker can derive (safe to publish)."""
        views = {t.released.key: t for t in self.tables}
        intervals = []
        for i in self.summary.intervals:
            view = views.get(i.table)
            if view is not None:
                r = view.released
                intervals.append({"table": view.number, "row": " / ".join(r.row_labels[i.row]),
                                  "column": r.col_labels[i.col], "lower": i.lower, "upper": i.upper})
        cells = sum(t.released.shape[0] * t.released.shape[1] for t in self.tables)
        return {"audience": self.summary.audience, "threshold": self.summary.threshold,
                "passed": self.summary.passed, "required_lower": self.summary.required_lower,
                "required_upper": self.summary.required_upper, "report_cells": cells,
                "report_suppressed": len(intervals), "release_tables": len(self.summary.tables),
                "release_cells": self.summary.cells,
                "release_suppressed": self.summary.primary + self.summary.secondary, "intervals": intervals}


def assemble(template: ReportTemplate, computed: Sequence[ComputedSection], released: Mapping[str, ReleasedTable],
             metadata: ReportMetadata, summary: SuppressionSummary) -> ReportDocument:
    """The document of ``template`` from its computed sections and the released tables (by key)."""
    sections = []
    table_number = figure_number = 0
    for part in computed:
        section = part.section
        views = []
        for t in part.tables:
            table_number += 1
            views.append(TableView(released[t.table.key], number=table_number, formats=dict(t.formats),
                                   category_label=t.category_label))
        figure = None
        if section.chart and views:
            figure_number += 1
            figure = FigureView(figure_number, section.chart, section.title, tuple(views))
        sections.append(SectionView(section.id, section.kind, section.title, section.text, section.placeholder,
                                    tuple(views), figure, (*section.notes, *part.notes)))
    return ReportDocument(metadata, template.notes, tuple(sections), summary)
