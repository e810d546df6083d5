"""Parent plans and accreditation elements as data, and the plan's alignment to them.

A :class:`ParentCatalogue` holds the items a school plan aligns to: the goals and objectives of
the university's and the health sciences' plans, and accreditation elements (LCME 1.1, 3.3,
ACGME). It is built from plain dicts (:func:`catalogue_from_dicts`; the shipped files are in
:mod:`ristra.plan_defaults`) in two layouts:

* a plans file: ``{plans: [{id, title, goals: [{id, title, text?, objectives: [{id, title,
  text?}]}]}]}`` (the layout of the reference file of UNM 2040 and the HSC plan);
* an elements file: ``{elements: [{id, title, body, text?, status?, note?}]}``.

Every goal and objective of a school plan must align to at least one item of the catalogue
(checked by :func:`~.parsing.plan_from_dict`); :func:`unmeasured_parent_items` lists the parent
items that no measure of the plan reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ristra.core.plan.model import Plan

PARENT_KINDS = ("plan", "goal", "objective", "element")


@dataclass(frozen=True)
class ParentItem:
    """One item a plan can align to. ``parent`` is the id of the plan or goal above it (None for
    a plan or an element); ``source`` where its text was published."""

    id: str
    kind: str
    title: str
    text: str = ""
    parent: str | None = None
    source: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "parent": self.parent,
            "source": self.source,
            "note": self.note,
        }


@dataclass(frozen=True)
class ParentCatalogue:
    items: tuple[ParentItem, ...]

    def __post_init__(self) -> None:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("parent item ids must be unique")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def get(self, item_id: str) -> ParentItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no parent item {item_id!r}")

    def leaves(self) -> tuple[ParentItem, ...]:
        """Items with nothing below them: objectives, goals whose objectives were not published
        (or not retrieved), and accreditation elements."""
        parents = {i.parent for i in self.items if i.parent}
        return tuple(i for i in self.items if i.kind != "plan" and i.id not in parents)


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _plans(data: Mapping[str, Any]) -> list[ParentItem]:
    out: list[ParentItem] = []
    for plan in data.get("plans") or ():
        out.append(
            ParentItem(
                str(plan["id"]),
                "plan",
                _text(plan.get("title")),
                source=_text(plan.get("source")),
                note=_text(plan.get("note")),
            )
        )
        for goal in plan.get("goals") or ():
            out.append(
                ParentItem(
                    str(goal["id"]),
                    "goal",
                    _text(goal.get("title")),
                    _text(goal.get("text")),
                    str(plan["id"]),
                    _text(goal.get("source")),
                    _text(goal.get("note")),
                )
            )
            for objective in goal.get("objectives") or ():
                out.append(
                    ParentItem(
                        str(objective["id"]),
                        "objective",
                        _text(objective.get("title")),
                        _text(objective.get("text")),
                        str(goal["id"]),
                        _text(objective.get("source")),
                        _text(objective.get("note")),
                    )
                )
    return out


def _elements(data: Mapping[str, Any]) -> list[ParentItem]:
    return [
        ParentItem(
            str(e["id"]),
            "element",
            _text(e.get("title")),
            _text(e.get("text")),
            None,
            _text(e.get("source")),
            "; ".join(t for t in (_text(e.get("status")), _text(e.get("note"))) if t),
        )
        for e in data.get("elements") or ()
    ]


def catalogue_from_dicts(documents: Iterable[Mapping[str, Any]]) -> ParentCatalogue:
    """One catalogue from plans files and elements files (``ValueError`` for a duplicate id or an
    item without ``id``)."""
    items: list[ParentItem] = []
    for data in documents:
        try:
            items += _plans(data) + _elements(data)
        except KeyError as err:
            raise ValueError(f"a parent item has no {err.args[0]}") from None
    return ParentCatalogue(tuple(items))


def aligned_items(plan: Plan) -> dict[str, tuple[str, ...]]:
    """For each parent item id, the goals and objectives of ``plan`` aligned to it."""
    out: dict[str, list[str]] = {}
    pairs = [(g.id, g.aligns_to) for g in plan.goals] + [(o.id, o.aligns_to) for o in plan.objectives]
    for own, parents in pairs:
        for parent in parents:
            out.setdefault(parent, []).append(own)
    return {k: tuple(v) for k, v in out.items()}


def unmeasured_parent_items(
    plan: Plan, catalogue: ParentCatalogue, kinds: Sequence[str] = ("goal", "objective", "element")
) -> tuple[ParentItem, ...]:
    """The leaf parent items (:meth:`ParentCatalogue.leaves`) of ``kinds`` that no measure of
    ``plan`` reaches: no goal or objective aligned to them has a measure under it. An item
    nobody aligned to is listed too."""
    aligned = aligned_items(plan)
    out = []
    for item in catalogue.leaves():
        if item.kind not in kinds:
            continue
        if not any(plan.measures_under(own) for own in aligned.get(item.id, ())):
            out.append(item)
    return tuple(out)
