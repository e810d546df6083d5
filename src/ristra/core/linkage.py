"""Record linkage, the pure part: which fields link, which tiers a link can have, how a threshold is
calibrated on labels, and how linkage quality is measured.

Method (Fellegi & Sunter 1969, *A theory for record linkage*, JASA 64:1183–1210): each candidate
pair of a roster row and an identity row is compared field by field; each field's agreement level
contributes log2(m/u) bits to the pair's *match weight*, where m is the probability of that level
among true matches and u among non-matches; the weight plus the prior log-odds gives the match
probability. The adapter (:mod:`ristra.linkage`) estimates u by random sampling and m by
expectation maximisation with Splink; this module chooses the weight above which a pair is a link
from labelled rows (:func:`calibrate_threshold`) instead of a hard-coded cut, and scores the result
(:func:`link_quality`).

Contract
--------
* :func:`check_linkage_columns` takes a table's column names and storage types and raises
  :class:`LinkageInputError` naming the column and the kind it should be — never a value.
* :data:`TIERS`: ``linked by identifier`` (an exact, one-to-one shared identifier with agreeing
  first names), ``linked`` (probabilistic, at or above the threshold), ``review`` (the uncertain
  band below it), ``not linked``.
* Labels are *row labels*: for a labelled roster row, the identifier of the person it truly is, or
  ``None`` when it is nobody in the identity dataset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LINKED_BY_IDENTIFIER = "linked by identifier"
LINKED = "linked"
REVIEW = "review"
NOT_LINKED = "not linked"
TIERS: tuple[str, ...] = (LINKED_BY_IDENTIFIER, LINKED, REVIEW, NOT_LINKED)

#: Linkage fields and their kinds. ``text`` kinds accept VARCHAR; ``date`` accepts DATE or ISO text.
LINKAGE_FIELDS: dict[str, str] = {
    "first_name": "name",
    "last_name": "name",
    "former_last_name": "name",
    "birth_date": "date",
    "email": "email",
    "zip": "zip",
    "school": "text",
    "aamc_id": "identifier",
    "npi": "identifier",
}

_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING")
_ACCEPTED: dict[str, tuple[str, ...]] = {
    "name": _TEXT_TYPES,
    "email": _TEXT_TYPES,
    "text": _TEXT_TYPES,
    "zip": (*_TEXT_TYPES, "INTEGER", "BIGINT"),
    "identifier": (*_TEXT_TYPES, "INTEGER", "BIGINT"),
    "date": ("DATE", *_TEXT_TYPES),
}


class LinkageInputError(ValueError):
    """A table cannot be linked as given; the message names columns and kinds, never values."""


def check_linkage_columns(table: str, columns: Mapping[str, str], id_column: str) -> tuple[str, ...]:
    """The linkage fields ``table`` has, after checking them: the id column must exist, at least one
    linkage field must be present, and every present field must be of its kind."""
    if id_column not in columns:
        raise LinkageInputError(f"{table}: the identifier column {id_column!r} is missing")
    present = tuple(name for name in LINKAGE_FIELDS if name in columns)
    if not present:
        raise LinkageInputError(
            f"{table} has none of the linkage fields ({', '.join(LINKAGE_FIELDS)}); nothing to link on")
    wrong = []
    for name in present:
        kind = LINKAGE_FIELDS[name]
        storage = columns[name].upper()
        if not storage.startswith(_ACCEPTED[kind]):
            wrong.append(f"{name} should be {_describe(kind)} but is stored as {storage}")
    if wrong:
        raise LinkageInputError(f"{table}: " + "; ".join(wrong))
    return present


def _describe(kind: str) -> str:
    return {"name": "text (a name)", "email": "text (an e-mail address)", "text": "text",
            "zip": "a ZIP code (text or a number)", "identifier": "an identifier (text or a number)",
            "date": "a date (DATE or ISO text YYYY-MM-DD)"}[kind]


@dataclass(frozen=True)
class LinkQuality:
    """Precision, recall and F1 of links against labels (row level)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"true_positives": self.true_positives, "false_positives": self.false_positives,
                "false_negatives": self.false_negatives, "precision": self.precision, "recall": self.recall,
                "f1": self.f1}


def link_quality(links: Mapping[str, str | None], truth: Mapping[str, str | None],
                 rows: Sequence[str] | None = None) -> LinkQuality:
    """Score ``links`` (row → linked person or ``None``) against ``truth`` (row → true person or
    ``None``) over ``rows`` (default: every labelled row). A link to the wrong person is a false
    positive and, when the row has a true person, also a false negative."""
    tp = fp = fn = 0
    for row in rows if rows is not None else truth:
        linked, true = links.get(row), truth.get(row)
        if linked is not None and linked == true:
            tp += 1
            continue
        if linked is not None:
            fp += 1
        if true is not None:
            fn += 1
    return LinkQuality(tp, fp, fn)


@dataclass(frozen=True)
class Calibration:
    """The threshold chosen on labels and what it achieved on them."""

    threshold: float
    quality: LinkQuality
    labelled_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "labelled_rows": self.labelled_rows, **self.quality.to_dict()}


def calibrate_threshold(candidates: Mapping[str, tuple[str, float]], truth: Mapping[str, str | None]) -> Calibration:
    """The match weight that maximises F1 on the labelled rows.

    ``candidates``: each roster row's resolved best candidate (person, match weight), before any
    threshold; ``truth``: the row labels. Every distinct candidate weight among labelled rows is
    tried (a link when weight ≥ threshold); ties go to the higher threshold (fewer links). Raises
    :class:`LinkageInputError` when no row is labelled.
    """
    rows = [row for row in truth]
    if not rows:
        raise LinkageInputError("no labelled rows to calibrate the threshold on")
    scored = sorted(((candidates[r][1], r) for r in rows if r in candidates), reverse=True)
    real = sum(1 for r in rows if truth[r] is not None)
    best = Calibration(math.inf, LinkQuality(0, 0, real), len(rows))
    tp = fp = 0
    i = 0
    while i < len(scored):
        weight = scored[i][0]
        while i < len(scored) and scored[i][0] == weight:  # admit every row at this weight at once
            row = scored[i][1]
            if candidates[row][0] == truth[row]:
                tp += 1
            else:
                fp += 1
            i += 1
        quality = LinkQuality(tp, fp, real - tp)
        if quality.f1 > best.quality.f1:
            best = Calibration(weight, quality, len(rows))
    return best
