"""Selection-rate comparison at one stage: the four-fifths rule with Fisher's exact test,
chi-square where the cells allow, and Holm's correction across groups."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ristra.core.stats.arguments import check_count_pair
from ristra.core.stats.contingency import (
    ChiSquareReport,
    FisherTest,
    chi_square_tests,
    fisher_exact_test,
    fisher_exact_tests,
)
from ristra.core.stats.multiplicity import holm
from ristra.core.stats.proportions import SMALL_NUMBER_THRESHOLD, Proportion, proportion
from ristra.core.stats.ratios import RatioEstimate, katz_ratio

#: The EEOC Uniform Guidelines' threshold: a rate below 4/5 of the highest is evidence of adverse impact.
FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class SelectionComparison:
    """One group's selection rate against a reference group's at one stage.

    ``rate_ratio`` is the impact ratio (group rate / reference rate) with its Katz interval;
    ``below_four_fifths`` is None when the ratio is undefined (an empty group or both rates
    0). ``fisher`` is None when either group is empty. ``small_number`` is set when either
    group is small (see :func:`~ristra.core.stats.proportions.proportion`).
    """

    group: Proportion
    reference: Proportion
    rate_ratio: RatioEstimate
    threshold: float
    below_four_fifths: bool | None
    fisher: FisherTest | None
    chi_square: ChiSquareReport
    small_number: bool
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupSelection:
    """A labelled comparison with its Holm-adjusted Fisher p-value (NaN when there is no test)."""

    label: str
    comparison: SelectionComparison
    p_value_holm: float
    reject_holm: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FourFifthsAnalysis:
    """Every group against the reference group at one stage, Holm-corrected across groups."""

    reference_label: str
    threshold: float
    alpha: float
    groups: tuple[GroupSelection, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_selection(
    group_selected: int,
    group_total: int,
    reference_selected: int,
    reference_total: int,
    confidence: float = 0.95,
    threshold: float = FOUR_FIFTHS,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> SelectionComparison:
    """Compare a group's selection rate with a reference group's (four-fifths rule).

    Method: selection rates with Wilson intervals; the impact ratio (group rate / reference
    rate) with the Katz log interval; ``below_four_fifths`` when the ratio is below
    ``threshold`` (0.8, 29 CFR 1607.4(D)); Fisher's exact two-sided test on the 2×2 table
    [[group selected, group not], [reference selected, reference not]]; Pearson's chi-square
    with and without Yates's correction only when every expected count is >= 5.

    Assumptions: independent decisions about different people; the four-fifths rule is a
    rule of thumb for *practical* significance, not a statistical test — with small groups
    a ratio below 0.8 can easily arise by chance (hence ``small_number`` and the tests), and
    with large groups a ratio above 0.8 can still be a statistically clear difference.
    Invalid when the same person is counted in both groups (categories that overlap, such
    as "alone or in combination" race groups), or when the reference group is not the
    comparison the guideline intends (it names the group with the highest rate).

    References: Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D)
    (1978); Fisher (1935); Katz et al. (1978); Wilson (1927).
    """
    group = proportion(group_selected, group_total, confidence, "wilson", small_number_threshold)
    reference = proportion(reference_selected, reference_total, confidence, "wilson", small_number_threshold)
    table = _table(group.k, group.n, reference.k, reference.n)
    fisher = fisher_exact_test(table) if group.n and reference.n else None
    return _comparison(group, reference, fisher, confidence, threshold)


def _table(k: int, n: int, ref_k: int, ref_n: int) -> list[list[int]]:
    return [[k, n - k], [ref_k, ref_n - ref_k]]


def _comparison(group: Proportion, reference: Proportion, fisher: FisherTest | None, confidence: float,
                threshold: float) -> SelectionComparison:
    """:func:`compare_selection` given the two proportions and the table's Fisher test (None
    when a group is empty)."""
    ratio = katz_ratio(group.k, group.n, reference.k, reference.n, confidence)
    table = _table(group.k, group.n, reference.k, reference.n)
    notes: list[str] = []
    if fisher is None:
        notes.append("a group has no members; no test is possible")
    chi_square = chi_square_tests(table)
    if ratio.note:
        notes.append(ratio.note)
    if chi_square.reason:
        notes.append(f"chi-square not reported: {chi_square.reason}")
    below = None if math.isnan(ratio.ratio) else ratio.ratio < threshold
    return SelectionComparison(
        group=group,
        reference=reference,
        rate_ratio=ratio,
        threshold=float(threshold),
        below_four_fifths=below,
        fisher=fisher,
        chi_square=chi_square,
        small_number=group.small_number or reference.small_number,
        notes=tuple(notes),
    )


def four_fifths_analysis(
    groups: Mapping[str, tuple[int, int]],
    reference: str | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    threshold: float = FOUR_FIFTHS,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> FourFifthsAnalysis:
    """Each group's (selected, total) against a reference group, with Holm's correction.

    Method: :func:`compare_selection` for every group other than the reference; the Fisher
    p-values of those comparisons are adjusted with Holm's step-down procedure (groups with
    no test are left out of the family). ``reference`` defaults to the group with the
    highest selection rate (ties: the larger group, then the first listed), as the Uniform
    Guidelines prescribe.

    Assumptions: as for :func:`compare_selection`; the groups should not overlap. The
    comparisons share the reference group, so they are dependent — Holm's procedure is
    valid under any dependence.

    References: 29 CFR 1607.4(D); Holm, Scand. J. Statist. 6 (1979) 65–70.
    """
    return four_fifths_analyses([groups], reference, alpha, confidence, threshold, small_number_threshold)[0]


def four_fifths_analyses(
    many: Sequence[Mapping[str, tuple[int, int]]],
    reference: str | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    threshold: float = FOUR_FIFTHS,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> list[FourFifthsAnalysis]:
    """:func:`four_fifths_analysis` of each mapping in ``many`` (same results), with every
    Fisher test computed in one vectorised batch (:func:`~.contingency.fisher_exact_tests`)."""
    plans = [_plan(groups, reference) for groups in many]
    tables = [_table(*counts[label], *counts[ref]) for counts, ref, labels in plans for label in labels
              if counts[label][1] and counts[ref][1]]
    fishers = iter(fisher_exact_tests(tables))
    out = []
    for counts, ref, labels in plans:
        ref_k, ref_n = counts[ref]
        ref_share = proportion(ref_k, ref_n, confidence, "wilson", small_number_threshold)
        comparisons = []
        for label in labels:
            k, n = counts[label]
            fisher = next(fishers) if n and ref_n else None
            share = proportion(k, n, confidence, "wilson", small_number_threshold)
            comparisons.append(_comparison(share, ref_share, fisher, confidence, threshold))
        p_values = [c.fisher.p_value if c.fisher is not None else math.nan for c in comparisons]
        correction = holm(p_values, alpha)
        out.append(FourFifthsAnalysis(
            reference_label=ref,
            threshold=float(threshold),
            alpha=float(alpha),
            groups=tuple(
                GroupSelection(label, comparison, adjusted, rejected)
                for label, comparison, adjusted, rejected in zip(
                    labels, comparisons, correction.adjusted, correction.reject, strict=True
                )
            ),
        ))
    return out


def _plan(groups: Mapping[str, tuple[int, int]],
          reference: str | None) -> tuple[dict[str, tuple[int, int]], str, list[str]]:
    """The checked counts, the reference group and the groups compared with it."""
    counts = {label: check_count_pair(k, n, f"group {label!r}") for label, (k, n) in groups.items()}
    if not counts:
        raise ValueError("four_fifths_analysis needs at least one group")
    if reference is None:
        populated = [(k / n, n, -i, label) for i, (label, (k, n)) in enumerate(counts.items()) if n > 0]
        reference = max(populated)[3] if populated else next(iter(counts))
    if reference not in counts:
        raise ValueError(f"reference group {reference!r} is not among the groups")
    return counts, reference, [label for label in counts if label != reference]
