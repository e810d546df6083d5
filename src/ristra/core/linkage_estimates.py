"""Linkage quality estimated from a stratified clerical sample, with confidence intervals.

A run's rows are split into strata (normally the tiers of the links in force); a clerk labels a
random sample of rows in each stratum with the person each truly is (or nobody). From that sample
this module estimates, for the whole run (or a subgroup of it):

* **precision** — of the rows linked, the share linked to the right person;
* **recall** — of the rows that have a true person in the identity dataset, the share linked to
  that person.

Method
------
Each is a ratio R = Y / X of two population totals (precision: y = right link, x = linked;
recall: y = right link, x = has a true person), estimated with the *combined ratio estimator* of
stratified sampling, R̂ = Σ_h N_h ȳ_h / Σ_h N_h x̄_h (Cochran, *Sampling Techniques*, 3rd ed.,
1977, §6.11), where N_h is the stratum's size and ȳ_h, x̄_h the sample means of its n_h
labelled rows. Its linearised (Taylor) variance is

    V(R̂) = (1 / X̂²) Σ_h N_h² (1 − f_h) s²_h / n_h,   s²_h = (1/n_h) Σ_i (d_i − d̄_h)²,  d_i = y_i − R̂ x_i,

with the finite-population correction f_h = n_h / N_h (off with ``finite_population=False``) and
the within-stratum variance taken with divisor n_h, the binomial variance that Wilson's interval
assumes (so that one stratum without the correction gives exactly Wilson's interval for k of n).
The interval is Wilson's (or Clopper–Pearson's) for the proportion R̂ at the *effective sample
size* n* = R̂(1 − R̂) / V(R̂), capped at the number of sampled rows with x = 1 (Korn & Graubard,
"Confidence intervals for proportions with small expected number of positive counts estimated
from survey data", *Survey Methodology* 24 (1998) 193–201). Where V = 0 or R̂ is 0 or 1, n* is
that number of rows.

Assumptions: within each stratum the labelled rows are a simple random sample of its rows; the
clerk's labels are right; the strata sizes are known. Subgroups (e.g. Hispanic or compound
surnames, women whose surname changed, American Indian/Alaska Native) are estimated as their own
populations — the rows of the subgroup in each stratum (sizes known from the roster) and the
sampled rows among them — so a subgroup needs enough labelled rows of its own; its interval says
how many it had.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ristra.core.stats.proportions import clopper_pearson_intervals, wilson_intervals

IntervalMethod = Literal["wilson", "clopper_pearson"]


@dataclass(frozen=True)
class LabelledRow:
    """One sampled row: its stratum, the person the run linked it to (``None``: not linked), the
    person it truly is (``None``: nobody in the identity dataset), and the subgroups it is in."""

    stratum: str
    link: str | None
    truth: str | None
    subgroups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EstimatedShare:
    """A ratio estimated from the sample, with its interval and effective sample size."""

    estimate: float
    lower: float
    upper: float
    effective_n: float
    rows: int
    method: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QualityEstimate:
    """Precision and recall of one population (a run or a subgroup), and the sample behind them."""

    precision: EstimatedShare
    recall: EstimatedShare
    strata: tuple[tuple[str, int, int], ...]  # (stratum, rows in it, rows labelled)

    @property
    def f1(self) -> float:
        p, r = self.precision.estimate, self.recall.estimate
        return 2 * p * r / (p + r) if p + r > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"precision": self.precision.to_dict(), "recall": self.recall.to_dict(), "f1": self.f1,
                "strata": [{"stratum": s, "rows": n, "labelled": k} for s, n, k in self.strata]}


def stratified_sample(rows: Mapping[str, Sequence[str]], per_stratum: int | Mapping[str, int],
                      seed: int) -> dict[str, tuple[str, ...]]:
    """A simple random sample without replacement of ``per_stratum`` rows (all, if fewer) of each
    stratum, reproducible from ``seed``; rows are sorted first so the sample does not depend on
    their order."""
    generator = random.Random(seed)
    out = {}
    for stratum in sorted(rows):
        wanted = per_stratum if isinstance(per_stratum, int) else per_stratum.get(stratum, 0)
        members = sorted(rows[stratum])
        out[stratum] = tuple(sorted(generator.sample(members, min(wanted, len(members)))))
    return out


def ratio_estimate(population: Mapping[str, int], values: Mapping[str, Sequence[tuple[float, float]]],
                   confidence: float = 0.95, method: IntervalMethod = "wilson",
                   finite_population: bool = True) -> EstimatedShare:
    """The combined ratio estimate of Σ y / Σ x (module docstring) from per-stratum sampled
    ``(y, x)`` pairs; ``population`` gives each stratum's size N_h (a stratum without sampled rows
    contributes nothing, which is only right when its x is 0 throughout)."""
    totals_y = totals_x = 0.0
    for stratum, pairs in values.items():
        if pairs:
            n_h = population[stratum]
            totals_y += n_h * sum(y for y, _ in pairs) / len(pairs)
            totals_x += n_h * sum(x for _, x in pairs) / len(pairs)
    rows = sum(1 for pairs in values.values() for _, x in pairs if x)
    if totals_x <= 0:
        return EstimatedShare(math.nan, 0.0, 1.0, 0.0, rows, method, confidence)
    ratio = totals_y / totals_x
    variance = 0.0
    for stratum, pairs in values.items():
        n = len(pairs)
        if n == 0:
            continue
        big_n = population[stratum]
        d = [y - ratio * x for y, x in pairs]
        mean = sum(d) / n
        s2 = sum((v - mean) ** 2 for v in d) / n
        fpc = 1.0 - n / big_n if finite_population and big_n else 1.0
        variance += big_n * big_n * max(fpc, 0.0) * s2 / n
    variance /= totals_x * totals_x
    spread = ratio * (1.0 - ratio)
    effective = float(rows) if variance <= 0 or spread <= 0 else min(spread / variance, float(rows))
    if method == "wilson":
        bounds = wilson_intervals([ratio * effective], [effective], confidence)
    else:
        bounds = clopper_pearson_intervals([ratio * effective], [effective], confidence)
    return EstimatedShare(ratio, float(bounds.lower[0]), float(bounds.upper[0]), effective, rows, method,
                          confidence)


def estimate_link_quality(population: Mapping[str, int], sample: Iterable[LabelledRow], confidence: float = 0.95,
                          method: IntervalMethod = "wilson", finite_population: bool = True) -> QualityEstimate:
    """Precision and recall of a run from a stratified labelled sample (module docstring).
    ``population``: the number of rows in each stratum. Raises ``ValueError`` for a sampled row
    of a stratum ``population`` does not name, or a stratum with more labelled rows than rows."""
    precision: dict[str, list[tuple[float, float]]] = {s: [] for s in population}
    recall: dict[str, list[tuple[float, float]]] = {s: [] for s in population}
    for row in sample:
        if row.stratum not in population:
            raise ValueError(f"a labelled row is in stratum {row.stratum!r}, which has no size")
        right = float(row.link is not None and row.link == row.truth)
        precision[row.stratum].append((right, float(row.link is not None)))
        recall[row.stratum].append((right, float(row.truth is not None)))
    for stratum, pairs in precision.items():
        if len(pairs) > population[stratum]:
            raise ValueError(f"stratum {stratum!r} has {len(pairs)} labelled rows but {population[stratum]} rows")
    return QualityEstimate(
        ratio_estimate(population, precision, confidence, method, finite_population),
        ratio_estimate(population, recall, confidence, method, finite_population),
        tuple((s, population[s], len(precision[s])) for s in sorted(population)))


def estimate_by_subgroup(populations: Mapping[str, Mapping[str, int]], sample: Sequence[LabelledRow],
                         confidence: float = 0.95, method: IntervalMethod = "wilson") -> dict[str, QualityEstimate]:
    """:func:`estimate_link_quality` of each subgroup: ``populations[group]`` its rows per stratum,
    the sampled rows whose ``subgroups`` name it."""
    return {group: estimate_link_quality(sizes, [r for r in sample if group in r.subgroups], confidence, method)
            for group, sizes in sorted(populations.items())}
