"""The measures of a plan document: the metric binding, direction, baseline, target, stretch,
years and entered values, with every problem collected (see :mod:`.parsing`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from ristra.core.metrics.errors import MetricError
from ristra.core.plan.bindings import KINDS, LINKED_KINDS, MEASURE_KINDS, MetricBinding, Point
from ristra.core.plan.model import DIRECTIONS, Baseline, Measure, Target
from ristra.core.plan.problems import FieldPath, ProblemCollector, suggest

MEASURE_FIELDS = (
    ("id", "parent", "title", "metric", "direction", "baseline", "target"),
    ("stretch", "years", "entered"),
)


def _binding(
    label: str,
    path: FieldPath,
    raw: object,
    problems: ProblemCollector,
    categories: Collection[str] | None,
    programs: Collection[str] | None = None,
) -> MetricBinding | None:
    if not isinstance(raw, Mapping):
        problems.add(
            label, path, f"a mapping with kind (one of {', '.join(MEASURE_KINDS)}), category and options"
        )
        return None
    kind_name = raw.get("kind")
    if kind_name not in KINDS:
        problems.add(
            label, (*path, "kind"), f"unknown metric kind {kind_name!r}{suggest(kind_name, MEASURE_KINDS)}"
        )
        return None
    kind = KINDS[str(kind_name)]
    category = raw.get("category")
    ok = True
    if kind.metric is not None:
        if not isinstance(category, str) or not category:
            problems.add(label, (*path, "category"), "missing")
            ok = False
        elif categories is not None and category not in categories:
            problems.add(
                label,
                (*path, "category"),
                f"unknown category {category!r}{suggest(category, sorted(categories))}",
            )
            ok = False
    elif category is not None and kind.name in LINKED_KINDS:
        problems.add(
            label,
            (*path, "category"),
            f"a {kind.name} measure has no category (it counts every participant of the program)",
        )
        ok = False
    elif category is not None:
        problems.add(
            label, (*path, "category"), "an entered measure has no category (its values are typed in)"
        )
    options: list[tuple[str, Any]] = []
    for name, value in raw.items():
        if name in ("kind", "category"):
            continue
        if name not in kind.options:
            problems.add(
                label,
                (*path, str(name)),
                f"metric kind {kind.name} takes no option {name!r}; it takes "
                f"{', '.join(('category', *kind.options)) if kind.metric else ', '.join(kind.options)}",
            )
            ok = False
        elif name == "select":
            if not isinstance(value, Mapping) or not value:
                problems.add(
                    label,
                    (*path, "select"),
                    "a mapping of column: value picking the rows, e.g. {senior_administrative: true}",
                )
                ok = False
            else:
                options.append((name, tuple((str(k), v) for k, v in value.items())))
        else:
            options.append((str(name), value))
    for name in kind.requires:
        if name not in raw:
            problems.add(label, (*path, name), f"metric kind {kind.name} needs {name}")
            ok = False
    if kind.name == "entered" and raw.get("range", "ratio") not in ("share", "ratio", "count"):
        problems.add(label, (*path, "range"), "the range of an entered measure is share, ratio or count")
        ok = False
    if kind.name in LINKED_KINDS and "program" in raw and not _program(label, path, raw["program"], problems,
                                                                    programs):
        ok = False
    if not ok:
        return None
    binding = MetricBinding(kind.name, category if kind.metric else None, tuple(options))
    try:
        binding.specs(years=(2000,))
    except MetricError as err:
        problems.add(label, path, f"the engine refuses this metric: {err}")
        return None
    except (TypeError, ValueError) as err:
        problems.add(label, path, f"an option has the wrong type: {err}")
        return None
    return binding


def _program(
    label: str, path: FieldPath, value: object, problems: ProblemCollector, programs: Collection[str] | None
) -> bool:
    """Whether ``value`` is a program id (of ``programs``, the registry's ids, when known)."""
    if not isinstance(value, str) or not value.strip():
        problems.add(label, (*path, "program"), "a program id of the program registry, e.g. PP03")
        return False
    if programs is not None and value not in programs:
        known = sorted(programs)
        problems.add(label, (*path, "program"), f"unknown program {value!r}{suggest(value, known)}")
        return False
    return True


def measure_from_dict(
    i: int,
    raw: Mapping[str, Any],
    label: str,
    problems: ProblemCollector,
    parent: str | None,
    categories: Collection[str] | None,
    programs: Collection[str] | None = None,
) -> Measure | None:
    """One measure (``parent`` already checked by the caller; None when it is wrong).
    ``programs``: the program registry's ids, checked against a ``pipeline-yield`` measure's
    ``program`` when given (when not, the status says so if the program has no outcomes)."""
    path: FieldPath = ("measures", i)
    ok = problems.fields(label, path, raw, *MEASURE_FIELDS)
    binding = (
        _binding(label, (*path, "metric"), raw.get("metric"), problems, categories, programs)
        if "metric" in raw
        else None
    )
    direction = raw.get("direction")
    if "direction" in raw and direction not in DIRECTIONS:
        problems.add(
            label, (*path, "direction"), f"unknown direction {direction!r}{suggest(direction, DIRECTIONS)}"
        )
        ok = False
    value_range = binding.value_range if binding else (-math.inf, math.inf)
    what = f"a {binding.kind} measure" if binding else "the measure"
    baseline = _baseline(label, (*path, "baseline"), raw.get("baseline"), problems, value_range, what)
    target = _target(label, (*path, "target"), raw.get("target"), problems, value_range, what)
    stretch = None
    if raw.get("stretch") is not None:
        spath: FieldPath = (*path, "stretch")
        s = raw["stretch"]
        if not isinstance(s, Mapping) or not problems.fields(label, spath, s, ("value",), ()):
            problems.add(label, spath, "a mapping with value") if not isinstance(s, Mapping) else None
        else:
            stretch = problems.number(label, (*spath, "value"), s["value"], value_range, what)
            if (
                stretch is not None
                and target is not None
                and direction in DIRECTIONS
                and (stretch - target.value) * (1 if direction == "increase" else -1) < 0
            ):
                problems.add(
                    label, (*spath, "value"), f"a stretch target goes beyond the target ({direction})"
                )
    if baseline is not None and target is not None and target.year <= baseline.year:
        problems.add(
            label,
            (*path, "target", "year"),
            f"the target year {target.year} must come after the baseline year {baseline.year}",
        )
        ok = False
    years = _years(label, (*path, "years"), raw.get("years"), problems)
    if binding is not None and binding.measure_kind.survival and years is None and "years" not in raw:
        problems.add(
            label,
            (*path, "years"),
            f"a {binding.kind} measure needs years: [first, last], the past "
            "years whose 31 December ends the data of each point",
        )
        ok = False
    entered = _entered(label, (*path, "entered"), raw.get("entered"), problems, value_range, what, binding)
    if not ok or parent is None or binding is None or baseline is None or target is None:
        return None
    return Measure(
        str(raw["id"]),
        parent,
        problems.text(label, (*path, "title"), raw["title"]),
        binding,
        str(direction),
        baseline,
        target,
        stretch,
        years,
        entered,
    )


def _fields_of(
    label: str,
    path: FieldPath,
    raw: object,
    problems: ProblemCollector,
    expected: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> Mapping[str, object] | None:
    """``raw`` when it is a mapping with the ``required`` fields and no field outside ``required``
    and ``optional``; otherwise ``None`` with the problem recorded (``None`` for a missing value)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(label, path, expected)
        return None
    return raw if problems.fields(label, path, raw, required, optional) else None


def _baseline(
    label: str,
    path: FieldPath,
    raw: object,
    problems: ProblemCollector,
    value_range: tuple[float, float],
    what: str,
) -> Baseline | None:
    raw = _fields_of(label, path, raw, problems, "a mapping with year (and value, lower, upper, snapshot once pinned)",
                     ("year",), ("value", "lower", "upper", "snapshot"))
    if raw is None:
        return None
    year = problems.year(label, (*path, "year"), raw["year"])
    values = {
        k: problems.number(label, (*path, k), raw[k], value_range, what) if raw.get(k) is not None else None
        for k in ("value", "lower", "upper")
    }
    v, lo, hi = values["value"], values["lower"], values["upper"]
    if (lo is None) != (hi is None) or (lo is not None and v is None):
        problems.add(label, path, "give the interval's lower and upper together, with the value")
        return None
    if v is not None and lo is not None and hi is not None and not lo <= v <= hi:
        problems.add(label, path, f"the value {v:g} lies outside its interval [{lo:g}, {hi:g}]")
        return None
    if year is None:
        return None
    snapshot = raw.get("snapshot")
    return Baseline(year, v, lo, hi, str(snapshot) if snapshot is not None else None)


def _target(
    label: str,
    path: FieldPath,
    raw: object,
    problems: ProblemCollector,
    value_range: tuple[float, float],
    what: str,
) -> Target | None:
    raw = _fields_of(label, path, raw, problems, "a mapping with value and year", ("value", "year"), ())
    if raw is None:
        return None
    value = problems.number(label, (*path, "value"), raw["value"], value_range, what)
    year = problems.year(label, (*path, "year"), raw["year"])
    return Target(value, year) if value is not None and year is not None else None


def _years(label: str, path: FieldPath, raw: object, problems: ProblemCollector) -> tuple[int, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        problems.add(label, path, "the first and last year of the series, e.g. [2016, 2025]")
        return None
    first = problems.year(label, (*path, 0), raw[0])
    last = problems.year(label, (*path, 1), raw[1])
    if first is None or last is None:
        return None
    if last < first:
        problems.add(label, path, f"the last year {last} comes before the first {first}")
        return None
    return first, last


def _entered(
    label: str,
    path: FieldPath,
    raw: object,
    problems: ProblemCollector,
    value_range: tuple[float, float],
    what: str,
    binding: MetricBinding | None,
) -> tuple[Point, ...]:
    if raw is None:
        return ()
    if binding is not None and binding.kind != "entered":
        problems.add(
            label,
            path,
            "values can be typed in only for a measure of kind entered (no data in ristra); "
            f"a {binding.kind} measure is computed from the snapshots",
        )
        return ()
    if not isinstance(raw, list):
        problems.add(label, path, "a list of {year, value, lower?, upper?}")
        return ()
    out = []
    for j, p in enumerate(raw):
        ppath: FieldPath = (*path, j)
        if not isinstance(p, Mapping) or not problems.fields(
            label, ppath, p, ("year", "value"), ("lower", "upper")
        ):
            if not isinstance(p, Mapping):
                problems.add(label, ppath, "a mapping with year and value")
            continue
        year = problems.year(label, (*ppath, "year"), p["year"])
        value = problems.number(label, (*ppath, "value"), p["value"], value_range, what)
        lo = (
            problems.number(label, (*ppath, "lower"), p["lower"], value_range, what) if "lower" in p else None
        )
        hi = (
            problems.number(label, (*ppath, "upper"), p["upper"], value_range, what) if "upper" in p else None
        )
        if year is None or value is None:
            continue
        if lo is not None and hi is not None and not lo <= value <= hi:
            problems.add(label, ppath, f"the value {value:g} lies outside its interval [{lo:g}, {hi:g}]")
            continue
        out.append(
            Point(year, value, math.nan if lo is None else lo, math.nan if hi is None else hi, entered=True)
        )
    return tuple(sorted(out, key=lambda q: q.year))
