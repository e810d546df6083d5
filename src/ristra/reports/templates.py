"""Report templates: versioned data (YAML), loaded into frozen values and checked.

A template declares a report's sections — tables of counts bound to measures
(:mod:`.measures`), tables bound to the metrics engine (path, funnel, retention), the pipeline
programs table and narrative text — with titles, numbered notes and a version. The format is
described in ``docs/reports.md``; the shipped templates live in
``ristra/report_templates/*.yaml``.

Contract
--------
* :func:`load_template` reads one file (a shipped template id or a path) and checks everything
  that needs no data: keys, kinds, measures, columns, years, filters. Any problem raises
  :class:`TemplateError` naming the template, the section and the field.
* Category names are checked against the category version in use when a report is made
  (:func:`ristra.reports.binding.check_categories`), with the same kind of message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ristra.core.datasets import dataset
from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.errors import MetricError
from ristra.core.metrics.specs import EMPLOYEE_POPULATIONS
from ristra.reports.measures import MEASURES

KINDS = ("table", "breakdown", "path", "funnel", "retention", "programs", "program_rosters", "program_outcomes",
         "plan_measure", "text")
#: The charts each kind of section can draw.
CHARTS: Mapping[str, tuple[str, ...]] = {"breakdown": ("trend",), "path": ("path",), "funnel": ("funnel",),
                                         "retention": ("retention",)}
_COMMON = {"id", "kind", "title", "notes"}
_KEYS: Mapping[str, set[str]] = {
    "table": _COMMON | {"categories", "where", "years", "columns", "rates"},
    "breakdown": _COMMON | {"categories", "where", "metric", "rows", "chart"},
    "path": _COMMON | {"categories", "chart"},
    "funnel": _COMMON | {"categories", "chart"},
    "retention": _COMMON | {"categories", "population", "horizons", "chart"},
    "programs": _COMMON | {"years"},
    "program_rosters": _COMMON,
    "program_outcomes": _COMMON | {"rows"},
    "plan_measure": _COMMON | {"categories", "measure"},
    "text": _COMMON | {"text", "placeholder"},
}
_TOP_KEYS = {"id", "version", "title", "description", "categories", "notes", "sections"}


class TemplateError(ValueError):
    """A template that cannot be used; the message names the template, section and field."""


@dataclass(frozen=True)
class ColumnSpec:
    """A count column of a ``table`` section: ``metric`` counted, one column per value of ``by``
    when given; ``total_of`` lists the columns (ids) it is the sum of. In a table with ``years``,
    a column with ``per_year`` false is shown once, over every year, after the yearly columns."""

    id: str
    metric: str
    label: str
    by: str | None = None
    total_of: tuple[str, ...] = ()
    per_year: bool = True


@dataclass(frozen=True)
class RateSpec:
    """A derived rate: the sum of the ``numerator`` columns over the ``denominator`` column
    (ids; ``by`` values as ``id:value``)."""

    label: str
    numerator: tuple[str, ...]
    denominator: str


@dataclass(frozen=True)
class YearsSpec:
    """Years shown: the ``recent`` most recent values of the year ``column`` (all when None)."""

    column: str
    recent: int | None = None


@dataclass(frozen=True)
class Section:
    """One section of a template; which fields matter depends on ``kind`` (docs/reports.md)."""

    id: str
    kind: str
    title: str
    notes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    years: YearsSpec | None = None
    columns: tuple[ColumnSpec, ...] = ()
    rates: tuple[RateSpec, ...] = ()
    metric: str = ""
    rows_by: str = ""
    rows_total: str = "Total"
    chart: str = ""
    population: str = "faculty"
    horizons: tuple[float, ...] = ()
    text: str = ""
    placeholder: bool = False
    #: a plan measure's metric block (``plan_measure`` sections: ristra.reports.plan_sections)
    measure: tuple[tuple[str, Any], ...] = ()

    @property
    def dataset(self) -> str:
        """The dataset a count section reads ("" for other kinds)."""
        if self.kind == "table":
            return MEASURES[self.columns[0].metric].dataset
        if self.kind == "breakdown":
            return MEASURES[self.metric].dataset
        return ""


@dataclass(frozen=True)
class ReportTemplate:
    """A loaded, checked template."""

    id: str
    version: int
    title: str
    description: str
    categories: tuple[str, ...]
    notes: tuple[str, ...]
    sections: tuple[Section, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "title": self.title, "description": self.description}


def shipped_template_ids() -> tuple[str, ...]:
    """Ids of the templates shipped in ``ristra.report_templates``, sorted."""
    found = []
    for entry in resources.files("ristra.report_templates").iterdir():
        if entry.name.endswith(".yaml"):
            found.append(_read(entry.read_text(encoding="utf-8"), entry.name).get("id", entry.name))
    return tuple(sorted(str(f) for f in found))


def load_template(name: str | Path) -> ReportTemplate:
    """A shipped template by id, or a template file by path (see the module docstring)."""
    if isinstance(name, Path) or str(name).endswith((".yaml", ".yml")):
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise TemplateError(f"template file {path} cannot be read: {error.strerror}") from None
        return parse_template(_read(text, str(path)), str(path))
    for entry in resources.files("ristra.report_templates").iterdir():
        if entry.name.endswith(".yaml"):
            data = _read(entry.read_text(encoding="utf-8"), entry.name)
            if data.get("id") == name:
                return parse_template(data, entry.name)
    raise TemplateError(f"unknown report template {name!r}{_suggest(str(name), shipped_template_ids())}")


def _read(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise TemplateError(f"template {where} is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"template {where} must be a mapping with id, version, title and sections")
    return data


def _suggest(name: str, choices: Iterable[str]) -> str:
    options = sorted(set(choices))
    near = difflib.get_close_matches(name, options, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"{hint} (choose from: {', '.join(options)})" if options else hint


class _Checker:
    """Builds values from raw YAML data, raising :class:`TemplateError` with the place named."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.section = ""

    def fail(self, field: str, problem: str) -> TemplateError:
        where = f"template {self.template}"
        if self.section:
            where += f", section {self.section!r}"
        return TemplateError(f"{where}, field {field!r}: {problem}")

    def text(self, data: Mapping[str, Any], key: str, required: bool = True, default: str = "") -> str:
        value = data.get(key, default)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "is required")
            return default
        if not isinstance(value, str):
            raise self.fail(key, "must be text")
        return value.strip()

    def texts(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "must be a list of text")
        return tuple(v.strip() for v in value)

    def keys(self, data: Mapping[str, Any], allowed: set[str], what: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(unknown[0], f"is not a field of {what}{_suggest(unknown[0], allowed)}")

    def measure(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or value not in MEASURES:
            raise self.fail(field, f"unknown metric {value!r}{_suggest(str(value), MEASURES)}")
        return value

    def column(self, dataset_name: str, value: Any, field: str, *, year: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(field, "must name a column")
        try:
            found = grouping_column(dataset_name, value)
        except MetricError as error:
            raise self.fail(field, str(error)) from None
        if year and found.kind != "year":
            raise self.fail(field, f"{value} is not a year column of {dataset_name}")
        return value


def parse_template(data: Mapping[str, Any], where: str = "<data>") -> ReportTemplate:
    """A checked template from its raw data (see the module docstring)."""
    check = _Checker(str(data.get("id") or where))
    check.keys(data, _TOP_KEYS, "a template")
    template_id = check.text(data, "id")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise check.fail("version", "must be a whole number from 1 (bump it whenever the layout changes)")
    categories = check.texts(data, "categories")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise check.fail("sections", "must be a non-empty list")
    sections: list[Section] = []
    for index, raw in enumerate(raw_sections):
        if not isinstance(raw, dict):
            raise check.fail(f"sections[{index}]", "must be a mapping")
        check.section = str(raw.get("id") or f"#{index + 1}")
        sections.append(_section(check, raw, categories))
        check.section = ""
    ids = [s.id for s in sections]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise check.fail("sections", f"section id {repeated[0]!r} is used twice")
    return ReportTemplate(template_id, version, check.text(data, "title"),
                          check.text(data, "description", required=False), categories,
                          check.texts(data, "notes"), tuple(sections))


def _section(check: _Checker, raw: Mapping[str, Any], default_categories: tuple[str, ...]) -> Section:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise check.fail("kind", f"unknown kind {kind!r}{_suggest(str(kind), KINDS)}")
    check.keys(raw, _KEYS[kind], f"a {kind} section")
    base: dict[str, Any] = {"id": check.text(raw, "id"), "kind": kind, "title": check.text(raw, "title"),
                            "notes": check.texts(raw, "notes")}
    if "categories" in _KEYS[kind]:
        base["categories"] = check.texts(raw, "categories") or default_categories
        if not base["categories"]:
            raise check.fail("categories", "name at least one category (here or at the top of the template)")
    if "chart" in raw:
        base["chart"] = check.text(raw, "chart")
        if base["chart"] not in CHARTS.get(kind, ()):
            raise check.fail("chart", f"a {kind} section can draw {' or '.join(CHARTS.get(kind, ())) or 'no chart'}")
    if kind == "text":
        base["text"] = check.text(raw, "text")
        base["placeholder"] = bool(raw.get("placeholder", False))
    elif kind == "table":
        base.update(_table_fields(check, raw))
    elif kind == "breakdown":
        base.update(_breakdown_fields(check, raw))
    elif kind == "retention":
        population = raw.get("population", "faculty")
        if population not in EMPLOYEE_POPULATIONS:
            raise check.fail("population", f"must be one of {', '.join(EMPLOYEE_POPULATIONS)}")
        horizons = raw.get("horizons", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        if (not isinstance(horizons, list) or not horizons
                or not all(isinstance(h, int | float) and not isinstance(h, bool) and 0 < h <= 40 for h in horizons)):
            raise check.fail("horizons", "must be a list of years between 0 and 40")
        base.update(population=population, horizons=tuple(float(h) for h in horizons))
    elif kind == "programs":
        base["years"] = _years(check, raw.get("years"), "participants", default_column="year")
    elif kind == "program_outcomes":
        rows = raw.get("rows", "cohort")
        if rows not in ("cohort", "program", "comparison", "tiers"):
            raise check.fail("rows", "must be 'cohort' (a table per program), 'program' (one table of programs), "
                                     "'comparison' (a comparison table per program) or 'tiers' (roster rows by "
                                     "linkage tier)")
        base["rows_by"] = rows
    elif kind == "plan_measure":
        base["measure"] = _measure_block(check, raw.get("measure"))
    return Section(**base)


def _measure_block(check: _Checker, raw: Any) -> tuple[tuple[str, Any], ...]:
    """A plan measure's metric block as sorted items (lists as tuples); its options are checked
    where the section is bound (ristra.reports.plan_sections)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise check.fail("measure", "must be a mapping with the measure's kind and options")
    items = []
    for key, value in sorted(raw.items()):
        if isinstance(value, list):
            value = tuple(value)
        if not all(isinstance(v, str | int | float) for v in (value if isinstance(value, tuple) else (value,))):
            raise check.fail(f"measure.{key}", "must be text, a number or a list of them")
        items.append((str(key), value))
    return tuple(items)


def _years(check: _Checker, raw: Any, dataset_name: str, default_column: str) -> YearsSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise check.fail("years", "must be a mapping with column and recent")
    check.keys(raw, {"column", "recent"}, "years")
    column = check.column(dataset_name, raw.get("column", default_column), "years.column", year=True)
    recent = raw.get("recent")
    if recent is not None and (isinstance(recent, bool) or not isinstance(recent, int) or not 1 <= recent <= 50):
        raise check.fail("years.recent", "must be a whole number from 1 to 50")
    return YearsSpec(column, recent)


def _where(check: _Checker, raw: Any, dataset_name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise check.fail("where", "must map column names to a value or a list of values")
    ds = dataset(dataset_name)
    out = []
    for column, value in raw.items():
        if column not in ds.column_names:
            raise check.fail(f"where.{column}", f"dataset {dataset_name} has no column {column!r}"
                                                f"{_suggest(str(column), ds.column_names)}")
        col = ds.column(column)
        if col.sensitive:
            raise check.fail(f"where.{column}", "a sensitive column cannot filter a report")
        if col.kind == "flag":
            if value is not True:
                raise check.fail(f"where.{column}", "a flag can only be required true")
            out.append((column, ("true",)))
            continue
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise check.fail(f"where.{column}", "must be a value or a list of values (text)")
        if col.vocabulary is not None:
            bad = [v for v in values if v not in col.allowed_values]
            if bad:
                raise check.fail(f"where.{column}", f"{bad[0]!r} is not a code of {column}"
                                                    f"{_suggest(bad[0], col.allowed_values)}")
        out.append((column, tuple(values)))
    return tuple(sorted(out))


def _table_fields(check: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise check.fail("columns", "must be a non-empty list")
    columns: list[ColumnSpec] = []
    datasets: set[str] = set()
    for i, c in enumerate(raw_columns):
        field = f"columns[{i}]"
        if not isinstance(c, dict):
            raise check.fail(field, "must be a mapping with id and metric")
        check.keys(c, {"id", "metric", "label", "by", "total_of", "per_year"}, "a column")
        metric = check.measure(c.get("metric"), f"{field}.metric")
        measure = MEASURES[metric]
        datasets.add(measure.dataset)
        if len(datasets) > 1:
            raise check.fail(f"{field}.metric", "every column of one table must count the same dataset")
        by = check.column(measure.dataset, c["by"], f"{field}.by") if c.get("by") is not None else None
        total_of = check.texts(c, "total_of")
        known = {col.id for col in columns}
        missing = [t for t in total_of if t not in known]
        if missing:
            raise check.fail(f"{field}.total_of", f"names no earlier column {missing[0]!r}")
        column_id = check.text(c, "id")
        if column_id in known:
            raise check.fail(f"{field}.id", f"column id {column_id!r} is used twice")
        per_year = c.get("per_year", True)
        if not isinstance(per_year, bool):
            raise check.fail(f"{field}.per_year", "must be true or false")
        if any(next(x for x in columns if x.id == t).per_year != per_year for t in total_of):
            raise check.fail(f"{field}.total_of", "a total and its parts must all be per year or all not")
        columns.append(ColumnSpec(column_id, metric, check.text(c, "label", required=False, default=measure.label),
                                  by, total_of, per_year))
    dataset_name = datasets.pop()
    rates = []
    for i, r in enumerate(raw.get("rates", []) or []):
        if not isinstance(r, dict):
            raise check.fail(f"rates[{i}]", "must be a mapping with label, numerator and denominator")
        check.keys(r, {"label", "numerator", "denominator"}, "a rate")
        ids = {c.id for c in columns}
        numerator = check.texts(r, "numerator")
        denominator = check.text(r, "denominator")
        for name in (*numerator, denominator):
            if name.split(":", 1)[0] not in ids:
                raise check.fail(f"rates[{i}]", f"names no column {name!r}")
        rates.append(RateSpec(check.text(r, "label"), numerator, denominator))
    return {"columns": tuple(columns), "rates": tuple(rates), "where": _where(check, raw.get("where"), dataset_name),
            "years": _years(check, raw.get("years"), dataset_name, default_column="")}


def _breakdown_fields(check: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    metric = check.measure(raw.get("metric"), "metric")
    dataset_name = MEASURES[metric].dataset
    rows = raw.get("rows")
    if not isinstance(rows, dict):
        raise check.fail("rows", "must be a mapping with by (a column) and optionally recent and total")
    check.keys(rows, {"by", "recent", "total"}, "rows")
    by = check.column(dataset_name, rows.get("by"), "rows.by")
    recent = rows.get("recent")
    if recent is not None:
        if grouping_column(dataset_name, by).kind != "year":
            raise check.fail("rows.recent", f"{by} is not a year column")
        if isinstance(recent, bool) or not isinstance(recent, int) or not 1 <= recent <= 50:
            raise check.fail("rows.recent", "must be a whole number from 1 to 50")
    total = check.text(rows, "total", required=False, default="Total")
    return {"metric": metric, "rows_by": by, "rows_total": total,
            "years": YearsSpec(by, recent) if recent is not None else None,
            "where": _where(check, raw.get("where"), dataset_name)}
