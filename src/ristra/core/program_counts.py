"""The counts behind a program page's linkage quality and comparison (issue 16, items 3 and 5),
as values for the publication: roster rows by tier of the links in force, and applications by
stage for a program's participants, the comparison group and everyone else in the same cycles.

Contract
--------
* :class:`RosterTiers` — every row of the roster the link run in force is pinned to, counted by
  its final tier (:data:`ristra.core.linkage_decisions.FINAL_TIERS`: the run's tier with the
  clerical decisions applied); a publication shows them by :data:`PUBLISHED_TIERS`. ``current`` says whether that roster is the current snapshot of
  the participants dataset (then the total is the same count as the participation tables' total).
* :class:`ComparisonCounts` — among the applications of the cycles in which the program's
  participants applied (``cycles``): those of the program's linked participants in a cycle after
  their cohort (``participants``), those of applicants linked to no participant of any program
  (``comparison``) and all the others (``other``: participants of other programs, and a
  participant's applications in or before their cohort year). The three groups partition the
  applications of those cycles, so ``total`` is the same count as the admissions funnel's over
  those cycles; the services compute them with the same stage flags as the metrics (a missing
  flag is false).
* Values only; :mod:`ristra.reports.program_outcomes` lays them out as tables and the publication
  protects them with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The admissions stages of the comparison, as the funnel names them (``applied``: every application).
COMPARISON_STAGES: tuple[str, ...] = ("applied", "completed", "interviewed", "offered", "matriculated")
#: The tiers a publication shows: a clerical decision moves a row between the tiers of review
#: (waiting, linked, rejected or superseded in review), so they are one published row — a
#: decision then changes no published count, and a tier shown as 0 cannot become a 1 that an
#: intruder who compares two publications around one decision would pin down.
IN_REVIEW = "in review or decided in review"
PUBLISHED_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("linked by identifier", ("linked by identifier",)),
    ("linked", ("linked",)),
    (IN_REVIEW, ("review", "linked in review", "rejected in review", "superseded in review")),
    ("not linked", ("not linked",)),
)


@dataclass(frozen=True)
class StageCounts:
    """Applications reaching each stage (:data:`COMPARISON_STAGES`, in order)."""

    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(COMPARISON_STAGES):
            raise ValueError(f"one count per stage ({', '.join(COMPARISON_STAGES)}) is needed")

    def __add__(self, other: StageCounts) -> StageCounts:
        return StageCounts(tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)))

    def at(self, stage: str) -> int:
        return self.counts[COMPARISON_STAGES.index(stage)]


@dataclass(frozen=True)
class ComparisonCounts:
    """One program's applications by stage and group in the cycles its participants applied in."""

    program_id: str
    cycles: tuple[int, ...]
    participants: StageCounts
    comparison: StageCounts
    other: StageCounts

    @property
    def total(self) -> StageCounts:
        return self.participants + self.comparison + self.other

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "cycles": list(self.cycles),
                "participants": list(self.participants.counts), "comparison": list(self.comparison.counts),
                "other": list(self.other.counts)}


@dataclass(frozen=True)
class RosterTiers:
    """Roster rows of the link run in force by final tier (in the order of ``tiers``)."""

    roster_snapshot: str
    current: bool
    tiers: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.tiers)

    def published(self) -> tuple[tuple[str, int], ...]:
        """The counts by published tier (:data:`PUBLISHED_TIERS`); a final tier it does not name
        is an error, not a dropped row."""
        named = {t for _, members in PUBLISHED_TIERS for t in members}
        unknown = [t for t, _ in self.tiers if t not in named]
        if unknown:
            raise ValueError(f"no published tier holds {unknown[0]!r}")
        counts = dict(self.tiers)
        return tuple((label, sum(counts.get(t, 0) for t in members)) for label, members in PUBLISHED_TIERS)

    def to_dict(self) -> dict[str, Any]:
        return {"roster_snapshot": self.roster_snapshot, "current": self.current, "tiers": dict(self.tiers)}
