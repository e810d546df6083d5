"""The ``plan_measure`` section: the counts behind a plan measure whose value is not a plain
share of a count table — graduation within a horizon, and retention or promotion at a horizon —
as unreleased count tables for the publication (the plan scorecard, :mod:`.scorecard`).

Contract
--------
* The section's ``measure`` block is the measure's metric (``kind`` and options, as in the plan
  file) with ``years`` (survival kinds: the year columns, each as of 31 December) and the
  section's one category.
* ``graduation`` — one table: the category's levels and everyone by matriculation year, with
  ``<year>: Cohort`` (every student of the year) and ``<year>: Graduated within k years``,
  from the engine's graduation metric; only cohorts followed to the end of the horizon (the
  metric's ``complete`` rows) are shown. Meanings: the cohort is the students of the year (the
  same cell as the dashboard's and reports' first-year enrolment), the graduates add the
  ``within`` atom of the graduation condition, so the order graduates ≤ cohort is known.
* ``retention`` / ``promotion`` — one table of the group (the ``yes`` level) only: a yearly life
  table (:func:`ristra.core.plan.life_table.life_table`) for every year column, one row per
  whole-year interval up to the horizon, with the columns of
  :data:`~ristra.core.plan.life_table.LIFE_COLUMNS`. Follow-up records come from the same spells
  as the engine's retention and promotion metrics (left truncation at the declared data window,
  censored at 31 December of the year). Relations known to disclosure control, as to an
  intruder: within a row, followed = events + censored during + censored at end + continuing
  (the table's own sum); followed = from before + entering at start + entering during (a sum over
  the ``life_entry`` atom of the meanings);
  continuing of interval k is the same cell as "from before" of interval k + 1 (one meaning). For
  retention as of a day on or after the end of the data, the separations of each interval carry
  the meaning "separated within <horizon>" of the retention sections plus the interval, so the
  sum of the intervals equals those sections' "Separations within <horizon> years" where both
  are published.
* A section that cannot be computed (an option the engine refuses, an undeclared data window, no
  promotion events) is a note saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ristra.core.categories import SqlFragment
from ristra.core.metrics.conditions import WithinYears
from ristra.core.metrics.errors import MetricError
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans import Answers, Ask, Context
from ristra.core.metrics.plans.follow_up import DAYS_PER_YEAR, level_codes
from ristra.core.metrics.plans.survival import population_condition, window_start
from ristra.core.metrics.results import GraduationRow, MetricResult
from ristra.core.metrics.specs import MetricSpec, make_spec
from ristra.core.metrics.sql.cube import ValueDimension
from ristra.core.metrics.sql.source import dataset_source, promotion_source, spell_columns
from ristra.core.plan.life_table import LIFE_COLUMNS, LifeInterval, life_table, life_table_survival
from ristra.core.plan.released import SURVIVAL_COUNTS
from ristra.core.sql_dialect import Dialect
from ristra.core.tables import DerivedCell, Sum, Table
from ristra.reports.measures import Atom, Meaning, atoms_of, meaning
from ristra.reports.sections import TOTAL_LEVEL, Cell, ComputedSection, SectionTable, level_label, merged_note
from ristra.reports.templates import Section

COHORT, SURVIVAL_ROW_DIMS = "Cohort", ("Year", "Interval")
LIFE_LABELS: Mapping[str, str] = {
    "from_before": "Followed from the interval before", "entering_at_start": "Entering at its start",
    "entering_during": "Entering during it", "followed": "Followed in the interval", "events": "Events",
    "censored_during": "Censored during it", "censored_at_end": "Censored at its end",
    "continuing": "Followed past the interval"}
_ENTRY = {"from_before": "from before", "entering_at_start": "at start", "entering_during": "during"}
_EVENTS = {"retention": "Separated", "promotion": "Promoted"}


def graduated_label(within: int) -> str:
    return f"Graduated within {within} year{'s' if within != 1 else ''}"


def interval_label(k: int) -> str:
    return f"{k} to {k + 1} year{'s' if k + 1 != 1 else ''}"


def life_label(kind: str, column: str) -> str:
    """The column label of a life table's count ``column`` for a ``kind`` measure."""
    return _EVENTS[kind] if column == "events" else LIFE_LABELS[column]


