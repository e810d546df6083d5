"""Outcomes of pipeline-program participants, through linkage: who later applied, completed an
application, was interviewed, offered a place, matriculated — per program and cohort.

Contract
--------
* The unit is a *participant*: one roster person of one program (``program_id``, ``roster_id``),
  whose cohort is the first program year they took part. A participant is *linked* when a row of
  theirs is linked in force (:mod:`ristra.core.linkage_decisions`) to an identity, and then their
  applications are those of that person.
* **Not linked is never silently "did not apply".** An unlinked participant may have applied
  under a record the linkage missed. Two sets of rates are given: ``rates_among_linked`` (linked
  participants only; the unlinked are in neither numerator nor denominator) and ``rates`` over
  every eligible participant, where an unlinked one counts as *not seen* reaching the stage — a
  lower bound, since each missed link lowers it (divide by the linkage recall for an estimate).
  ``not_linked`` and ``did_not_apply`` (linked, old enough, no later application) are separate
  counts.
* **Not yet old enough is censored, not a failure.** A participant without a later application
  who could not yet have applied by the last cycle in the data (birth year + ``youngest_age`` >
  last cycle) is ``not_yet_old_enough``: in no rate's denominator, and censored in the time to
  application. A participant without a birth date counts as old enough (conservative: such
  people can only lower a rate).
* Each rate is a Wilson interval (:func:`ristra.core.stats.proportions.proportion`). "Applied"
  means an application of a cycle after the cohort year (cycles are named by their entering year).
* **Time to application**, per program: Kaplan–Meier (:func:`ristra.core.stats.survival.kaplan_meier`)
  of years from the cohort year to the first later cycle applied to, censored at the last cycle in
  the data for those who have not (yet) applied, with left truncation at the first cycle the data
  hold (a cohort older than the applications window enters the risk set when the window opens:
  ``entry = first cycle − 1 − cohort``). The cumulative share applied by year t is 1 − Ŝ(t).
  Assumption: an application before the window is not observed, so a participant who applied
  only then is counted as not (yet) having applied — ``window_covers_cohort`` says which cohorts
  are observed from their first possible application.

* **Onward outcomes** (:data:`ONWARD`): ``graduated`` (a student record of the same admissions
  person, matriculated after the cohort year, status graduated), ``residency_in_new_mexico`` (a
  residency appointment at the school, whose GME office is in New Mexico, starting after the cohort
  year, through the roster → GME identities link), ``faculty`` and ``staff`` (an appointment hired
  after the cohort year, through the roster → HR identities link). Each has an
  :class:`OutcomeSource` saying whether it was computed and through which link; an outcome whose
  link has not been run is ``not linked`` — absent from the rates, never a zero — and residency
  outside New Mexico is ``not observed`` (the school's records hold its own residents only).
  Onward outcomes through another source are in ``rates`` only (every eligible participant; a
  participant need not have applied here to become a resident or an employee); ``graduated`` is
  in both. All are "so far": a recent cohort has had no time to graduate.
* **By category** (:class:`CategoryOutcome`): the same counts and rates per program, category of
  the school's category set (those that apply to the ``participants`` roster, read from the roster
  itself so that unlinked participants are classified too) and membership (yes / no / unknown,
  unknown kept as its own group), over all cohorts.

These results are values only; they are not yet on any page, report or API (that integration is
separate work), and any table from them must go through the release path before it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ristra.core.program_comparison import ApplicantComparison, BalancedComparison
from ristra.core.program_counts import ComparisonCounts, RosterTiers
from ristra.core.stats.proportions import Proportion, proportion
from ristra.core.stats.survival import kaplan_meier

STAGES: tuple[str, ...] = ("applied", "completed", "interviewed", "offered", "matriculated")
#: Outcomes after matriculation or outside admissions (module docstring).
ONWARD: tuple[str, ...] = ("graduated", "residency_in_new_mexico", "residency_elsewhere", "faculty", "staff")
COMPUTED, NOT_LINKED, NOT_OBSERVED = "computed", "not linked", "not observed"


@dataclass(frozen=True)
class OutcomeSource:
    """Whether an outcome was computed (``status``: computed / not linked / not observed), through
    which link and snapshot (``via``), and what that means for reading it (``note``)."""

    outcome: str
    status: str
    via: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "status": self.status, "via": self.via, "note": self.note}


@dataclass(frozen=True)
class Participant:
    """One participant's facts (ids and years only): the stages reached by any application of a
    later cycle (empty when none or not linked)."""

    program_id: str
    cohort: int
    linked: bool
    birth_year: int | None = None
    first_application_cycle: int | None = None
    stages: frozenset[str] = frozenset()
    #: onward outcomes reached (:data:`ONWARD`), through any link
    onward: frozenset[str] = frozenset()
    #: (category id, 'yes' / 'no' / 'unknown') from the roster
    categories: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CohortOutcome:
    """The outcomes of one program's cohort (see the module docstring)."""

    program_id: str
    cohort: int
    participants: int
    linked: int
    not_linked: int
    not_yet_old_enough: int
    eligible: int
    linked_eligible: int
    did_not_apply: int
    window_covers_cohort: bool
    rates: dict[str, Proportion] = field(default_factory=dict)
    rates_among_linked: dict[str, Proportion] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "cohort": self.cohort, "participants": self.participants,
                "linked": self.linked, "not_linked": self.not_linked, "not_yet_old_enough": self.not_yet_old_enough,
                "eligible": self.eligible, "linked_eligible": self.linked_eligible,
                "did_not_apply": self.did_not_apply, "window_covers_cohort": self.window_covers_cohort,
                "rates": {k: v.to_dict() for k, v in self.rates.items()},
                "rates_among_linked": {k: v.to_dict() for k, v in self.rates_among_linked.items()}}


