"""A group compared with a reference group across strata (e.g. admission cycles): the
Mantel–Haenszel analysis, the exact conditional test where the strata are too sparse for it, and
the Breslow–Day test of homogeneity — with the rule that chooses the test to read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from numpy.typing import ArrayLike

from ristra.core.stats.exact_strata import (
    MANTEL_FLEISS_MIN,
    ExactConditionalTest,
    MantelFleiss,
    exact_conditional_test,
    mantel_fleiss,
)
from ristra.core.stats.homogeneity import BreslowDay, breslow_day_test
from ristra.core.stats.mantel_haenszel import MantelHaenszel, mantel_haenszel, strata_tables

#: The names of the two tests of a common odds ratio of 1 that :func:`stratified_comparison` chooses from.
MANTEL_HAENSZEL = "mantel_haenszel"
EXACT_CONDITIONAL = "exact_conditional"


def stratified_rule(threshold: float = MANTEL_FLEISS_MIN) -> str:
    """The rule of :func:`stratified_comparison`, in words (printed in notes)."""
    return (f"across strata, the Mantel–Haenszel test when the Mantel–Fleiss criterion holds (Σ E[a] at least "
            f"{threshold:g} from both of its bounds), otherwise the exact conditional test (all margins fixed); "
            "Breslow–Day (Tarone) tests homogeneity of the odds ratio")


@dataclass(frozen=True)
class StratifiedComparison:
    """The analyses of one group against a reference across strata, and the test to read.

    ``test`` is ``mantel_haenszel`` or ``exact_conditional`` (see :func:`stratified_comparison`),
    ``p_value`` its p-value. ``exact`` is None when the Mantel–Fleiss criterion holds (the exact
    test is not needed, and not computed).
    """

    mantel_haenszel: MantelHaenszel
    criterion: MantelFleiss
    exact: ExactConditionalTest | None
    homogeneity: BreslowDay
    test: str
    p_value: float
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stratified_comparison(tables: ArrayLike, confidence: float = 0.95,
                          threshold: float = MANTEL_FLEISS_MIN) -> StratifiedComparison:
    """Mantel–Haenszel across strata, or the exact conditional test where that is unreliable,
    and the Breslow–Day test of homogeneity.

    Method: :func:`~.mantel_haenszel.mantel_haenszel` (pooled odds ratio, RBG interval, MH
    chi-square without continuity correction); the Mantel–Fleiss criterion
    (:func:`~.exact_strata.mantel_fleiss`, threshold 5). When it holds, the test of a common odds
    ratio of 1 is the MH chi-square; when it fails (sparse strata: the chi-square approximation is
    doubtful, e.g. against a tiny group in a cycle), the test is the exact conditional test
    (:func:`~.exact_strata.exact_conditional_test`), which also gives the conditional MLE and an
    exact interval of the common odds ratio. Homogeneity: :func:`~.homogeneity.breslow_day_test`
    (Tarone's correction). Nothing is dropped silently: each analysis that cannot be done says why
    in ``notes``.

    Assumptions: those of the three analyses — independent people within strata, the same people
    in no two strata (re-applicants across cycles break this), and for the pooled odds ratio a
    common odds ratio across strata (read the Breslow–Day test before the pooled value).

    References: Mantel & Haenszel (1959); Mantel & Fleiss, Am. J. Epidemiol. 112 (1980)
    129–134; Mehta, Patel & Gray, JASA 80 (1985) 969–973; Breslow & Day (1980); Tarone,
    Biometrika 72 (1985) 91–95.
    """
    arr = strata_tables(tables)
    mh = mantel_haenszel(arr, confidence)
    criterion = mantel_fleiss(arr, threshold)
    homogeneity = breslow_day_test(arr)
    exact = None
    if criterion.met:
        test, p_value = MANTEL_HAENSZEL, mh.p_value
    else:
        exact = exact_conditional_test(arr, confidence)
        test, p_value = EXACT_CONDITIONAL, exact.p_value
    if criterion.upper == criterion.lower:  # one note, not one per analysis that cannot be done
        notes = ["no stratum has both outcomes in both groups' margins: the strata carry no information about "
                 "the odds ratio (exact conditional p = 1)"]
    else:
        notes = [f"Mantel–Haenszel: {mh.note}"] if mh.note else []
        if exact is not None:
            notes.append(f"the strata are too sparse for the Mantel–Haenszel chi-square (Mantel–Fleiss distance "
                         f"{criterion.distance:.2f} < {threshold:g}); the exact conditional test is used")
            if exact.note:
                notes.append(f"exact conditional test: {exact.note}")
        if homogeneity.note:
            notes.append(f"Breslow–Day: {homogeneity.note}")
    return StratifiedComparison(mh, criterion, exact, homogeneity, test, p_value, tuple(notes))
