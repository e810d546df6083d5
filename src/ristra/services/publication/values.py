"""The publication's values: what was published, to whom, what protection cost, where a build stands."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ristra.core.disclosure import (
    Policy,
    ReleasedTable,
    SuppressionSummary,
)
from ristra.core.publication.measures import Meaning
from ristra.reports.document import ReportDocument
from ristra.reports.scorecard import Scorecard

DASHBOARD = "dashboard"
FUNNEL_STAGES = ("applied", "completed", "interviewed", "offered", "matriculated")
HORIZONS = tuple(range(1, 11))
Progress = Callable[[str, int, int], None]
AuditLog = Callable[[dict[str, Any]], None]


class PublicationError(ValueError):
    """A publication that cannot be made; the message says why, for anyone. ``detail`` (for the
    audit log and the publication record only) may name cells, which the message never does."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


@dataclass(frozen=True)
class InformationLoss:
    """What protection cost: count cells, cells suppressed, and the share of the sum of all
    counts that is hidden (``count_share``, rounded to a whole percent when printed)."""

    cells: int
    suppressed: int
    count_share: float

    @property
    def cell_share(self) -> float:
        return self.suppressed / self.cells if self.cells else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"cells": self.cells, "suppressed": self.suppressed, "cell_share": round(self.cell_share, 4),
                "count_share_percent": round(100 * self.count_share)}

    def describe(self) -> str:
        """For any audience: the cells suppressed (which every reader can count anyway). The share of
        the total count hidden is a linear fact about the hidden counts that the audit does not
        model, so it goes to the audit log and the publication record only (:meth:`to_dict`)."""
        return f"{self.suppressed:,} of {self.cells:,} counts suppressed ({100 * self.cell_share:.0f}%)"


@dataclass(frozen=True)
class DashboardIndex:
    """Which dashboard tables exist: categories (id, label), the programs of the funnel by
    program, for each panel the categories it applies to, and for a panel not computed for a
    reason that any audience may read (the data window of retention not declared) the reason."""

    categories: tuple[tuple[str, str], ...] = ()
    programs: tuple[str, ...] = ()
    applies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    withheld: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Publication:
    """One protected publication (see the module docstring). ``meanings`` says what every count
    cell of every table counts (for the relations and for the test-side intruder)."""

    audience: str
    threshold: int
    policy: Policy
    snapshots: Mapping[str, str]
    category_version: int
    tables: Mapping[str, ReleasedTable]
    documents: Mapping[str, ReportDocument]
    meanings: Mapping[str, Mapping[tuple[int, int], Meaning]]
    summary: SuppressionSummary
    loss: InformationLoss
    relations: Mapping[str, int]
    dashboard: DashboardIndex
    fingerprint: str
    built_at: str
    seconds: float
    #: the plan scorecards (by template id), whose statuses come from ``tables`` only
    scorecards: Mapping[str, Scorecard] = field(default_factory=dict)

    def table(self, key: str) -> ReleasedTable | None:
        return self.tables.get(key)

    def to_dict(self) -> dict[str, Any]:
        """What was published (no unreleased number): every table, the loss and the provenance."""
        return {"audience": self.audience, "threshold": self.threshold, "snapshots": dict(self.snapshots),
                "category_version": self.category_version, "fingerprint": self.fingerprint,
                "built_at": self.built_at, "information_loss": self.loss.to_dict(),
                "relations": dict(self.relations), "tables": {k: t.to_dict() for k, t in sorted(self.tables.items())}}


def cell_id(table: str, labels: tuple[str, ...], column: str) -> str:
    """A cell's name that survives a new publication (positions may shift, labels do not)."""
    return json.dumps([table, list(labels), column], ensure_ascii=False)


@dataclass(frozen=True)
class Status:
    """Where the publication of the snapshots in force stands for one audience: ``ready`` (then
    ``publication`` is set), ``preparing`` (with the stage and progress) or ``failed``."""

    state: str
    publication: Publication | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    error: str = ""
    #: the error that made the build fail (for a caller that re-raises it; never shown as is)
    cause: BaseException | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "stage": self.stage, "done": self.done, "total": self.total,
                "error": self.error or None}