@dataclass(frozen=True)
class ApplicationCurve:
    """Cumulative share of a program's linked participants who applied, by years since their cohort."""

    program_id: str
    participants: int
    applied: int
    years: tuple[int, ...]
    share_applied: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    at_risk: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "participants": self.participants, "applied": self.applied,
                "points": [{"years": t, "share_applied": s, "lower": lo, "upper": hi, "at_risk": n}
                           for t, s, lo, hi, n in zip(self.years, self.share_applied, self.lower, self.upper,
                                                      self.at_risk, strict=True)]}


@dataclass(frozen=True)
class ProgramOutcomes:
    """Every program's cohort outcomes and application curve, with what they were computed from."""

    cohorts: tuple[CohortOutcome, ...]
    curves: tuple[ApplicationCurve, ...]
    first_cycle: int
    last_cycle: int
    youngest_age: int
    sources: dict[str, str]
    published: bool = False
    by_category: tuple[CategoryOutcome, ...] = ()
    outcome_sources: tuple[OutcomeSource, ...] = ()
    category_version: int | None = None
    #: roster rows by tier of the link in force, and each program's comparison counts (the
    #: program pages' quality and comparison tables; :mod:`ristra.core.program_counts`)
    tiers: RosterTiers | None = None
    comparisons: tuple[ComparisonCounts, ...] = ()

    def computed(self) -> tuple[str, ...]:
        """The stages and onward outcomes that have rates (the others are not linked or not observed)."""
        return STAGES + tuple(o.outcome for o in self.outcome_sources if o.status == COMPUTED)

    def cohort(self, program_id: str, cohort: int) -> CohortOutcome:
        for c in self.cohorts:
            if (c.program_id, c.cohort) == (program_id, cohort):
                return c
        raise KeyError(f"no cohort {cohort} of program {program_id!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"cohorts": [c.to_dict() for c in self.cohorts], "curves": [c.to_dict() for c in self.curves],
                "first_cycle": self.first_cycle, "last_cycle": self.last_cycle, "youngest_age": self.youngest_age,
                "sources": dict(self.sources), "published": self.published,
                "by_category": [c.to_dict() for c in self.by_category],
                "outcome_sources": [o.to_dict() for o in self.outcome_sources],
                "category_version": self.category_version}


def _too_young(p: Participant, last_cycle: int, youngest_age: int) -> bool:
    return (p.first_application_cycle is None and p.birth_year is not None
            and p.birth_year + youngest_age > last_cycle)


