"""Clerical decisions on linked pairs, the pure part: their values, which one is in force, what
they do to a run's links, and which pairs are uncertain enough to review.

Contract
--------
* A :class:`ClericalDecision` is about one *pair* (a roster row, ``roster_id``, and a person of the
  identity dataset, ``person_id``): ``match``, ``not a match`` or ``unsure``, with who decided and
  when (ISO 8601 UTC). It names ids only, never a linkage field.
* Decisions are kept apart from link runs, so a rerun of the model keeps them; for each pair the
  latest decision is in force (:func:`decisions_in_force`).
* :func:`final_tier` says what a decision does to the link used downstream: ``match`` links the
  row to that person (tier ``linked in review``) whatever the model said; ``not a match`` unlinks it
  when the model had linked that pair (tier ``rejected in review``); ``unsure`` leaves the model's
  tier and keeps the pair in the queue. A model link to a person a ``match`` gave to another roster
  person of the same program is unlinked (``superseded in review``; :func:`links_in_force`).
* The review queue is the *uncertain band* around the threshold t: every resolved pair that is not
  an identifier link and whose match weight w has |w − t| ≤ band (:func:`in_review_band`), both the
  pairs just linked and the pairs just left out.
* :func:`labels_from_decisions` turns decisions into the row labels the threshold is calibrated on:
  a ``match`` labels the row with that person; a ``not a match`` (without a ``match`` for the same
  row) labels it "nobody among the candidates" (``None``), which counts linking that row as a false
  positive — conservative when the row's true person was never proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ristra.core.linkage import LINKED, LINKED_BY_IDENTIFIER, NOT_LINKED, REVIEW

MATCH = "match"
NOT_A_MATCH = "not a match"
UNSURE = "unsure"
DECISIONS: tuple[str, ...] = (MATCH, NOT_A_MATCH, UNSURE)

LINKED_IN_REVIEW = "linked in review"
REJECTED_IN_REVIEW = "rejected in review"
SUPERSEDED_IN_REVIEW = "superseded in review"
#: Tiers of the links in force (a run's tiers plus the three that decisions give).
FINAL_TIERS: tuple[str, ...] = (LINKED_BY_IDENTIFIER, LINKED, LINKED_IN_REVIEW, REVIEW, REJECTED_IN_REVIEW,
                                SUPERSEDED_IN_REVIEW, NOT_LINKED)
#: Tiers whose rows count as linked downstream.
LINKED_TIERS: tuple[str, ...] = (LINKED_BY_IDENTIFIER, LINKED, LINKED_IN_REVIEW)


def parse_decision(text: str) -> str | None:
    """The decision ``text`` spells (case and surrounding spaces ignored; ``not a match`` may also
    be written ``not_a_match`` or ``no match``), or ``None`` when it is none of them."""
    cleaned = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if cleaned in ("no match", "nonmatch", "non match"):
        cleaned = NOT_A_MATCH
    return cleaned if cleaned in DECISIONS else None


@dataclass(frozen=True)
class ClericalDecision:
    """One reviewer's decision on one pair (see the module docstring)."""

    roster_id: str
    person_id: str
    decision: str
    by: str
    at: str

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"a decision is one of {', '.join(DECISIONS)}")
        if not self.by.strip():
            raise ValueError("a decision needs who made it")
        if not self.roster_id or not self.person_id:
            raise ValueError("a decision names a roster row and a person")

    @property
    def pair(self) -> tuple[str, str]:
        return self.roster_id, self.person_id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClericalDecision:
        return cls(str(data["roster_id"]), str(data["person_id"]), str(data["decision"]), str(data["by"]),
                   str(data["at"]))


def decisions_in_force(decisions: Iterable[ClericalDecision]) -> dict[tuple[str, str], ClericalDecision]:
    """The latest decision on each pair (by ``at``; of two at the same instant, the later one given)."""
    latest: dict[tuple[str, str], ClericalDecision] = {}
    for d in decisions:
        kept = latest.get(d.pair)
        if kept is None or d.at >= kept.at:
            latest[d.pair] = d
    return latest