def plan_measure_datasets(section: Section) -> tuple[str, ...]:
    """The datasets a ``plan_measure`` section reads (one of them must have data)."""
    kind = dict(section.measure).get("kind")
    return ("students",) if kind == "graduation" else ("employees",)


def survival_value_label(kind: str, horizon: int) -> str:
    what = "Retained" if kind == "retention" else "Promoted"
    return f"{what} at {horizon} year{'s' if horizon != 1 else ''} (Kaplan–Meier from this table)"


class PlanMeasureBinder:
    """See the module docstring."""

    def __init__(self, section: Section, groupings: Sequence[Grouping], context: Context) -> None:
        self.section = section
        self.options = dict(section.measure)
        self.kind = str(self.options.get("kind"))
        self.grouping = groupings[0] if groupings else None
        self.note = ""
        self.spec: MetricSpec | None = None
        self.years: tuple[int, ...] = tuple(int(y) for y in self.options.get("years", ()))
        self.spell: Ask | None = None
        self.extent = Ask(dataset_source("employees"), (), (), ("hire_date", "separation_date"))
        self.given_window = False
        try:
            self._plan(context)
        except (MetricError, ValueError, KeyError) as error:
            self.note = f"This section is not computed: {error}"
            self.spell, self.spec = None, None

    def _plan(self, context: Context) -> None:
        g = self.grouping
        if g is None or "yes" not in g.levels:
            raise ValueError("a plan measure needs one category with an 'in category' level")
        if self.kind == "graduation":
            self.spec = make_spec("graduation", category=g.id, within=(int(self.options["within"]),))
            return
        if self.kind not in _EVENTS:
            raise ValueError(f"a {self.kind} measure has no plan_measure table")
        horizon = float(self.options["horizon"])
        if horizon != int(horizon) or horizon < 1:
            raise ValueError(f"the horizon {horizon:g} is not a whole number of years, so no yearly life table")
        self.horizon = int(horizon)
        datasets = ("employees",) if self.kind == "retention" else ("employees", "employee_events")
        if self.kind == "promotion" and "employee_events" not in context.snapshots:
            raise ValueError("no employee events have been imported, so no promotion")
        given = self.options.get("window_start")
        start = window_start(str(given) if given else None, context, datasets, self.kind)
        if start.day is None:
            raise ValueError(f"the {' and '.join(datasets)} import did not declare the first day the extract covers "
                             "(`ristra import employees FILE --extract-start YYYY-MM-DD`)")
        self.given_window = start.source == "given"
        self.window_start = start.day
        if not self.years:
            raise ValueError("a survival measure needs its years")
        if self.kind == "retention":
            population = str(self.options.get("population") or "faculty")
            self.source = dataset_source("employees")
            self.who = population_condition(population)
            self.dates: tuple[str, ...] = ("hire_date", "separation_date")
        else:
            a, b = str(self.options["from_rank"]), str(self.options["to_rank"])
            self.source = promotion_source(((a, b),))
            self.who = population_condition("faculty")
            self.dates = (*spell_columns(0), "separation_date")
        self.spell = Ask(self.source, (*g.dimensions("employees"), self._indicator(),
                                       *(self._offset(c) for c in self.dates)),
                         where=self._followed, scope=self._scope)

    def _indicator(self) -> ValueDimension:
        """1 for a row this measure follows, else 0: one query answers every asker over the same
        rows, so it may hold rows other askers read (another population's)."""
        def sql(dialect: Dialect) -> SqlFragment:
            found = self._followed(dialect)
            return SqlFragment(f"(CASE WHEN {found.sql} THEN 1 ELSE 0 END)", found.params)

        def python(row: Mapping[str, object]) -> object:
            return 1 if self.who.test(row) and row.get(self.dates[0]) not in (None, "") else 0

        return ValueDimension(f"plan-followed:{self.unit}:{self.dates[0]}", sql, python,
                              (self.dates[0], *self.who.columns()))

    def _offset(self, column: str) -> ValueDimension:
        """Days from the window's first day to ``column`` (a date; NULL when it is empty)."""
        day = self.window_start

        def sql(dialect: Dialect) -> SqlFragment:
            first = SqlFragment(dialect.cast("?", dialect.date), (day.isoformat(),))
            return SqlFragment(f"({dialect.days_between(dialect.quote(column), first.sql)})", first.params)

        def python(row: Mapping[str, object]) -> object:
            value = row.get(column)
            found = value if isinstance(value, dt.date) else dt.date.fromisoformat(value) \
                if isinstance(value, str) and value else None
            return None if found is None else (found - day).days

        return ValueDimension(f"plan-offset:{column}:{day}", sql, python, (column, *self.who.columns()))

    def _followed(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment(f"(coalesce({self.who.sql(dialect).sql}, FALSE) AND {dialect.quote(self.dates[0])} "
                           "IS NOT NULL)", self.who.sql(dialect).params)

    def _scope(self, dialect: Dialect) -> SqlFragment:
        found = self.who.sql(dialect)
        return SqlFragment(f"coalesce({found.sql}, FALSE)", found.params)

    @property
    def unit(self) -> str:
        if self.kind == "retention":
            return str(self.options.get("population") or "faculty")
        return f"promotion {self.options.get('from_rank')}->{self.options.get('to_rank')}"

    def asks(self) -> list[Ask]:
        return [self.extent, self.spell] if self.spell is not None else []

    def specs(self) -> list[MetricSpec]:
        return [self.spec] if self.spec is not None else []

    def build(self, answers: Answers, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection:
        if self.note:
            return ComputedSection(self.section, (), (self.note,))
        if self.spec is not None:
            return self._graduation(results[self.spec])
        return self._survival(answers)

    # ------------------------------------------------------------------ graduation

    def _graduation(self, result: MetricResult) -> ComputedSection:
        g = self.grouping
        assert g is not None
        within = int(self.options["within"])
        outcome = f"graduated_within_{within}"
        found: dict[tuple[int, str], tuple[int, int]] = {}
        for row in result.rows:
            if isinstance(row, GraduationRow) and row.outcome == outcome and row.complete:
                year = dict(row.by).get("matriculation_year")
                if isinstance(year, int) and not isinstance(year, bool):
                    found[(year, row.level)] = (row.count, row.total)
        years = sorted({y for y, _ in found})
        if not years:
            return ComputedSection(self.section, (), (f"No cohort has been followed for {within} years yet.",))
        atoms = atoms_of(WithinYears("matriculation_year", "graduation_date", within))
        rows: list[tuple[str, str]] = []
        grid: list[list[int]] = []
        meanings: dict[Cell, Meaning] = {}
        for level in (*g.levels, None):
            r = len(rows)
            rows.append((g.label, level_label(g, level) if level else TOTAL_LEVEL))
            line: list[int] = []
            for y in years:
                pairs = [found.get((y, lv), (0, 0)) for lv in ((level,) if level else g.levels)]
                line += [sum(p[1] for p in pairs), sum(p[0] for p in pairs)]
                gid = g.id if level else None
                meanings[(r, len(line) - 2)] = meaning("students", frozenset(), gid, level, {"matriculation_year": y})
                meanings[(r, len(line) - 1)] = meaning("students", atoms, gid, level, {"matriculation_year": y})
            grid.append(line)
        labels = tuple(label for y in years for label in (f"{y}: {COHORT}", f"{y}: {graduated_label(within)}"))
        table = Table(title=self.section.title, row_dims=("Category", "Membership"), row_labels=tuple(rows),
                      col_dim="Measure", col_labels=labels, counts=tuple(tuple(r) for r in grid),
                      row_sums=(Sum(len(g.levels), tuple(range(len(g.levels)))),), key=self.section.id,
                      notes=(*self.section.notes, *merged_note(g),
                             f"Cohort: every student who matriculated in the year; graduated: a degree conferred "
                             f"by the end of the {within}th calendar year after. Only cohorts followed that long "
                             "are shown."))
        return ComputedSection(self.section, (SectionTable(table, meanings, {}, g.id, g.label),))

    # ------------------------------------------------------------------ survival

    def _life_table(self, offsets: Sequence[np.ma.MaskedArray[Any, Any]], weights: np.ndarray[Any, Any],
                    mine: np.ndarray[Any, Any], as_of: int) -> tuple[LifeInterval, ...]:
        """The group's life table as of ``as_of`` (days from the window's first day), with the
        spells of the engine's retention and promotion metrics (:mod:`.follow_up
        <ristra.core.metrics.plans.follow_up>`): entry when the window opens, exit at the event
        if it is on or before ``as_of``, else at the censoring date or ``as_of``."""
        start = np.ma.getdata(offsets[0]).astype(np.int64)
        known = ~np.ma.getmaskarray(offsets[0])
        event_at = np.where(np.ma.getmaskarray(offsets[1]), np.iinfo(np.int64).max,
                            np.ma.getdata(offsets[1]).astype(np.int64))
        happened = event_at <= as_of
        end = np.full(start.shape, as_of, dtype=np.int64)
        if len(offsets) > 2:  # promotion: censored at separation
            censor = np.where(np.ma.getmaskarray(offsets[2]), as_of, np.ma.getdata(offsets[2]).astype(np.int64))
            end = np.minimum(censor, as_of)
        end = np.where(happened, event_at, end)
        entry_days, exit_days = np.maximum(-start, 0), end - start
        keep = mine & known & (exit_days > entry_days) & (weights > 0)
        if not keep.any():
            return tuple(LifeInterval(k, 0, 0, 0, 0, 0, 0, 0, 0) for k in range(self.horizon))
        return life_table(entry_days[keep] / DAYS_PER_YEAR, exit_days[keep] / DAYS_PER_YEAR, happened[keep],
                          self.horizon, weights[keep])

    def _life_meanings(self, k: int, column: str, as_of: dt.date, data_end: dt.date | None) -> Meaning:
        g = self.grouping
        assert g is not None
        common: set[Atom] = {("eq", "as_of", as_of.isoformat())}
        if self.given_window:
            common.add(("eq", "window_start", self.window_start.isoformat()))

        def followed(interval: int) -> set[Atom]:
            return {("retention", "life: followed in the interval", self.unit), ("eq", "life_interval", str(interval)),
                    *common}

        if column in _ENTRY:
            atoms = followed(k) | {("eq", "life_entry", _ENTRY[column])}
        elif column == "continuing":
            atoms = followed(k + 1) | {("eq", "life_entry", "from before")}
        elif column == "followed":
            atoms = followed(k)
        elif column == "events" and self.kind == "retention" and data_end is not None and as_of >= data_end:
            # every separation in the data is counted: the same people as the retention sections'
            # separations within the horizon, in this interval
            atoms = {("retention", f"separated within {self.horizon:g}", self.unit), ("eq", "life_interval", str(k))}
            if self.given_window:
                atoms.add(("eq", "window_start", self.window_start.isoformat()))
        else:
            atoms = {("retention", f"life: {column} in the interval", self.unit), ("eq", "life_interval", str(k)),
                     *common}
        return meaning("employees", frozenset(atoms), g.id, "yes")

    def _survival(self, answers: Answers) -> ComputedSection:
        g = self.grouping
        assert g is not None
        ends = [answers.extent(self.extent, c)[1] for c in self.extent.extents]
        data_end = max((d for d in ends if d is not None), default=None)
        rows: list[tuple[str, str]] = []
        grid: list[list[int]] = []
        meanings: dict[Cell, Meaning] = {}
        derived: list[DerivedCell] = []
        assert self.spell is not None
        found = answers.columns(self.spell)
        n_dims = len(found.values) - len(self.dates) - 1
        is_followed = np.ma.getdata(found.values[n_dims]).astype(np.int64) == 1
        mine = is_followed & (level_codes(g.levels, g.level, found.values[:n_dims]) == g.levels.index("yes"))
        offsets = [found.values[n_dims + 1 + i] for i in range(len(self.dates))]
        weights = found.counts[:, 0]
        for year in self.years:
            intervals = self._life_table(offsets, weights, mine, (dt.date(year, 12, 31) - self.window_start).days)
            first = len(rows)
            for interval in intervals:
                r = len(rows)
                rows.append((str(year), interval_label(interval.start)))
                grid.append([int(c or 0) for c in interval.counts()])
                for c, column in enumerate(LIFE_COLUMNS):
                    meanings[(r, c)] = self._life_meanings(interval.start, column, dt.date(year, 12, 31), data_end)
            estimate = life_table_survival(intervals)
            value = None
            if estimate is not None:
                value = estimate.survival if self.kind == "retention" else 1.0 - estimate.survival
            sources = tuple((r, LIFE_COLUMNS.index(c)) for r in range(first, len(rows)) for c in SURVIVAL_COUNTS)
            derived.append(DerivedCell(len(rows) - 1, survival_value_label(self.kind, self.horizon), "share", value,
                                       sources))
        followed = LIFE_COLUMNS.index("followed")
        parts = tuple(LIFE_COLUMNS.index(c) for c in ("events", "censored_during", "censored_at_end", "continuing"))
        label = "years since hire" if self.kind == "retention" else "years in rank"
        table = Table(title=f"{self.section.title}: {level_label(g, 'yes').lower()}", row_dims=SURVIVAL_ROW_DIMS,
                      row_labels=tuple(rows), col_dim="People",
                      col_labels=tuple(life_label(self.kind, c) for c in LIFE_COLUMNS),
                      counts=tuple(tuple(r) for r in grid),
                      col_sums=(Sum(followed, parts),), derived=tuple(derived), key=self.section.id,
                      notes=(*self.section.notes, *merged_note(g), _life_note(label)))
        formats = {survival_value_label(self.kind, self.horizon): "percent"}
        return ComputedSection(self.section, (SectionTable(table, meanings, formats, g.id, g.label),))


def _life_note(label: str) -> str:
    return (f"A yearly life table of each year (as of 31 December): intervals of whole {label}; people hired before "
            "the data window enter observation when it opens. Followed in the interval = from the interval before + "
            "entering = events + censored + followed past it. The value is the product over the intervals of "
            "(1 − events / n), n = followed − (entering during + censored during) / 2 (the actuarial life-table "
            "estimate: Kaplan–Meier grouped to whole years), with Greenwood's variance.")


def survival_series(table: Any) -> dict[int, dict[str, int | None]]:
    """The published counts a survival value reads, by year and role
    (:func:`~ristra.core.plan.released.survival_roles`; None: suppressed), from a released life
    table of this module."""
    out: dict[int, dict[str, int | None]] = {}
    for r, (year, interval) in enumerate(table.row_labels):
        k = int(str(interval).split(" ", 1)[0])
        counts = out.setdefault(int(year), {})
        for role in SURVIVAL_COUNTS:
            counts[f"{role}:{k}"] = table.cells[r][LIFE_COLUMNS.index(role)]
    return out