def _reached(p: Participant, outcome: str) -> bool:
    return outcome in p.stages or outcome in p.onward


def _tally(people: Sequence[Participant], last_cycle: int, youngest_age: int, onward: Sequence[str]
           ) -> tuple[list[Participant], list[Participant], dict[str, Proportion], dict[str, Proportion]]:
    """(eligible, linked eligible, rates, rates among linked) of a group (module docstring)."""
    eligible = [p for p in people if not _too_young(p, last_cycle, youngest_age)]
    linked_eligible = [p for p in eligible if p.linked]

    def rates(group: list[Participant], outcomes: Sequence[str]) -> dict[str, Proportion]:
        return {o: proportion(sum(1 for p in group if _reached(p, o)), len(group)) for o in outcomes}

    among = (*STAGES, *(o for o in onward if o == "graduated"))  # through admissions: among the linked too
    return eligible, linked_eligible, rates(eligible, (*STAGES, *onward)), rates(linked_eligible, among)


def cohort_outcome(program_id: str, cohort: int, people: Sequence[Participant], first_cycle: int, last_cycle: int,
                   youngest_age: int, onward: Sequence[str] = ()) -> CohortOutcome:
    """The outcomes of one cohort (module docstring); ``onward`` names the onward outcomes computed."""
    eligible, linked_eligible, all_rates, among_linked = _tally(people, last_cycle, youngest_age, onward)
    linked = sum(1 for p in people if p.linked)
    return CohortOutcome(program_id, cohort, len(people), linked, len(people) - linked, len(people) - len(eligible),
                         len(eligible), len(linked_eligible), len(linked_eligible) - among_linked["applied"].k,
                         cohort + 1 >= first_cycle, all_rates, among_linked)


@dataclass(frozen=True)
class CategoryOutcome:
    """A program's participants of one category membership (all cohorts): the counts and rates of
    :class:`CohortOutcome`."""

    program_id: str
    category: str
    membership: str
    participants: int
    linked: int
    not_linked: int
    not_yet_old_enough: int
    eligible: int
    linked_eligible: int
    did_not_apply: int
    rates: dict[str, Proportion] = field(default_factory=dict)
    rates_among_linked: dict[str, Proportion] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "category": self.category, "membership": self.membership,
                "participants": self.participants, "linked": self.linked, "not_linked": self.not_linked,
                "not_yet_old_enough": self.not_yet_old_enough, "eligible": self.eligible,
                "linked_eligible": self.linked_eligible, "did_not_apply": self.did_not_apply,
                "rates": {k: v.to_dict() for k, v in self.rates.items()},
                "rates_among_linked": {k: v.to_dict() for k, v in self.rates_among_linked.items()}}


def category_outcomes(program_id: str, people: Sequence[Participant], last_cycle: int, youngest_age: int,
                      onward: Sequence[str] = ()) -> tuple[CategoryOutcome, ...]:
    """One :class:`CategoryOutcome` per category and membership seen among ``people``."""
    groups: dict[tuple[str, str], list[Participant]] = {}
    for p in people:
        for category, membership in p.categories:
            groups.setdefault((category, membership), []).append(p)
    out = []
    for (category, membership), members in sorted(groups.items()):
        eligible, linked_eligible, all_rates, among = _tally(members, last_cycle, youngest_age, onward)
        linked = sum(1 for p in members if p.linked)
        out.append(CategoryOutcome(program_id, category, membership, len(members), linked, len(members) - linked,
                                   len(members) - len(eligible), len(eligible), len(linked_eligible),
                                   len(linked_eligible) - among["applied"].k, all_rates, among))
    return tuple(out)


