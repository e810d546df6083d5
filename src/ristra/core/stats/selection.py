"""Selection-rate comparison at one stage: the four-fifths rule with Fisher's exact test,
chi-square where the cells allow, and Holm's correction across groups.

The reference group (:func:`choose_reference`) is the known group with the highest selection rate
among the groups with at least ``min_reference_size`` people (default 30) at the stage before;
unknown and declined membership are never the reference, are compared with it on their own line
and are left out of the multiplicity family.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
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
from ristra.core.stats.ratios import RatioEstimate, score_ratios

#: The EEOC Uniform Guidelines' threshold: a rate below 4/5 of the highest is evidence of adverse impact.
FOUR_FIFTHS = 0.8
#: The smallest group (people at the stage before) that may be the reference group.
MIN_REFERENCE_SIZE = 30
#: Labels of unknown membership: never the reference, compared outside the multiplicity family.
UNKNOWN_LABELS: tuple[str, ...] = ("unknown", "declined")


def reference_rule(min_reference_size: int = MIN_REFERENCE_SIZE) -> str:
    """The reference-group rule of :func:`choose_reference`, in words (printed in notes)."""
    return (f"the reference group is the known group with the highest selection rate among the groups with at least "
            f"{min_reference_size} people at the stage before (ties: the larger group); unknown and declined are "
            "never the reference and are compared on their own line, outside the multiplicity family; when no known "
            "group is that large, the highest-rate known group is the reference and the comparison is flagged")


@dataclass(frozen=True)
class SelectionComparison:
    """One group's selection rate against a reference group's at one stage.

    ``rate_ratio`` is the impact ratio (group rate / reference rate) with its score interval;
    ``ratio_below_threshold`` says whether it is below the threshold (None when undefined: an
    empty group or both rates 0); ``below_four_fifths`` is the same, but None also when either
    group has fewer than the small-number threshold (30) people — the rule is not asserted on
    groups too small to bear it (29 CFR 1607.4(D) warns about small numbers). ``fisher`` is None when either group is empty. ``small_number`` is set when either
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
    ratio_below_threshold: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupSelection:
    """A labelled comparison with its Holm-adjusted Fisher p-value (NaN when there is no test, or
    when the group is outside the family: ``in_family`` is False for unknown membership)."""

    label: str
    comparison: SelectionComparison
    p_value_holm: float
    reject_holm: bool
    in_family: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FourFifthsAnalysis:
    """Every group against the reference group at one stage, Holm-corrected across the known groups.

    ``reference_rule`` states how the reference was chosen; ``reference_small`` is True when no
    known group reached ``min_reference_size`` (the reference is then small, or empty);
    ``family_size`` is the number of tests Holm's correction ran over. That family is this one
    analysis (one stage of one stratum); the selection-ratio metric instead corrects every test of
    its result as one family (:mod:`ristra.core.metrics.plans.selection`), and its rows carry that.
    """

    reference_label: str
    threshold: float
    alpha: float
    groups: tuple[GroupSelection, ...]
    reference_rule: str = ""
    reference_small: bool = False
    min_reference_size: int = MIN_REFERENCE_SIZE
    family_size: int = 0

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
    rate) with the Miettinen–Nurminen score interval (:func:`~.ratios.score_ratio`, valid at
    rates of 0 and 1, where the Katz log interval breaks); ``below_four_fifths`` when the
    ratio is below ``threshold`` (0.8, 29 CFR 1607.4(D)) and both groups have at least
    ``small_number_threshold`` people (None otherwise; ``ratio_below_threshold`` keeps the bare
    comparison); Fisher's exact two-sided test
    on the 2×2 table [[group selected, group not], [reference selected, reference not]]; Pearson's chi-square
    with and without Yates's correction only when every expected count is >= 5.

    Assumptions: independent decisions about different people; the four-fifths rule is a
    rule of thumb for *practical* significance, not a statistical test — with small groups
    a ratio below 0.8 can easily arise by chance (hence ``small_number`` and the tests), and
    with large groups a ratio above 0.8 can still be a statistically clear difference.
    Invalid when the same person is counted in both groups (categories that overlap, such
    as "alone or in combination" race groups), or when the reference group is not the
    comparison the guideline intends (it names the group with the highest rate).

    References: Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D)
    (1978); Fisher (1935); Miettinen and Nurminen (1985); Wilson (1927).
    """
    group = proportion(group_selected, group_total, confidence, "wilson", small_number_threshold)
    reference = proportion(reference_selected, reference_total, confidence, "wilson", small_number_threshold)
    table = _table(group.k, group.n, reference.k, reference.n)
    fisher = fisher_exact_test(table) if group.n and reference.n else None
    [ratio] = score_ratios([(group.k, group.n, reference.k, reference.n)], confidence)
    return _comparison(group, reference, fisher, ratio, threshold, small_number_threshold)


def _table(k: int, n: int, ref_k: int, ref_n: int) -> list[list[int]]:
    return [[k, n - k], [ref_k, ref_n - ref_k]]


def _comparison(group: Proportion, reference: Proportion, fisher: FisherTest | None, ratio: RatioEstimate,
                threshold: float, small_group: int) -> SelectionComparison:
    """:func:`compare_selection` given the two proportions, the table's Fisher test (None when a
    group is empty) and the impact ratio with its interval."""
    table = _table(group.k, group.n, reference.k, reference.n)
    notes: list[str] = []
    empty = [name for name, p in (("the group", group), ("the reference group", reference)) if p.n == 0]
    chi_square = chi_square_tests(table)
    if empty:  # one note, not one per statistic that cannot be computed
        notes.append(f"{' and '.join(empty)} {'have' if len(empty) == 2 else 'has'} nobody at the stage before; "
                     "no ratio and no test")
    elif ratio.note:
        notes.append(ratio.note)
    if chi_square.reason and not empty:
        notes.append(f"chi-square not reported: {chi_square.reason}")
    raw_below = None if math.isnan(ratio.ratio) else ratio.ratio < threshold
    small = group.small_number or reference.small_number
    few = min(group.n, reference.n) < small_group
    below = None if few else raw_below
    if few and raw_below:
        notes.append(f"the ratio is below the threshold, but a group has fewer than {small_group} people: "
                     "not read as adverse impact")
    return SelectionComparison(
        group=group,
        reference=reference,
        rate_ratio=ratio,
        threshold=float(threshold),
        below_four_fifths=below,
        fisher=fisher,
        chi_square=chi_square,
        small_number=small,
        notes=tuple(notes),
        ratio_below_threshold=raw_below,
    )


def four_fifths_analysis(
    groups: Mapping[str, tuple[int, int]],
    reference: str | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    threshold: float = FOUR_FIFTHS,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
    unknown: Collection[str] = UNKNOWN_LABELS,
    min_reference_size: int = MIN_REFERENCE_SIZE,
) -> FourFifthsAnalysis:
    """Each group's (selected, total) against a reference group, with Holm's correction.

    Method: :func:`compare_selection` for every group other than the reference; the Fisher
    p-values of the comparisons of *known* groups are adjusted with Holm's step-down procedure
    (groups with no test are left out of the family). The groups named in ``unknown`` (default
    ``unknown`` and ``declined``) are compared with the reference on their own line, with their
    own Fisher p-value, but outside the family (``in_family`` False, Holm p-value NaN): unknown
    membership is not a group the guideline compares, and a test of it would only dilute the
    correction. ``reference`` defaults to :func:`choose_reference`: the known group with the
    highest selection rate among those with at least ``min_reference_size`` people (ties: the
    larger group, then the first listed) — the Uniform Guidelines compare with "the group with
    the highest rate" and warn that small numbers make rates unreliable.

    Assumptions: as for :func:`compare_selection`; the groups should not overlap. The
    comparisons share the reference group, so they are dependent — Holm's procedure is
    valid under any dependence.

    References: 29 CFR 1607.4(D); Holm, Scand. J. Statist. 6 (1979) 65–70.
    """
    return four_fifths_analyses([groups], reference, alpha, confidence, threshold, small_number_threshold, unknown,
                                min_reference_size)[0]


def four_fifths_analyses(
    many: Sequence[Mapping[str, tuple[int, int]]],
    reference: str | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    threshold: float = FOUR_FIFTHS,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
    unknown: Collection[str] = UNKNOWN_LABELS,
    min_reference_size: int = MIN_REFERENCE_SIZE,
) -> list[FourFifthsAnalysis]:
    """:func:`four_fifths_analysis` of each mapping in ``many`` (same results), with every
    Fisher test computed in one vectorised batch (:func:`~.contingency.fisher_exact_tests`)."""
    if min_reference_size < 0:
        raise ValueError(f"min_reference_size must not be negative, got {min_reference_size!r}")
    plans = [_plan(groups, reference, unknown, min_reference_size) for groups in many]
    tables = [_table(*counts[label], *counts[ref]) for counts, ref, _, labels in plans for label in labels
              if counts[label][1] and counts[ref][1]]
    fishers = iter(fisher_exact_tests(tables))
    ratios = iter(score_ratios([(*counts[label], *counts[ref]) for counts, ref, _, labels in plans for label in labels],
                               confidence))
    rule = reference_rule(min_reference_size) if reference is None else f"the reference group is {reference!r} (given)"
    out = []
    for counts, ref, small_ref, labels in plans:
        ref_k, ref_n = counts[ref]
        ref_share = proportion(ref_k, ref_n, confidence, "wilson", small_number_threshold)
        comparisons = []
        for label in labels:
            k, n = counts[label]
            fisher = next(fishers) if n and ref_n else None
            share = proportion(k, n, confidence, "wilson", small_number_threshold)
            comparisons.append(_comparison(share, ref_share, fisher, next(ratios), threshold, small_number_threshold))
        in_family = [label not in unknown for label in labels]
        p_values = [c.fisher.p_value if c.fisher is not None and member else math.nan
                    for c, member in zip(comparisons, in_family, strict=True)]
        correction = holm(p_values, alpha)
        out.append(FourFifthsAnalysis(
            reference_label=ref,
            threshold=float(threshold),
            alpha=float(alpha),
            groups=tuple(
                GroupSelection(label, comparison, adjusted, rejected, member)
                for label, comparison, adjusted, rejected, member in zip(
                    labels, comparisons, correction.adjusted, correction.reject, in_family, strict=True
                )
            ),
            reference_rule=rule,
            reference_small=small_ref,
            min_reference_size=int(min_reference_size),
            family_size=correction.family_size,
        ))
    return out


def choose_reference(counts: Mapping[str, tuple[int, int]], unknown: Collection[str] = UNKNOWN_LABELS,
                     min_reference_size: int = MIN_REFERENCE_SIZE) -> tuple[str, bool]:
    """The reference group of a four-fifths analysis, and whether it is below the minimum size.

    Rule: among the groups not in ``unknown`` with at least ``min_reference_size`` people, the
    one with the highest selection rate (ties: the larger group, then the first listed). When no
    known group is that large, the highest-rate known group with anyone in it (flagged: True);
    when no known group has anyone, the first known group (flagged; every ratio is then
    undefined). Unknown groups are the reference only when every group is unknown.
    """
    if not counts:
        raise ValueError("four_fifths_analysis needs at least one group")
    ranked = [(k / n, n, -i, label) for i, (label, (k, n)) in enumerate(counts.items()) if n > 0 and label not in unknown]
    eligible = [r for r in ranked if r[1] >= min_reference_size]
    if eligible:
        return max(eligible)[3], False
    if ranked:
        return max(ranked)[3], True
    known = [label for label in counts if label not in unknown]
    return (known[0] if known else next(iter(counts))), True


def _plan(groups: Mapping[str, tuple[int, int]], reference: str | None, unknown: Collection[str],
          min_reference_size: int) -> tuple[dict[str, tuple[int, int]], str, bool, list[str]]:
    """The checked counts, the reference group, whether it is small, and the groups compared with it."""
    counts = {label: check_count_pair(k, n, f"group {label!r}") for label, (k, n) in groups.items()}
    if not counts:
        raise ValueError("four_fifths_analysis needs at least one group")
    small = False
    if reference is None:
        reference, small = choose_reference(counts, unknown, min_reference_size)
    elif reference not in counts:
        raise ValueError(f"reference group {reference!r} is not among the groups")
    else:
        small = counts[reference][1] < min_reference_size
    return counts, reference, small, [label for label in counts if label != reference]
