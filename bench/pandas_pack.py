"""The speed baseline: a straightforward pandas implementation of the standard metric pack.

It answers the same plans as the engine (so its results must equal the engine's, and the
benchmark checks that they do), but the pandas way: each dataset read into a DataFrame, category
rules evaluated column by column (pandas' nullable booleans give the same three-valued logic; the
race list is tested row by row), derived columns mapped from the reference tables, and one
``groupby`` per table asked for — no shared scans, no lookups of distinct values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ristra.core.categories import Rule
from ristra.core.categories.checking import ColumnInfo
from ristra.core.categories.derived import DERIVED
from ristra.core.categories.syntax import And, Compare, Expr, InList, KnownTest, Not, Or, SetTest
from ristra.core.metrics.columns import GroupingColumn
from ristra.core.metrics.conditions import (
    AllOf,
    Always,
    CodeIn,
    Condition,
    FlagsTrue,
    IsMissing,
    IsPresent,
    WithinYears,
)
from ristra.core.metrics.groupings import RuleDimension, SchemeDimension
from ristra.core.metrics.plans import Ask, Context, CountsByKey, Plan, plan_for
from ristra.core.metrics.plans.follow_up import NO_TIME, OUTSIDE, SpellDefinition
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.specs import MetricSpec
from ristra.core.metrics.sql.cube import SetColumns, ValueDimension, dimension_key
from ristra.core.metrics.sql.source import PROMOTION_SOURCE, Source
from ristra.engine.reference_tables import county_rows, zip_rows

ZIP_COUNTY = {z: c for z, c, _ in zip_rows() if c is not None}
ZIP_RUCA = {z: r for z, _, r in zip_rows() if r is not None}
COUNTY_RUCC = {f: r for f, r, _ in county_rows()}
COUNTY_FRONTIER = {f: fr for f, _, fr in county_rows()}


def load(path: Path, columns: set[str]) -> pd.DataFrame:
    """A dataset's needed columns as a DataFrame."""
    return pd.read_parquet(path, columns=sorted(columns) or None)


def _boolean(values: Any, unknown: pd.Series | None = None) -> pd.Series:
    out = pd.Series(values, dtype="boolean")
    if unknown is not None:
        out[unknown.to_numpy()] = pd.NA
    return out


def _values(df: pd.DataFrame, info: ColumnInfo) -> pd.Series:
    """A column with unknown markers and empty strings as missing (the rule language's reading)."""
    s = df[info.name]
    if info.kind == "code":
        return s.where(~s.isin(info.markers))
    if info.kind == "text":
        s = s.str.strip().str.lower()
        return s.where(s != "")
    if info.kind in ("id", "fips", "zip", "state"):
        s = s.str.strip()
        return s.where(s != "")
    return s


def _literal(info: ColumnInfo, value: object) -> object:
    return pd.Timestamp(str(value)) if info.kind == "date" else value


def _known_codes(info: ColumnInfo, value: Any) -> list[str] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    known = [str(c) for c in value if c not in info.markers]
    return known or None


def evaluate_rule(df: pd.DataFrame, rule: Rule, expr: Expr | None = None) -> pd.Series:
    """TRUE / FALSE / NA per row (pandas nullable booleans follow Kleene's logic, as SQL does)."""
    expr = rule.expr if expr is None else expr
    if isinstance(expr, Not):
        return ~evaluate_rule(df, rule, expr.operand)
    if isinstance(expr, And | Or):
        parts = [evaluate_rule(df, rule, e) for e in expr.operands]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(expr, And) else (out | p)
        return out
    info = rule.columns[expr.column]
    if isinstance(expr, SetTest):
        wanted = {v.value for v in expr.values}
        op = expr.op

        def test(value: Any) -> object:
            known = _known_codes(info, value)
            if known is None:
                return pd.NA
            if op == "has_any":
                return any(c in wanted for c in known)
            if op == "has_all":
                return wanted <= set(known)
            return set(known) <= wanted

        return pd.Series(df[info.name].map(test), dtype="boolean")
    if isinstance(expr, KnownTest):
        if info.kind == "code_set":
            missing = df[info.name].map(lambda v: _known_codes(info, v) is None).astype(bool)
        else:
            missing = _values(df, info).isna()
        return _boolean(~missing if expr.known else missing)
    values = _values(df, info)
    if isinstance(expr, Compare):
        target = _literal(info, expr.value.value)
        ops = {"==": values.eq, "!=": values.ne, "<": values.lt, "<=": values.le, ">": values.gt, ">=": values.ge}
        return _boolean(ops[expr.op](target).fillna(False).astype(bool), values.isna())
    assert isinstance(expr, InList)
    hit = values.isin([_literal(info, v.value) for v in expr.values])
    return _boolean(~hit if expr.negated else hit, values.isna())