def application_curve(program_id: str, people: Sequence[Participant], first_cycle: int, last_cycle: int,
                      confidence: float = 0.95) -> ApplicationCurve:
    """Kaplan–Meier of the time to a first later application (module docstring), at each whole
    year up to the longest follow-up."""
    linked = [p for p in people if p.linked and p.cohort < last_cycle]  # a cohort of the last cycle has no follow-up
    if not linked:
        return ApplicationCurve(program_id, 0, 0, (), (), (), (), ())
    exits, events, entries = [], [], []
    for p in linked:
        applied = p.first_application_cycle
        exits.append(float((applied if applied is not None else last_cycle) - p.cohort))
        events.append(1 if applied is not None else 0)
        entries.append(float(max(0, first_cycle - 1 - p.cohort)))
    entry = np.asarray(entries)
    exit_ = np.asarray(exits)
    entry = np.minimum(entry, exit_ - 0.5)  # applied in the window's first cycle: at risk just before it
    curve = kaplan_meier(exit_, events, entry=entry if entry.any() else None, confidence=confidence)
    years = tuple(range(1, int(exit_.max()) + 1))
    points = curve.survival_at([float(t) for t in years])
    at_risk = tuple(int(((entry < t) & (exit_ >= t)).sum()) for t in years)
    return ApplicationCurve(program_id, len(linked), int(sum(events)), years,
                            tuple(1.0 - pt.survival for pt in points), tuple(1.0 - pt.upper for pt in points),
                            tuple(1.0 - pt.lower for pt in points), at_risk)


def program_outcomes(people: Iterable[Participant], first_cycle: int, last_cycle: int, youngest_age: int,
                     sources: dict[str, str] | None = None, outcome_sources: Sequence[OutcomeSource] = (),
                     category_version: int | None = None) -> ProgramOutcomes:
    """Every program's cohorts, curve and categories (module docstring). ``outcome_sources`` says
    which onward outcomes were computed; only those get rates."""
    onward = tuple(o.outcome for o in outcome_sources if o.status == COMPUTED)
    by_cohort: dict[tuple[str, int], list[Participant]] = {}
    by_program: dict[str, list[Participant]] = {}
    for p in people:
        by_cohort.setdefault((p.program_id, p.cohort), []).append(p)
        by_program.setdefault(p.program_id, []).append(p)
    cohorts = tuple(cohort_outcome(program, cohort, members, first_cycle, last_cycle, youngest_age, onward)
                    for (program, cohort), members in sorted(by_cohort.items()))
    curves = tuple(application_curve(program, members, first_cycle, last_cycle)
                   for program, members in sorted(by_program.items()))
    categories = tuple(c for program, members in sorted(by_program.items())
                       for c in category_outcomes(program, members, last_cycle, youngest_age, onward))
    return ProgramOutcomes(cohorts, curves, first_cycle, last_cycle, youngest_age, dict(sources or {}),
                           by_category=categories, outcome_sources=tuple(outcome_sources),
                           category_version=category_version)


#: Printed with every evaluation that has not gone through the publication.
UNRELEASED = ("UNRELEASED — internal only: these counts and rates have not been through disclosure control "
              "(the publication); do not share them. Program pages and reports show the released version.")


@dataclass(frozen=True)
class ProgramEvaluation:
    """One program's evaluation (issue 16, items 4 and 5): its outcomes (cohorts, categories, time
    to application, which onward outcomes were computed), the comparison among applicants of the
    same cycles, the balanced comparison with its balance table and E-values, and a sentence on
    linkage quality. ``published`` is False and ``warning`` says so until a publication releases it."""

    program_id: str
    outcomes: ProgramOutcomes
    applicants: ApplicantComparison | None
    balanced: BalancedComparison | None
    linkage_quality: str
    published: bool = False
    warning: str = UNRELEASED

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "outcomes": self.outcomes.to_dict(),
                "applicants": self.applicants.to_dict() if self.applicants else None,
                "balanced": self.balanced.to_dict() if self.balanced else None,
                "linkage_quality": self.linkage_quality, "published": self.published, "warning": self.warning}


def for_program(outcomes: ProgramOutcomes, program_id: str) -> ProgramOutcomes:
    """``outcomes`` restricted to one program's cohorts, curve and categories."""
    return ProgramOutcomes(tuple(c for c in outcomes.cohorts if c.program_id == program_id),
                           tuple(c for c in outcomes.curves if c.program_id == program_id),
                           outcomes.first_cycle, outcomes.last_cycle, outcomes.youngest_age, dict(outcomes.sources),
                           outcomes.published, tuple(c for c in outcomes.by_category if c.program_id == program_id),
                           outcomes.outcome_sources, outcomes.category_version)
