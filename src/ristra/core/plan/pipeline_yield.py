"""A pipeline program's yield, the ``pipeline-yield`` measure kind (issue 17).

The yield of a participant cohort (one program's participants whose first program year is the
cohort year) is

    applied / (participants − not yet old enough)

with its 95 % Wilson interval (:func:`~ristra.core.stats.proportions.proportion`), direction
``increase``, one point per cohort year. The measure's option ``program`` (a program id of the
registry) is required. The measure's ``years: [first, last]``, when given, keeps the cohorts of
those years only (:func:`in_cohorts`): a plan names the cohorts followed long enough to have
applied, so that the latest cohorts, whose participants have had a cycle or two to apply, do not
read as a fall.

The counts are those of the program outcomes through record linkage
(:mod:`ristra.core.program_outcomes`, computed by :mod:`ristra.services.program_outcomes`):

* *participants*: every roster person of the program in that cohort, linked or not;
* *not yet old enough*: participants with no later application who could not yet have applied
  by the last cycle in the data — censored, so out of the denominator, not failures;
* *applied*: participants linked to an application of a cycle after the cohort year.

**The yield is a lower bound.** A participant who is not linked to the admissions records is
counted as *not applied*: they stay in the denominator and can never be in the numerator, though
they may have applied under a record the linkage missed. Each missed link lowers the yield
(dividing by the linkage recall gives an estimate, not done here). It is a lower bound in two
more ways: a recent cohort's participants who are old enough may still apply in later cycles
(the yield of a cohort is "so far"), and a cohort older than the applications window may have
applied before the window opened, which is not observed.

Live values (:func:`live_points`) are read from the outcomes service's cohorts; released values
(:func:`released_year`) from the published cells of the program's outcomes-by-cohort table of
the publication (columns :data:`PARTICIPANTS`, :data:`TOO_YOUNG`, :data:`APPLIED`; one row per
cohort), so a suppressed count withholds that year, as for every other kind. When the rosters
have not been linked there is no series and the status is insufficient data (never a zero):
:func:`not_linked_status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from ristra.core.plan.bindings import Point
from ristra.core.plan.model import Measure
from ristra.core.plan.released import YearCounts
from ristra.core.plan.status import INSUFFICIENT, MeasureStatus
from ristra.core.stats.proportions import proportion

KIND = "pipeline-yield"
#: the columns of the publication's outcomes-by-cohort table the yield reads
PARTICIPANTS, TOO_YOUNG, APPLIED = "Participants", "Not yet old enough", "Applied"
#: the reason when the rosters have not been linked to the applications
NOT_LINKED = ("the participant rosters have not been linked to the applications (`ristra link run`), so "
              "program {program} has no outcomes: the yield is not computed, which is not a zero")
#: the reason when the outcomes hold no participant of the program
NO_PARTICIPANTS = ("the linked rosters hold no participant of program {program} (is it a program id of the "
                   "registry?)")


class _Rate(Protocol):
    @property
    def k(self) -> int: ...


class CohortCounts(Protocol):
    """What the yield reads of a :class:`~ristra.core.program_outcomes.CohortOutcome`."""

    @property
    def program_id(self) -> str: ...

    @property
    def cohort(self) -> int: ...

    @property
    def participants(self) -> int: ...

    @property
    def not_yet_old_enough(self) -> int: ...

    @property
    def rates(self) -> Mapping[str, _Rate]: ...


def yield_point(year: int, participants: int, not_yet_old_enough: int, applied: int) -> Point | None:
    """The yield of one cohort (module docstring); None when no participant is old enough."""
    n = participants - not_yet_old_enough
    if n <= 0:
        return None
    p = proportion(applied, n)
    return Point(year, p.share, p.lower, p.upper, applied, n, 1.0, p.small_number)


def in_cohorts(years: tuple[int, int] | None, year: int) -> bool:
    """Whether cohort ``year`` is one of the measure's ``years`` (every cohort without them)."""
    return years is None or years[0] <= year <= years[1]


def live_points(program: str, cohorts: Iterable[CohortCounts],
                years: tuple[int, int] | None = None) -> tuple[Point, ...]:
    """The yearly yield of ``program`` from the outcomes service's cohorts, by cohort year (those
    of ``years`` only, when given)."""
    found = []
    mine = (c for c in cohorts if c.program_id == program and in_cohorts(years, c.cohort))
    for c in sorted(mine, key=lambda c: c.cohort):
        applied = c.rates["applied"].k if "applied" in c.rates else 0
        point = yield_point(c.cohort, c.participants, c.not_yet_old_enough, applied)
        if point is not None:
            found.append(point)
    return tuple(found)


def released_year(year: int, participants: int | None, not_yet_old_enough: int | None,
                  applied: int | None) -> YearCounts:
    """One cohort's published counts in the roles of :data:`~.released.ROLES` (``count``: applied;
    ``total``: participants − not yet old enough, suppressed when either is)."""
    total = None if participants is None or not_yet_old_enough is None else participants - not_yet_old_enough
    return YearCounts(year, {"count": applied, "total": total})


def not_linked_status(measure: Measure, reason: str) -> MeasureStatus:
    """Insufficient data, saying why (:data:`NOT_LINKED`, :data:`NO_PARTICIPANTS`): no series."""
    return MeasureStatus(measure.id, INSUFFICIENT, reason.format(program=measure.metric.option("program")), None,
                         None, (), None, None, None, None)