def condition(df: pd.DataFrame, cond: Condition) -> pd.Series:
    """A measure or population condition as a plain boolean Series (missing never counts)."""
    if isinstance(cond, Always):
        return pd.Series(True, index=df.index)
    if isinstance(cond, FlagsTrue):
        out = pd.Series(True, index=df.index)
        for f in cond.flags:
            out &= df[f].fillna(False).astype(bool)
        return out
    if isinstance(cond, CodeIn):
        return df[cond.column].isin(cond.codes)
    if isinstance(cond, IsMissing):
        return df[cond.column].isna()
    if isinstance(cond, IsPresent):
        return df[cond.column].notna()
    if isinstance(cond, WithinYears):
        end = pd.to_datetime(df[cond.end_date])
        return ((end.dt.year - df[cond.start_year]) <= cond.years).fillna(False).astype(bool)
    assert isinstance(cond, AllOf)
    out = pd.Series(True, index=df.index)
    for part in cond.parts:
        out &= condition(df, part)
    return out


def add_derived(df: pd.DataFrame, dataset: str, needed: set[str]) -> pd.DataFrame:
    """The derived columns ``needed`` (see ``derived.py``), mapped from the reference tables."""
    for place in ("residence", "high_school"):
        wanted = [c for c in needed if c.startswith(place + "_") and c in DERIVED]
        if not wanted:
            continue
        zips = df["zip" if dataset == "participants" else f"{place}_zip"]
        if dataset == "participants":
            resolved = zips.map(ZIP_COUNTY)
        else:
            own = df[f"{place}_county_fips"].str.strip()
            resolved = own.where(own != "").fillna(zips.map(ZIP_COUNTY))
        df[f"{place}_county_resolved"] = resolved
        df[f"{place}_ruca"] = zips.map(ZIP_RUCA).astype("Int64")
        df[f"{place}_rucc"] = resolved.map(COUNTY_RUCC).astype("Int64")
        df[f"{place}_frontier"] = resolved.map(COUNTY_FRONTIER).astype("boolean")
    return df


def spell(df: pd.DataFrame, definition: SpellDefinition, kind: str) -> pd.Series:
    """Entry or exit days, or the event code, of each row's spell (see ``follow_up.py``)."""
    start = pd.to_datetime(df[definition.start])
    ev = pd.to_datetime(df[definition.event_date])
    as_of, window = pd.Timestamp(definition.as_of), pd.Timestamp(definition.window_start)
    censor = pd.Series(as_of, index=df.index)
    if definition.censor_date:
        censor = pd.to_datetime(df[definition.censor_date]).fillna(as_of).clip(upper=as_of)
    happened = ev.notna() & (ev <= as_of)
    end = ev.where(happened, censor)
    entry = (window - start).dt.days.clip(lower=0)
    exit_ = (end - start).dt.days
    followed = condition(df, definition.population) & start.notna()
    valid = followed & (exit_ > entry)
    if kind == "entry":
        return entry.where(valid).astype("Int64")
    if kind == "exit":
        return exit_.where(valid).astype("Int64")
    code = pd.Series(1, index=df.index)
    if definition.cause is not None:
        column, codes = definition.cause
        code = df[column].fillna("unknown").map({c: i + 1 for i, c in enumerate(codes)}).fillna(len(codes))
    out = np.where(~followed, OUTSIDE, np.where(~valid, NO_TIME, np.where(happened, code, 0)))
    return pd.Series(out.astype(np.int64), index=df.index)



