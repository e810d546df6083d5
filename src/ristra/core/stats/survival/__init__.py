"""Time to exit: Kaplan–Meier with left truncation, the log-rank test, and Aalen–Johansen
cumulative incidence of competing exits."""

from ristra.core.stats.survival.competing_risks import (
    CompetingRisks,
    CumulativeIncidence,
    IncidencePoint,
    aalen_johansen,
)
from ristra.core.stats.survival.kaplan_meier import (
    KaplanMeier,
    SurvivalPoint,
    kaplan_meier,
    kaplan_meier_by_group,
)
from ristra.core.stats.survival.logrank import LogRankTest, logrank_test

__all__ = [
    "CompetingRisks",
    "CumulativeIncidence",
    "IncidencePoint",
    "KaplanMeier",
    "LogRankTest",
    "SurvivalPoint",
    "aalen_johansen",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "logrank_test",
]
