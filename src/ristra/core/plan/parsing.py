"""A plan document from a plain dict (the YAML file loaded by an adapter), with every problem.

:func:`plan_from_dict` checks the whole document before returning anything and raises one
:class:`~.problems.PlanFileError` listing each problem with its line (when the adapter passes the
file's line marks), the item and the field. It refuses, among others:

* unknown fields, missing fields, duplicate ids, values of the wrong type or outside their range;
* an unknown measure kind or an engine option the metric does not take (checked by
  :func:`~ristra.core.metrics.make_spec`, the engine's own check);
* an unknown category (not in the category version given), or a ``pipeline-yield`` measure
  without a ``program`` or naming a program that is not in the registry (when its ids are given);
* an unknown parent: an item's ``parent`` that is no item of the plan able to hold it, or an
  ``aligns_to`` id that is not in the :class:`~.alignment.ParentCatalogue`;
* a target (or baseline, stretch or entered value) outside the range of the measure's values —
  a share outside [0, 1], a negative ratio;
* a cycle in the tree (objective A under B under A).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ristra.core.plan.alignment import ParentCatalogue
from ristra.core.plan.measures import measure_from_dict
from ristra.core.plan.model import (
    ACTION_STATUSES,
    EVIDENCE_KINDS,
    Action,
    ActionUpdate,
    Evidence,
    Goal,
    Objective,
    Plan,
)
from ristra.core.plan.problems import (
    FieldPath,
    LineMarks,
    PlanFileError,
    PlanProblem,
    ProblemCollector,
    suggest,
)

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


def _section(
    data: Mapping[str, Any], name: str, problems: ProblemCollector
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
    programs: Collection[str] | None = None,
) -> Plan:
    """The :class:`~.model.Plan` of a document (layout: :mod:`.model`). ``categories`` (the ids of
    the category version in use), ``catalogue`` (the parent items) and ``programs`` (the program
    registry's ids, for a ``pipeline-yield`` measure's ``program``) are checked when given;
    ``lines`` maps field paths to the lines of the file. Raises :class:`PlanFileError`."""
    problems = ProblemCollector(lines)
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
            measure_from_dict(
                i,
                raw,
                label,
                problems,
                _parent(label, ("measures", i), raw, problems, kinds, ("objective",)),
                categories,
                programs,
            )
            for i, raw, label in sections["measures"]
        )
        if m
    )
    if head is not None and not goals and not problems.found:
        problems.add("-", ("goals",), "a plan needs at least one goal")
    if problems.found or head is None:
        raise PlanFileError(problems.found)
    return Plan(**head, goals=goals, objectives=objectives, actions=actions, measures=measures)


def _plan_head(raw: object, problems: ProblemCollector) -> dict[str, Any] | None:
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
    problems: ProblemCollector,
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
                label, (*path, "aligns_to", j), f"unknown parent item {pid!r}{suggest(pid, catalogue.ids)}"
            )
    return ids


def _goal(
    i: int, raw: Mapping[str, Any], label: str, problems: ProblemCollector, catalogue: ParentCatalogue | None
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
    problems: ProblemCollector,
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
                f"unknown parent item {parent!r}: no {what} has that id{suggest(parent, holders)}",
            )
        return None
    return parent


def _objective(
    i: int,
    raw: Mapping[str, Any],
    label: str,
    problems: ProblemCollector,
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
    objectives: Sequence[Objective],
    raws: Sequence[tuple[int, Mapping[str, Any], str]],
    problems: ProblemCollector,
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


def _evidence(label: str, path: FieldPath, raw: object, problems: ProblemCollector) -> Evidence | None:
    if not isinstance(raw, Mapping):
        problems.add(label, path, "each piece of evidence is a mapping with kind and text, href or name")
        return None
    kind = raw.get("kind")
    needs = {"note": ("text",), "link": ("href",), "file": ("name", "sha256")}
    if kind not in EVIDENCE_KINDS:
        problems.add(label, (*path, "kind"), f"unknown evidence kind {kind!r}{suggest(kind, EVIDENCE_KINDS)}")
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
    i: int, raw: Mapping[str, Any], label: str, problems: ProblemCollector, kinds: Mapping[str, str]
) -> Action | None:
    path: FieldPath = ("actions", i)
    ok = problems.fields(label, path, raw, *_FIELDS["actions"])
    parent = _parent(label, path, raw, problems, kinds, ("objective",))
    status = raw.get("status", "not_started")
    if status not in ACTION_STATUSES:
        problems.add(label, (*path, "status"), f"unknown status {status!r}{suggest(status, ACTION_STATUSES)}")
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
                f"unknown status {u['status']!r}{suggest(u['status'], ACTION_STATUSES)}",
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
