"""A plan document from a plain dict (the YAML file loaded by an adapter), with every problem.

:func:`plan_from_dict` checks the whole document before returning anything and raises one
:class:`~.problems.PlanFileError` listing each problem with its line (when the adapter passes the
file's line marks), the item and the field. It refuses, among others:

* unknown fields, missing fields, duplicate ids, values of the wrong type or outside their range;
* an unknown measure kind or an engine option the metric does not take (checked by
  :func:`~ristra.core.metrics.make_spec`, the engine's own check);
* an unknown category (not in the category version given);
* an unknown parent: an item's ``parent`` that is no item of the plan able to hold it, or an
  ``aligns_to`` id that is not in the :class:`~.alignment.ParentCatalogue`;
* a target (or baseline, stretch or entered value) outside the range of the measure's values —
  a share outside [0, 1], a negative ratio;
* a cycle in the tree (objective A under B under A).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ristra.core.metrics.errors import MetricError
from ristra.core.plan.alignment import ParentCatalogue
from ristra.core.plan.bindings import KINDS, MEASURE_KINDS, MetricBinding, Point
from ristra.core.plan.model import (
    ACTION_STATUSES,
    DIRECTIONS,
    EVIDENCE_KINDS,
    Action,
    ActionUpdate,
    Baseline,
    Evidence,
    Goal,
    Measure,
    Objective,
    Plan,
    Target,
)
from ristra.core.plan.problems import FieldPath, LineMarks, PlanFileError, PlanProblem, dotted, line_of

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,62}")
SECTIONS = ("plan", "goals", "objectives", "actions", "measures")
_FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # section: (required, optional)
    "plan": (("id", "title", "cycle", "start_year", "end_year"), ("owner", "description")),
    "goals": (("id", "title"), ("description", "aligns_to")),
    "objectives": (("id", "parent", "title"), ("description", "aligns_to")),
    "actions": (("id", "parent", "title", "owner", "due"), ("status", "updates")),
    "measures": (
        ("id", "parent", "title", "metric", "direction", "baseline", "target"),
        ("stretch", "years", "entered"),
    ),
}
_SINGULAR = {"goals": "goal", "objectives": "objective", "actions": "action", "measures": "measure"}


def _suggest(name: object, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(str(name), list(choices), n=1)
    listed = ", ".join(choices) if choices else "(none)"
    return (f"; did you mean {near[0]}? Choose from: " if near else ". Choose from: ") + listed


class _Problems:
    def __init__(self, lines: LineMarks | None) -> None:
        self.lines = lines
        self.found: list[PlanProblem] = []

    def add(self, item: str, path: FieldPath, message: str) -> None:
        self.found.append(PlanProblem(item, dotted(path), message, line_of(self.lines, path)))

    def fields(
        self,
        item: str,
        path: FieldPath,
        data: Mapping[str, Any],
        required: Sequence[str],
        optional: Sequence[str],
    ) -> bool:
        ok = True
        for name in required:
            if data.get(name) in (None, "", []):
                self.add(item, (*path, name), "missing")
                ok = False
        for name in data:
            if name not in required and name not in optional:
                self.add(
                    item,
                    (*path, str(name)),
                    f"unknown field; the fields are {', '.join((*required, *optional))}",
                )
        return ok

    def text(self, item: str, path: FieldPath, value: object) -> str:
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.add(item, path, "must be text")
            return ""
        return str(value).strip()

    def year(self, item: str, path: FieldPath, value: object) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2200:
            self.add(item, path, f"must be a year written as a whole number (1900-2200), not {value!r}")
            return None
        return value

    def date(self, item: str, path: FieldPath, value: object) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.add(item, path, f"must be a date written YYYY-MM-DD, not {value!r}")
            return ""

    def number(
        self, item: str, path: FieldPath, value: object, value_range: tuple[float, float], what: str
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            self.add(item, path, f"must be a number, not {value!r}")
            return None
        low, high = value_range
        if not low <= float(value) <= high:
            shown = f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, ∞)"
            self.add(item, path, f"{value!r} is outside {shown}, the range of {what}")
            return None
        return float(value)

    def ids(self, item: str, path: FieldPath, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(item, path, "must be a list of ids")
            return ()
        return tuple(value)


def _section(
    data: Mapping[str, Any], name: str, problems: _Problems
) -> list[tuple[int, Mapping[str, Any], str]]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("-", (name,), "must be a list")
        return []
    out = []
    for i, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            problems.add(f"{_SINGULAR[name]} #{i + 1}", (name, i), "must be a mapping of fields")
            continue
        rid = raw.get("id")
        label = f"{_SINGULAR[name]} {rid}" if isinstance(rid, str) and rid else f"{_SINGULAR[name]} #{i + 1}"
        out.append((i, raw, label))
    return out


def plan_from_dict(
    data: Mapping[str, Any],
    *,
    lines: LineMarks | None = None,
    categories: Collection[str] | None = None,
    catalogue: ParentCatalogue | None = None,
) -> Plan:
    """The :class:`~.model.Plan` of a document (layout: :mod:`.model`). ``categories`` (the ids of
    the category version in use) and ``catalogue`` (the parent items) are checked when given;
    ``lines`` maps field paths to the lines of the file. Raises :class:`PlanFileError`."""
    problems = _Problems(lines)
    if not isinstance(data, Mapping):
        raise PlanFileError([PlanProblem("-", "-", "a plan file holds a mapping with 'plan', 'goals', …", 1)])
    for key in data:
        if key not in SECTIONS:
            problems.add("-", (str(key),), f"unknown section; the sections are {', '.join(SECTIONS)}")
    head = _plan_head(data.get("plan"), problems)
    sections = {name: _section(data, name, problems) for name in SECTIONS[1:]}
    kinds: dict[str, str] = {}
    for name, items in sections.items():
        for i, raw, label in items:
            rid = raw.get("id")
            if isinstance(rid, str) and _ID.fullmatch(rid):
                if rid in kinds:
                    problems.add(label, (name, i, "id"), f"duplicate id (already used by a {kinds[rid]})")
                kinds.setdefault(rid, _SINGULAR[name])
            elif rid not in (None, ""):
                problems.add(
                    label,
                    (name, i, "id"),
                    "an id is letters, digits, '_', '-' and '.', starting with a letter",
                )
    goals = tuple(
        g for g in (_goal(i, raw, label, problems, catalogue) for i, raw, label in sections["goals"]) if g
    )
    objectives = tuple(
        o
        for o in (
            _objective(i, raw, label, problems, catalogue, kinds) for i, raw, label in sections["objectives"]
        )
        if o
    )
    _check_cycles(objectives, sections["objectives"], problems)
    actions = tuple(
        a for a in (_action(i, raw, label, problems, kinds) for i, raw, label in sections["actions"]) if a
    )
    measures = tuple(
        m
        for m in (
            _measure(i, raw, label, problems, kinds, categories) for i, raw, label in sections["measures"]
        )
        if m
    )
    if head is not None and not goals and not problems.found:
        problems.add("-", ("goals",), "a plan needs at least one goal")
    if problems.found or head is None:
        raise PlanFileError(problems.found)
    return Plan(**head, goals=goals, objectives=objectives, actions=actions, measures=measures)


def _plan_head(raw: object, problems: _Problems) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        problems.add("plan", ("plan",), "missing: a mapping with id, title, cycle, start_year and end_year")
        return None
    required, optional = _FIELDS["plan"]
    ok = problems.fields("plan", ("plan",), raw, required, optional)
    pid = raw.get("id")
    if isinstance(pid, str) and not _ID.fullmatch(pid):
        problems.add(
            "plan", ("plan", "id"), "an id is letters, digits, '_', '-' and '.', starting with a letter"
        )
        ok = False
    start = (
        problems.year("plan", ("plan", "start_year"), raw.get("start_year")) if "start_year" in raw else None
    )
    end = problems.year("plan", ("plan", "end_year"), raw.get("end_year")) if "end_year" in raw else None
    if start is not None and end is not None and end < start:
        problems.add("plan", ("plan", "end_year"), f"the plan ends ({end}) before it starts ({start})")
    if not ok or start is None or end is None:
        return None
    return {
        "id": str(pid),
        "title": problems.text("plan", ("plan", "title"), raw["title"]),
        "cycle": problems.text("plan", ("plan", "cycle"), raw["cycle"]),
        "start_year": start,
        "end_year": end,
        "owner": problems.text("plan", ("plan", "owner"), raw.get("owner")),
        "description": problems.text("plan", ("plan", "description"), raw.get("description")),
    }


def _aligns(
    label: str,
    path: FieldPath,
    raw: Mapping[str, Any],
    problems: _Problems,
    catalogue: ParentCatalogue | None,
) -> tuple[str, ...]:
    ids = problems.ids(label, (*path, "aligns_to"), raw.get("aligns_to"))
    if catalogue is None:
        return ids
    if not ids:
        problems.add(
            label,
            (*path, "aligns_to"),
            "align every goal and objective to at least one parent item "
            "(a goal or objective of a parent plan, or an accreditation element)",
        )
    for j, pid in enumerate(ids):
        if pid not in catalogue.ids:
            problems.add(
                label, (*path, "aligns_to", j), f"unknown parent item {pid!r}{_suggest(pid, catalogue.ids)}"
            )
    return ids


def _goal(
    i: int, raw: Mapping[str, Any], label: str, problems: _Problems, catalogue: ParentCatalogue | None
) -> Goal | None:
    path: FieldPath = ("goals", i)
    ok = problems.fields(label, path, raw, *_FIELDS["goals"])
    aligns = _aligns(label, path, raw, problems, catalogue)
    if not ok:
        return None
    return Goal(
        str(raw["id"]),
        problems.text(label, (*path, "title"), raw["title"]),
        problems.text(label, (*path, "description"), raw.get("description")),
        aligns,
    )


def _parent(
    label: str,
    path: FieldPath,
    raw: Mapping[str, Any],
    problems: _Problems,
    kinds: Mapping[str, str],
    allowed: Sequence[str],
) -> str | None:
    parent = raw.get("parent")
    if parent is None:
        return None
    if not isinstance(parent, str) or kinds.get(parent) not in allowed:
        holders = sorted(k for k, v in kinds.items() if v in allowed)
        what = " or ".join(allowed)
        if isinstance(parent, str) and parent in kinds:
            problems.add(
                label, (*path, "parent"), f"{parent!r} is a {kinds[parent]}; the parent must be a {what}"
            )
        else:
            problems.add(
                label,
                (*path, "parent"),
                f"unknown parent item {parent!r}: no {what} has that id{_suggest(parent, holders)}",
            )
        return None
    return parent


def _objective(
    i: int,
    raw: Mapping[str, Any],
    label: str,
    problems: _Problems,
    catalogue: ParentCatalogue | None,
    kinds: Mapping[str, str],
) -> Objective | None:
    path: FieldPath = ("objectives", i)
    ok = problems.fields(label, path, raw, *_FIELDS["objectives"])
    parent = _parent(label, path, raw, problems, kinds, ("goal", "objective"))
    aligns = _aligns(label, path, raw, problems, catalogue)
    if not ok or parent is None:
        return None
    return Objective(
        str(raw["id"]),
        parent,
        problems.text(label, (*path, "title"), raw["title"]),
        problems.text(label, (*path, "description"), raw.get("description")),
        aligns,
    )


def _check_cycles(
    objectives: Sequence[Objective], raws: Sequence[tuple[int, Mapping[str, Any], str]], problems: _Problems
) -> None:
    parent = {o.id: o.parent for o in objectives}
    index = {raw.get("id"): (i, label) for i, raw, label in raws}
    reported: set[str] = set()
    for start in parent:
        chain = [start]
        node = parent[start]
        while node in parent and node not in chain:
            chain.append(node)
            node = parent[node]
        if node in chain and node not in reported:
            loop = chain[chain.index(node) :]
            reported.update(loop)
            i, label = index[node]
            problems.add(
                label,
                ("objectives", i, "parent"),
                f"a cycle in the tree: {' → '.join([*loop, node])} (an objective cannot be under itself)",
            )


def _evidence(label: str, path: FieldPath, raw: object, problems: _Problems) -> Evidence | None:
    if not isinstance(raw, Mapping):
        problems.add(label, path, "each piece of evidence is a mapping with kind and text, href or name")
        return None
    kind = raw.get("kind")
    needs = {"note": ("text",), "link": ("href",), "file": ("name", "sha256")}
    if kind not in EVIDENCE_KINDS:
        problems.add(
            label, (*path, "kind"), f"unknown evidence kind {kind!r}{_suggest(kind, EVIDENCE_KINDS)}"
        )
        return None
    if not problems.fields(label, path, raw, ("kind", *needs[str(kind)]), ()):
        return None
    href = str(raw.get("href") or "")
    if kind == "link" and not href.startswith(("https://", "http://")):
        problems.add(label, (*path, "href"), "a link starts with https:// or http://")
    if kind == "file" and not re.fullmatch(r"[0-9a-f]{64}", str(raw.get("sha256"))):
        problems.add(label, (*path, "sha256"), "the SHA-256 of the file, 64 hexadecimal digits")
    return Evidence(
        str(kind),
        str(raw.get("text") or "").strip(),
        href,
        str(raw.get("name") or ""),
        str(raw.get("sha256") or ""),
    )


def _action(
    i: int, raw: Mapping[str, Any], label: str, problems: _Problems, kinds: Mapping[str, str]
) -> Action | None:
    path: FieldPath = ("actions", i)
    ok = problems.fields(label, path, raw, *_FIELDS["actions"])
    parent = _parent(label, path, raw, problems, kinds, ("objective",))
    status = raw.get("status", "not_started")
    if status not in ACTION_STATUSES:
        problems.add(
            label, (*path, "status"), f"unknown status {status!r}{_suggest(status, ACTION_STATUSES)}"
        )
    due = problems.date(label, (*path, "due"), raw["due"]) if raw.get("due") is not None else ""
    updates = []
    raw_updates = raw.get("updates") or []
    if not isinstance(raw_updates, list):
        problems.add(label, (*path, "updates"), "must be a list of dated updates")
        raw_updates = []
    for j, u in enumerate(raw_updates):
        upath: FieldPath = (*path, "updates", j)
        if not isinstance(u, Mapping):
            problems.add(label, upath, "an update is a mapping with date, note, author?, status?, evidence?")
            continue
        if not problems.fields(label, upath, u, ("date", "note"), ("author", "status", "evidence")):
            continue
        if u.get("status") is not None and u["status"] not in ACTION_STATUSES:
            problems.add(
                label,
                (*upath, "status"),
                f"unknown status {u['status']!r}{_suggest(u['status'], ACTION_STATUSES)}",
            )
        evidence = u.get("evidence") or []
        if not isinstance(evidence, list):
            problems.add(label, (*upath, "evidence"), "must be a list")
            evidence = []
        pieces = tuple(
            e
            for k, item in enumerate(evidence)
            if (e := _evidence(label, (*upath, "evidence", k), item, problems)) is not None
        )
        updates.append(
            ActionUpdate(
                problems.date(label, (*upath, "date"), u["date"]),
                problems.text(label, (*upath, "note"), u["note"]),
                problems.text(label, (*upath, "author"), u.get("author")),
                u.get("status"),
                pieces,
            )
        )
    if not ok or parent is None:
        return None
    return Action(
        str(raw["id"]),
        parent,
        problems.text(label, (*path, "title"), raw["title"]),
        problems.text(label, (*path, "owner"), raw["owner"]),
        due,
        str(status),
        tuple(updates),
    )


def _binding(
    label: str, path: FieldPath, raw: object, problems: _Problems, categories: Collection[str] | None
) -> MetricBinding | None:
    if not isinstance(raw, Mapping):
        problems.add(
            label, path, f"a mapping with kind (one of {', '.join(MEASURE_KINDS)}), category and options"
        )
        return None
    kind_name = raw.get("kind")
    if kind_name not in KINDS:
        problems.add(
            label, (*path, "kind"), f"unknown metric kind {kind_name!r}{_suggest(kind_name, MEASURE_KINDS)}"
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
                f"unknown category {category!r}{_suggest(category, sorted(categories))}",
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


def _measure(
    i: int,
    raw: Mapping[str, Any],
    label: str,
    problems: _Problems,
    kinds: Mapping[str, str],
    categories: Collection[str] | None,
) -> Measure | None:
    path: FieldPath = ("measures", i)
    ok = problems.fields(label, path, raw, *_FIELDS["measures"])
    parent = _parent(label, path, raw, problems, kinds, ("objective",))
    binding = (
        _binding(label, (*path, "metric"), raw.get("metric"), problems, categories)
        if "metric" in raw
        else None
    )
    direction = raw.get("direction")
    if "direction" in raw and direction not in DIRECTIONS:
        problems.add(
            label, (*path, "direction"), f"unknown direction {direction!r}{_suggest(direction, DIRECTIONS)}"
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


def _baseline(
    label: str, path: FieldPath, raw: object, problems: _Problems, value_range: tuple[float, float], what: str
) -> Baseline | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(label, path, "a mapping with year (and value, lower, upper, snapshot once pinned)")
        return None
    if not problems.fields(label, path, raw, ("year",), ("value", "lower", "upper", "snapshot")):
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
    label: str, path: FieldPath, raw: object, problems: _Problems, value_range: tuple[float, float], what: str
) -> Target | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(label, path, "a mapping with value and year")
        return None
    if not problems.fields(label, path, raw, ("value", "year"), ()):
        return None
    value = problems.number(label, (*path, "value"), raw["value"], value_range, what)
    year = problems.year(label, (*path, "year"), raw["year"])
    return Target(value, year) if value is not None and year is not None else None


def _years(label: str, path: FieldPath, raw: object, problems: _Problems) -> tuple[int, int] | None:
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
    problems: _Problems,
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