def final_tier(model_tier: str, decision: str | None) -> str:
    """The tier of a pair downstream, given the model's tier and the decision in force (if any)."""
    if decision == MATCH:
        return LINKED_IN_REVIEW
    if decision == NOT_A_MATCH:
        return REJECTED_IN_REVIEW
    return model_tier


def in_review_band(tier: str, weight: float | None, threshold: float, band: float) -> bool:
    """Whether a resolved pair belongs to the review queue (see the module docstring)."""
    if weight is None or tier in (LINKED_BY_IDENTIFIER, NOT_LINKED):
        return False
    return abs(weight - threshold) <= band


def labels_from_decisions(decisions: Mapping[tuple[str, str], ClericalDecision]) -> dict[str, str | None]:
    """Row labels for calibrating the threshold (see the module docstring); ``unsure`` labels nothing."""
    labels: dict[str, str | None] = {}
    for (roster_id, person_id), d in sorted(decisions.items()):
        if d.decision == MATCH:
            labels[roster_id] = person_id
        elif d.decision == NOT_A_MATCH and labels.get(roster_id) is None:
            labels[roster_id] = None
    return labels


@dataclass(frozen=True)
class LinkInForce:
    """One roster row's link as used downstream: the model's proposal and tier, the decision in
    force on that pair, and the resulting person (``None`` unless linked) and tier."""

    roster_id: str
    person_id: str | None
    tier: str
    model_tier: str
    proposed_person_id: str | None
    match_weight: float | None
    match_probability: float | None
    decision: str | None

    @property
    def linked(self) -> bool:
        return self.tier in LINKED_TIERS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


LinkRow = tuple[str, str | None, float | None, float | None, str]


def links_in_force(rows: Iterable[LinkRow], decisions: Mapping[tuple[str, str], ClericalDecision],
                   keys: Mapping[str, tuple[str, str]] | None = None) -> tuple[LinkInForce, ...]:
    """Apply the decisions in force to a run's links (``(roster_id, person_id, match_weight,
    match_probability, tier)`` rows): a ``match`` on any pair of a row links the row to that person
    (the latest such decision if several); otherwise a ``not a match`` on the proposed pair unlinks
    it; otherwise the model's tier stands (see :func:`final_tier`).

    One-to-one is kept: with ``keys`` (roster row → (group, roster person), e.g. (program, roster
    id)), a row the model linked to a person whom a ``match`` gave to *another* roster person of the
    same group is unlinked, tier ``superseded in review``. Rows of the same roster person (other
    years) keep their links."""
    matched: dict[str, ClericalDecision] = {}
    for d in decisions.values():
        if d.decision == MATCH and (d.roster_id not in matched or d.at >= matched[d.roster_id].at):
            matched[d.roster_id] = d
    out = []
    for roster_id, person_id, weight, probability, tier in rows:
        match = matched.get(roster_id)
        person: str | None
        decision: str | None
        on_pair = decisions.get((roster_id, person_id)) if person_id is not None else None
        if match is not None:
            person, final, decision = match.person_id, LINKED_IN_REVIEW, MATCH
        else:
            decision = on_pair.decision if on_pair else None
            final = final_tier(tier, decision)
            person = person_id if final in LINKED_TIERS else None
        out.append(LinkInForce(roster_id, person, final, tier, person_id, weight, probability, decision))
    if keys is None or not matched:
        return tuple(out)
    claimed = {(keys[d.roster_id][0], d.person_id): keys[d.roster_id] for d in matched.values() if d.roster_id in keys}
    resolved = []
    for x in out:
        key = keys.get(x.roster_id)
        owner = claimed.get((key[0], x.person_id)) if key is not None and x.person_id is not None else None
        if owner is not None and owner != key and x.decision != MATCH:
            x = LinkInForce(x.roster_id, None, SUPERSEDED_IN_REVIEW, x.model_tier, x.proposed_person_id,
                            x.match_weight, x.match_probability, x.decision)
        resolved.append(x)
    return tuple(resolved)
