"""Retention of faculty and staff, and faculty promotion, as time-to-event analyses.

Methods (docs/methods.md, "Survival"): Kaplan–Meier with left truncation (people hired before
the data window enter observation when it opens) and log(−log) Greenwood intervals; the
log-rank test across the levels of known membership; Aalen–Johansen cumulative incidence of each
separation reason (competing exits). Promotion: the share promoted while observed (Wilson
interval), the cumulative probability of promotion by each horizon (1 − Kaplan–Meier of time in
rank, censored at separation and at the end of the data) and the median time in rank.

The data window opens where the extract starts (people who left before it are not in the data —
the reason for left truncation): ``window_start`` when the call gives it, else the first day the
import declared for the extract (``extract_start`` of the snapshot; for promotion the later of the
employees' and the employee events' declarations). Undeclared, the metric refuses
(:class:`~ristra.core.metrics.errors.WindowNotDeclared`) when the context requires a declared
window (the CLI and the Python API), and otherwise guesses 1 January of the year of the earliest
separation in the data — and says so in its notes, since an extract that starts later than the guess
biases retention upwards. The data end (``as_of``) at the latest hire or separation date unless
given. The window's source (``given``, ``declared`` or ``guessed``) is in ``parameters`` as
``window_source``. See :mod:`.follow_up` for how times are computed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ristra.core.metrics.conditions import Always, CodeIn, Condition
from ristra.core.metrics.errors import WindowNotDeclared
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans.base import Answers, Ask, Context, shares, snapshot_refs
from ristra.core.metrics.plans.follow_up import (
    SpellDefinition,
    WeightedRecords,
    compact_records,
    level_tables,
)
from ristra.core.metrics.results import MetricResult, Row, SurvivalRow
from ristra.core.metrics.specs import PromotionSpec, RetentionSpec
from ristra.core.metrics.sql.source import Source, dataset_source, promotion_source, spell_columns
from ristra.core.stats.survival.competing_risks import aalen_johansen_fit, present_codes
from ristra.core.stats.survival.kaplan_meier import kaplan_meier_fit
from ristra.core.stats.survival.logrank import logrank_test_by_group
from ristra.core.vocabularies import SEPARATION_REASON

SURVIVAL_METHOD = ("Kaplan–Meier with left truncation and log(−log) Greenwood intervals (at an estimate of 0 or 1, "
                   "the exact Clopper–Pearson bound for no events among the smallest risk set up to the horizon), "
                   "log-rank test across levels of known membership, Aalen–Johansen cumulative incidence "
                   "(docs/methods.md: Survival)")
SMALL_PEOPLE, SMALL_EVENTS = 30, 5


def population_condition(population: str) -> Condition:
    if population == "faculty":
        return CodeIn("employee_class", ("faculty",))
    if population == "staff":
        return CodeIn("employee_class", ("staff",))
    if population == "senior_administrative":
        return CodeIn("senior_administrative", ("yes",))
    return Always()


@dataclass(frozen=True)
class WindowStart:
    """Where a plan's data window opens: ``day`` (None until guessed from the data) and its
    ``source`` — ``given`` (on the call), ``declared`` (with the import of ``datasets``) or ``guessed``."""

    day: dt.date | None
    source: str
    datasets: tuple[str, ...]

    def describe(self) -> str:
        if self.source == "given":
            return "its start given on the call"
        if self.source == "declared":
            return f"its start declared with the {' and '.join(self.datasets)} import{'s' if len(self.datasets) > 1 else ''}"
        return (f"its start guessed: 1 January of the year of the earliest separation; the {self.datasets[0]} import "
                f"did not declare where the extract starts — declare it with `ristra import {self.datasets[0]} FILE "
                "--extract-start YYYY-MM-DD` or give window_start")


def window_start(given: str | None, context: Context, datasets: tuple[str, ...], metric: str) -> WindowStart:
    """The start of the data window (see the module docstring); raises
    :class:`~ristra.core.metrics.errors.WindowNotDeclared` when it would be guessed and the
    context requires a declared window."""
    if given:
        return WindowStart(dt.date.fromisoformat(given), "given", datasets)
    declared = {d: ref.extract_start for d in datasets
                if (ref := context.snapshots.get(d)) is not None and ref.extract_start is not None}
    if declared:
        return WindowStart(max(dt.date.fromisoformat(v) for v in declared.values()), "declared", tuple(declared))
    if context.require_declared_window:
        raise WindowNotDeclared(datasets, metric)
    return WindowStart(None, "guessed", datasets)


def data_window(answers: Answers, ask: Ask, start_at: WindowStart, as_of: str | None) -> tuple[dt.date, dt.date]:
    """The window start and end of the data (see the module docstring)."""
    first_hire, last_hire = answers.extent(ask, "hire_date")
    first_sep, last_sep = answers.extent(ask, "separation_date")
    if start_at.day is not None:
        start = start_at.day
    elif first_sep is not None:
        start = dt.date(first_sep.year, 1, 1)
    else:
        start = first_hire or dt.date(1900, 1, 1)
    if as_of:
        end = dt.date.fromisoformat(as_of)
    else:
        end = max([d for d in (last_hire, last_sep) if d is not None], default=start)
    return start, end


def _at_risk(records: WeightedRecords, t: float) -> int:
    """People at risk at ``t`` (entry < t <= exit); kept per records and time, since every
    competing exit of a level reports the same number at the same horizon."""
    found = records.at_risk_memo.get(t)
    if found is None:
        found = records.at_risk_memo[t] = int(records.weight[(records.entry < t) & (t <= records.exit)].sum())
    return found


@dataclass
class _Analysis:
    """Per-level records of one spell and the log-rank test across known levels."""

    grouping: Grouping
    records: dict[str, WeightedRecords] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    logrank: tuple[float, int, float] | None = None
    logrank_note: str | None = None


def _analyse(grouping: Grouping, answers: Answers, entry_ask: Ask, exit_ask: Ask) -> _Analysis:
    tables = level_tables(grouping.levels, grouping.level, answers.columns(entry_ask), answers.columns(exit_ask))
    analysis = _Analysis(grouping, dropped={lv: t.dropped for lv, t in tables.items() if t.dropped})
    for level in grouping.levels:
        analysis.records[level] = compact_records(tables[level])
    known = [lv for lv in grouping.levels if not grouping.is_unknown(lv) and analysis.records[lv].people > 0]
    if len(known) >= 2:
        parts = {lv: analysis.records[lv] for lv in known}
        test = logrank_test_by_group({lv: (p.exit, p.event > 0, p.entry, p.weight) for lv, p in parts.items()})
        analysis.logrank = (test.statistic, test.dof, test.p_value)
        analysis.logrank_note = test.note
    else:
        analysis.logrank_note = "fewer than two levels of known membership have people; no log-rank test"
    return analysis


def _row(category: str, population: str, level: str, measure: str, horizon: float | None, estimate: float,
         lower: float | None, upper: float | None, records: WeightedRecords, events: int, at_risk: int | None,
         analysis: _Analysis, note: str | None = None, events_to_horizon: int | None = None) -> SurvivalRow:
    lr = analysis.logrank
    small = records.people < SMALL_PEOPLE or events < SMALL_EVENTS
    return SurvivalRow(category, population, level, measure, horizon, estimate, lower, upper, records.people, events,
                       at_risk, lr[0] if lr else None, lr[1] if lr else None, lr[2] if lr else None, small,
                       note or (analysis.logrank_note if lr is None else None), events_to_horizon)


def _spell_asks(source: Source, grouping: Grouping, spell: SpellDefinition) -> tuple[Ask, Ask]:
    dims = grouping.dimensions("employees")
    where, scope = spell.followed, spell.scope()
    return (Ask(source, (*dims, spell.entry_dimension()), where=where, scope=scope),
            Ask(source, (*dims, spell.exit_dimension(), spell.event_dimension()), where=where, scope=scope))


@dataclass
class RetentionPlan:
    spec: RetentionSpec
    context: Context

    def __post_init__(self) -> None:
        self.grouping = self.context.grouping(self.spec.category)
        self.grouping.require("employees")
        self.grouping.require_disjoint(f"{self.spec.metric} (the log-rank test)")
        self.ref = self.context.require("employees", self.spec.metric)
        self.start_at = window_start(self.spec.window_start, self.context, ("employees",), self.spec.metric)
        self.extent_ask = Ask(dataset_source("employees"), (), (), ("hire_date", "separation_date"))
        self.window: tuple[dt.date, dt.date] | None = None
        self.spell_asks: tuple[Ask, Ask] | None = None

    def asks(self) -> Sequence[Ask]:
        return [self.extent_ask]

    def followups(self, answers: Answers) -> Sequence[Ask]:
        spec = self.spec
        self.window = data_window(answers, self.extent_ask, self.start_at, spec.as_of)
        condition = population_condition(spec.population)
        spell = SpellDefinition(f"retention:{spec.population}:{self.window[0]}:{self.window[1]}", "hire_date",
                                "separation_date", None, ("separation_reason", SEPARATION_REASON.codes),
                                condition, *self.window)
        self.spell_asks = _spell_asks(dataset_source("employees"), self.grouping, spell)
        return list(self.spell_asks)

    def finish(self, answers: Answers) -> MetricResult:
        assert self.spell_asks is not None and self.window is not None
        spec, g = self.spec, self.grouping
        analysis = _analyse(g, answers, *self.spell_asks)
        causes = sorted({c for r in analysis.records.values() for c in present_codes(r.event)})
        rows: list[Row] = []
        for level in g.levels:
            rec = analysis.records[level]
            if rec.people == 0:
                rows.append(_row(g.id, spec.population, level, "retention", None, math.nan, None, None, rec, 0, 0,
                                 analysis, "nobody in this group"))
                continue
            # The Aalen–Johansen fit carries the all-cause Kaplan–Meier curve of the same records.
            # Both are kept as arrays: only the points at the horizons are reported.
            cr = aalen_johansen_fit(rec.exit, rec.event, rec.entry, spec.confidence, causes, weights=rec.weight,
                                    up_to=max(spec.horizons, default=0.0)) if causes else None
            km = cr.survival if cr is not None else \
                kaplan_meier_fit(rec.exit, rec.event > 0, rec.entry, spec.confidence, weights=rec.weight)
            for point in km.survival_at(spec.horizons):
                rows.append(_row(g.id, spec.population, level, "retention", point.time, point.survival, point.lower,
                                 point.upper, rec, km.n_events, _at_risk(rec, point.time), analysis,
                                 events_to_horizon=km.events_to(point.time)))
            if cr is not None:
                for i, cause in enumerate(cr.causes):
                    reason = SEPARATION_REASON.codes[cause - 1]
                    for ip in cr.incidence_at(i, spec.horizons):
                        rows.append(_row(g.id, spec.population, level, f"exit:{reason}", ip.time, ip.incidence,
                                         ip.lower, ip.upper, rec, cr.n_events[i], _at_risk(rec, ip.time), analysis))
            rows.append(_row(g.id, spec.population, level, "median_years", None, km.median, None, None, rec,
                             km.n_events, None, analysis))
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version,
                            SURVIVAL_METHOD, (), _notes(analysis, self.window, self.start_at),
                            _parameters(self.window, self.start_at))


def _parameters(window: tuple[dt.date, dt.date], start_at: WindowStart) -> tuple[tuple[str, object], ...]:
    return (("window_start", window[0].isoformat()), ("as_of", window[1].isoformat()),
            ("window_source", start_at.source))


def _notes(analysis: _Analysis, window: tuple[dt.date, dt.date], start_at: WindowStart) -> tuple[str, ...]:
    notes = [f"data window {window[0].isoformat()} to {window[1].isoformat()} ({start_at.describe()}); people "
             "hired before it enter observation when it opens (left truncation)"]
    dropped = sum(analysis.dropped.values())
    if dropped:
        notes.append(f"{dropped} record(s) with no time at risk in the window were left out")
    return tuple(notes)


@dataclass
class PromotionPlan:
    spec: PromotionSpec
    context: Context

    def __post_init__(self) -> None:
        self.grouping = self.context.grouping(self.spec.category)
        self.grouping.require("employees")
        self.grouping.require_disjoint(f"{self.spec.metric} (the log-rank test)")
        self.refs = (self.context.require("employees", self.spec.metric),
                     self.context.require("employee_events", self.spec.metric))
        self.start_at = window_start(self.spec.window_start, self.context, ("employees", "employee_events"),
                                     self.spec.metric)
        self.extent_ask = Ask(dataset_source("employees"), (), (), ("hire_date", "separation_date"))
        self.window: tuple[dt.date, dt.date] | None = None
        self.spell_asks: list[tuple[Ask, Ask]] = []

    def asks(self) -> Sequence[Ask]:
        return [self.extent_ask]

    def followups(self, answers: Answers) -> Sequence[Ask]:
        spec = self.spec
        self.window = data_window(answers, self.extent_ask, self.start_at, spec.as_of)
        source = promotion_source(spec.transitions)
        self.spell_asks = []
        for i, (a, b) in enumerate(spec.transitions):
            start, promoted = spell_columns(i)
            spell = SpellDefinition(f"promotion:{a}:{b}:{self.window[0]}:{self.window[1]}", start, promoted,
                                    "separation_date", None, population_condition("faculty"), *self.window)
            self.spell_asks.append(_spell_asks(source, self.grouping, spell))
        return [ask for pair in self.spell_asks for ask in pair]

    def finish(self, answers: Answers) -> MetricResult:
        assert self.window is not None
        spec, g = self.spec, self.grouping
        rows: list[Row] = []
        notes: list[str] = []
        for (a, b), asks in zip(spec.transitions, self.spell_asks, strict=True):
            analysis = _analyse(g, answers, *asks)
            label = f"{a}->{b}"
            for level in g.levels:
                rec = analysis.records[level]
                promoted = int(rec.weight[rec.event > 0].sum())
                s = shares([(promoted, rec.people)], spec.confidence)
                rows.append(_row(g.id, label, level, "promoted_share", None, s.share[0], s.lower[0], s.upper[0],
                                 rec, promoted, rec.people, analysis))
                if rec.people == 0:
                    continue
                km = kaplan_meier_fit(rec.exit, rec.event > 0, rec.entry, spec.confidence, weights=rec.weight)
                for point in km.survival_at(spec.horizons):
                    rows.append(_row(g.id, label, level, "promoted_within", point.time, 1.0 - point.survival,
                                     1.0 - point.upper, 1.0 - point.lower, rec, promoted, _at_risk(rec, point.time),
                                     analysis))
                rows.append(_row(g.id, label, level, "median_years", None, km.median, None, None, rec, promoted, None,
                                 analysis))
            notes += [f"{label}: {n}" for n in _notes(analysis, self.window, self.start_at)[1:]]
        method = (f"{SURVIVAL_METHOD}; promotion share with Wilson interval; time in rank censored at separation "
                  "and at the end of the data")
        notes.insert(0, _notes(_Analysis(g), self.window, self.start_at)[0])
        return MetricResult(spec.metric, spec, tuple(rows), snapshot_refs(self.context, ["employees", "employee_events"]),
                            self.context.categories.version, method, (), tuple(notes),
                            _parameters(self.window, self.start_at))