class PandasAnswers:
    """Answers computed with pandas (see the module docstring)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self._sources: dict[Source, pd.DataFrame] = {}
        self._dimensions: dict[tuple[Source, str], pd.Series] = {}  # each category column computed once

    def frame(self, source: Source) -> pd.DataFrame:
        if source not in self._sources:
            if source.name == PROMOTION_SOURCE:
                self._sources[source] = self._promotion(source)
            else:
                self._sources[source] = self.frames[source.dataset]
        return self._sources[source]

    def _promotion(self, source: Source) -> pd.DataFrame:
        events = self.frames["employee_events"]
        employees = self.frames["employees"]
        spells = {}
        for i, (a, b) in enumerate(source.transitions):
            starts = events[events["event"].isin(["hire", "promotion"]) & (events["to_rank"] == a)]
            done = events[(events["event"] == "promotion") & (events["from_rank"] == a) & (events["to_rank"] == b)]
            spells[f"rank_start_{i}"] = starts.groupby("appointment_id")["date"].min()
            spells[f"promoted_{i}"] = done.groupby("appointment_id")["date"].min()
        faculty = employees[employees["employee_class"] == "faculty"]
        return faculty.join(pd.DataFrame(spells), on="appointment_id")

    def _dimension(self, df: pd.DataFrame, dim: Any, dataset: str) -> pd.Series:
        if isinstance(dim, RuleDimension):
            return evaluate_rule(df, dim.rule)
        if isinstance(dim, GroupingColumn):
            values = df[dim.source]
            return pd.to_datetime(values).dt.year.astype("Int64") if dim.year_of_date else values
        if isinstance(dim, ValueDimension) and isinstance(dim.origin, SpellDefinition):
            return spell(df, dim.origin, dim.key.split(":", 1)[0])
        raise TypeError(f"the pandas pack does not compute {type(dim).__name__}")

    def table(self, ask: Ask) -> CountsByKey:
        df = self.frame(ask.source)
        needed = {c for d in ask.dims if isinstance(d, RuleDimension) for c in d.rule.columns}
        needed |= {d.source for d in ask.dims if isinstance(d, GroupingColumn)}
        add_derived(df, ask.source.dataset, {c for c in needed if c in DERIVED and c not in df.columns})
        if any(isinstance(d, SchemeDimension) for d in ask.dims):
            raise TypeError("race schemes are not part of the standard pack")
        for d in ask.dims:
            if (ask.source, dimension_key(d)) not in self._dimensions:
                self._dimensions[(ask.source, dimension_key(d))] = self._dimension(df, d, ask.source.dataset)
        work = pd.DataFrame({f"d{i}": self._dimensions[(ask.source, dimension_key(d))] for i, d in enumerate(ask.dims)},
                            index=df.index)
        work["n"] = 1
        for j, m in enumerate(ask.measures):
            work[f"c{j}"] = condition(df, m).astype(np.int64)
        counts = ["n", *(f"c{j}" for j in range(len(ask.measures)))]
        if not ask.dims:
            return {(): tuple(int(work[c].sum()) for c in counts)}
        grouped = work.groupby([f"d{i}" for i in range(len(ask.dims))], dropna=False, sort=False)[counts].sum()
        out: CountsByKey = {}
        for key, row in zip(grouped.index, grouped.itertuples(index=False), strict=True):
            k = key if isinstance(key, tuple) else (key,)
            out[tuple(_python(v) for v in k)] = tuple(int(v) for v in row)
        return out

    def columns(self, ask: Ask) -> SetColumns:
        return SetColumns.from_table(self.table(ask), 1 + len(ask.measures), len(ask.dims))

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        values = pd.to_datetime(self.frame(ask.source)[column]).dropna()
        if values.empty:
            return None, None
        return values.min().date(), values.max().date()


def _python(value: Any) -> object:
    if value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class StoredAnswers:
    """Answers computed beforehand, one dataset at a time (so only one DataFrame is in memory)."""

    def __init__(self) -> None:
        self.tables: dict[int, CountsByKey] = {}
        self.extents: dict[tuple[int, str], tuple[dt.date | None, dt.date | None]] = {}

    def answer(self, asks: Sequence[Ask], files: Mapping[str, Path], columns: Mapping[str, set[str]]) -> None:
        by_dataset: dict[str, list[Ask]] = {}
        for ask in asks:
            for name in ask.source.reads:
                by_dataset.setdefault(name, [])
            by_dataset[ask.source.reads[-1]].append(ask)
        loaded: dict[str, pd.DataFrame] = {}
        for group in by_dataset.values():
            needed = {d for a in group for d in a.source.reads}
            loaded = {d: loaded[d] if d in loaded else load(files[d], columns.get(d, set())) for d in needed}
            pandas = PandasAnswers(loaded)
            for ask in group:
                self.tables[id(ask)] = pandas.table(ask)
                for column in ask.extents:
                    self.extents[(id(ask), column)] = pandas.extent(ask, column)
            loaded = {}

    def table(self, ask: Ask) -> CountsByKey:
        return self.tables[id(ask)]

    def columns(self, ask: Ask) -> SetColumns:
        return SetColumns.from_table(self.table(ask), 1 + len(ask.measures), len(ask.dims))

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        return self.extents[(id(ask), column)]


def run_pack(files: Mapping[str, Path], columns: Mapping[str, set[str]], context: Context,
             specs: Sequence[MetricSpec]) -> list[MetricResult]:
    """The pack's results computed with pandas (same phases as the engine; each dataset read once
    per phase, its tables computed, then released)."""
    answers = StoredAnswers()
    plans: list[Plan] = [plan_for(s, context) for s in specs]
    answers.answer([a for p in plans for a in p.asks()], files, columns)
    answers.answer([a for p in plans for a in p.followups(answers)], files, columns)
    return [plan.finish(answers) for plan in plans]
