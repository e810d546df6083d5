"""Pure statistics for ristra's metrics: values in, frozen result values out.

Every public function states its method, assumptions, when it is invalid and a reference
in its docstring; ``docs/methods.md`` collects them. Every number is checked in the tests
against SciPy, statsmodels or lifelines on the same data.

- :mod:`.proportions` — shares with Wilson (default) or Clopper–Pearson intervals.
- :mod:`.ratios` — representation ratios (fixed census benchmark; Miettinen–Nurminen score or Katz
  log for two samples).
- :mod:`.contingency` — Fisher's exact test and Pearson's chi-square for a 2×2 table.
- :mod:`.selection` — the four-fifths rule with tests and Holm's correction across groups.
- :mod:`.mantel_haenszel` — pooled odds ratio (RBG interval) and MH test across cycles.
- :mod:`.exact_strata` — the Mantel–Fleiss criterion, and the exact conditional test of a common
  odds ratio (with its conditional MLE and exact interval) for sparse strata.
- :mod:`.homogeneity` — the Breslow–Day test (Tarone's correction) of a common odds ratio.
- :mod:`.multiplicity` — Holm's step-down and Benjamini–Hochberg's step-up corrections.
- :mod:`.trends` — Cochran–Armitage test for a trend in proportions over years.
- :mod:`.survival` — Kaplan–Meier with left truncation, log-rank, Aalen–Johansen.
- :mod:`.unknowns` — deterministic (Manski) bounds of shares, rates and ratios for unknown membership.
- :mod:`.clustered` — the GEE score test clustered by person (repeat applicants).
- :mod:`.propensity` — propensity scores (IRLS logistic regression), ATT weights, balance (SMDs),
  weighted risk differences and ratios with robust and bootstrap intervals.
- :mod:`.evalue` — the E-value of a risk ratio (VanderWeele & Ding 2017).
"""

from ristra.core.stats.clustered import ClusteredScoreTest, clustered_score_test
from ristra.core.stats.contingency import (
    ChiSquareReport,
    ChiSquareTest,
    FisherTest,
    chi_square_tests,
    fisher_exact_test,
    fisher_exact_tests,
)
from ristra.core.stats.exact_strata import (
    ExactConditionalTest,
    MantelFleiss,
    exact_conditional_test,
    mantel_fleiss,
)
from ristra.core.stats.homogeneity import BreslowDay, breslow_day_test
from ristra.core.stats.mantel_haenszel import MantelHaenszel, mantel_haenszel
from ristra.core.stats.multiplicity import (
    ADJUSTMENTS,
    HolmCorrection,
    MultiplicityCorrection,
    adjust,
    benjamini_hochberg,
    holm,
)
from ristra.core.stats.proportions import (
    IntervalArrays,
    Proportion,
    clopper_pearson_intervals,
    proportion,
    wilson_intervals,
)
from ristra.core.stats.ratios import (
    RatioEstimate,
    RatioIntervals,
    RepresentationRatio,
    katz_ratio,
    representation_ratio_fixed,
    representation_ratio_sampled,
    score_ratio,
    score_ratio_intervals,
)
from ristra.core.stats.selection import (
    MIN_REFERENCE_SIZE,
    FourFifthsAnalysis,
    GroupSelection,
    SelectionComparison,
    choose_reference,
    compare_selection,
    four_fifths_analyses,
    four_fifths_analysis,
)
from ristra.core.stats.survival import (
    CompetingRisks,
    CumulativeIncidence,
    IncidencePoint,
    KaplanMeier,
    LogRankTest,
    SurvivalPoint,
    aalen_johansen,
    kaplan_meier,
    kaplan_meier_by_group,
    logrank_test,
)
from ristra.core.stats.trends import TrendTest, cochran_armitage
from ristra.core.stats.unknowns import (
    Bounds,
    impact_ratio_bounds,
    rate_bounds,
    ratio_bounds,
    share_bounds,
)

__all__ = [
    "ADJUSTMENTS",
    "MIN_REFERENCE_SIZE",
    "Bounds",
    "BreslowDay",
    "ChiSquareReport",
    "ChiSquareTest",
    "ClusteredScoreTest",
    "CompetingRisks",
    "CumulativeIncidence",
    "ExactConditionalTest",
    "FisherTest",
    "FourFifthsAnalysis",
    "GroupSelection",
    "HolmCorrection",
    "IncidencePoint",
    "IntervalArrays",
    "KaplanMeier",
    "LogRankTest",
    "MantelFleiss",
    "MantelHaenszel",
    "MultiplicityCorrection",
    "Proportion",
    "RatioEstimate",
    "RatioIntervals",
    "RepresentationRatio",
    "SelectionComparison",
    "SurvivalPoint",
    "TrendTest",
    "aalen_johansen",
    "adjust",
    "benjamini_hochberg",
    "breslow_day_test",
    "chi_square_tests",
    "choose_reference",
    "clustered_score_test",
    "clopper_pearson_intervals",
    "cochran_armitage",
    "compare_selection",
    "exact_conditional_test",
    "fisher_exact_test",
    "fisher_exact_tests",
    "four_fifths_analyses",
    "four_fifths_analysis",
    "holm",
    "impact_ratio_bounds",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "katz_ratio",
    "logrank_test",
    "mantel_fleiss",
    "mantel_haenszel",
    "proportion",
    "rate_bounds",
    "ratio_bounds",
    "representation_ratio_fixed",
    "representation_ratio_sampled",
    "score_ratio",
    "score_ratio_intervals",
    "share_bounds",
    "wilson_intervals",
]
