"""A program's participants against comparison groups (issue 16, item 5): among applicants of
the same cycles, and balanced on what the records hold.

Contract
--------
* **Among applicants of the same cycles** (:func:`applicant_comparison`): per cycle, the
  applications of the program's linked participants (a cycle after their cohort) and those of
  applicants linked to no participant of any program. At each stage, the selection rate (reached
  the stage / reached the stage before: completed of applied, interviewed of completed, offered of
  interviewed, matriculated of offered), pooled over cycles as a Wilson share per group, the
  selection-rate ratio (participants / non-participants) with the Miettinen–Nurminen score
  interval and Fisher's exact test on the pooled table, and the comparison **stratified by cycle**
  (:func:`ristra.core.stats.stratified.stratified_comparison`: Mantel–Haenszel odds ratio, or the
  exact conditional test where the strata are sparse, and Breslow–Day). Assumption: one person
  may apply in several cycles (a dependence the strata do not remove; it narrows the intervals
  slightly).
* **Balanced** (:func:`balanced_comparison`): one row per applicant person — their first
  application in those cycles — with the covariates the records hold (cycle, in-state, rural,
  economic disadvantage, first generation, URM, women, each yes = 1 and an ``unknown`` indicator
  where some are unknown); participants against non-participants weighted to them
  (:mod:`ristra.core.stats.propensity`, ATT), with the balance table, the weighted risk
  difference and risk ratio at each stage of that application, and the E-value
  (:mod:`ristra.core.stats.evalue`) of each risk ratio and of its bootstrap limit nearest 1.
  Covariates every participant shares are handled by restriction (the comparison is within that
  level) and listed in ``restricted``.
* No propensity score, weight or outcome of any person is in these values: groups in, summaries
  out. Any table from them goes through the release path before it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ristra.core.stats.contingency import FisherTest, fisher_exact_test
from ristra.core.stats.evalue import EValue, e_value
from ristra.core.stats.propensity import (
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    PropensityAnalysis,
    att_analysis,
    restrict_to_overlap,
    standardised_mean_difference,
)
from ristra.core.stats.proportions import Proportion, proportion
from ristra.core.stats.ratios import RatioEstimate, score_ratio
from ristra.core.stats.stratified import StratifiedComparison, stratified_comparison

#: (stage, the stage before it) for selection rates.
SELECTION: tuple[tuple[str, str], ...] = (("completed", "applications"), ("interviewed", "completed"),
                                          ("offered", "interviewed"), ("matriculated", "offered"))
#: The outcomes of the balanced comparison (reached at the person's first application in the cycles).
BALANCED_OUTCOMES: tuple[str, ...] = ("completed", "interviewed", "offered", "matriculated")


@dataclass(frozen=True)
class CycleCounts:
    """One cycle's counts per group: ``applications`` and each stage reached (:data:`SELECTION`)."""

    cycle: int
    participants: Mapping[str, int]
    non_participants: Mapping[str, int]


@dataclass(frozen=True)
class StageComparison:
    """Participants' selection rate at one stage against non-participants' (module docstring)."""

    stage: str
    previous: str
    participants: Proportion
    non_participants: Proportion
    rate_ratio: RatioEstimate
    fisher: FisherTest | None
    stratified: StratifiedComparison | None
    cycles_used: int

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "previous": self.previous, "participants": self.participants.to_dict(),
                "non_participants": self.non_participants.to_dict(), "rate_ratio": self.rate_ratio.to_dict(),
                "fisher": self.fisher.to_dict() if self.fisher else None,
                "stratified": self.stratified.to_dict() if self.stratified else None,
                "cycles_used": self.cycles_used}


@dataclass(frozen=True)
class ApplicantComparison:
    """Among applicants of the same cycles: each stage's comparison (module docstring)."""

    program_id: str
    cycles: tuple[int, ...]
    participant_applications: int
    non_participant_applications: int
    stages: tuple[StageComparison, ...]
    method: str
    notes: tuple[str, ...] = ()

    def stage(self, name: str) -> StageComparison:
        for s in self.stages:
            if s.stage == name:
                return s
        raise KeyError(f"no stage {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "cycles": list(self.cycles),
                "participant_applications": self.participant_applications,
                "non_participant_applications": self.non_participant_applications,
                "stages": [s.to_dict() for s in self.stages], "method": self.method, "notes": list(self.notes)}


APPLICANT_METHOD = ("applications of the program's linked participants (cycles after their cohort) against those of "
                    "applicants linked to no program participant, in the same cycles; selection rate = reached the "
                    "stage / reached the stage before; pooled Wilson shares, Miettinen–Nurminen score interval of "
                    "the ratio, Fisher's exact test; stratified by cycle with Mantel–Haenszel, or the exact "
                    "conditional test where the strata are sparse; Breslow–Day for homogeneity")


def applicant_comparison(program_id: str, counts: Sequence[CycleCounts], confidence: float = 0.95
                         ) -> ApplicantComparison:
    """Each stage's comparison among applicants of the same cycles (module docstring). Only cycles
    with at least one participant application count."""
    used = [c for c in sorted(counts, key=lambda c: c.cycle) if c.participants.get("applications", 0) > 0]
    stages = []
    for stage, previous in SELECTION:
        tables = []
        for c in used:
            n1, k1 = c.participants.get(previous, 0), c.participants.get(stage, 0)
            n0, k0 = c.non_participants.get(previous, 0), c.non_participants.get(stage, 0)
            if n1 > 0 and n0 > 0:
                tables.append([[k1, n1 - k1], [k0, n0 - k0]])
        k1 = sum(c.participants.get(stage, 0) for c in used)
        n1 = sum(c.participants.get(previous, 0) for c in used)
        k0 = sum(c.non_participants.get(stage, 0) for c in used)
        n0 = sum(c.non_participants.get(previous, 0) for c in used)
        fisher = fisher_exact_test([[k1, n1 - k1], [k0, n0 - k0]]) if n1 > 0 and n0 > 0 else None
        stratified = stratified_comparison(tables, confidence) if tables else None
        stages.append(StageComparison(stage, previous, proportion(k1, n1, confidence=confidence),
                                      proportion(k0, n0, confidence=confidence), score_ratio(k1, n1, k0, n0, confidence),
                                      fisher, stratified, len(tables)))
    notes = () if used else ("no linked participant of this program applied in the applications window",)
    return ApplicantComparison(program_id, tuple(c.cycle for c in used),
                               sum(c.participants.get("applications", 0) for c in used),
                               sum(c.non_participants.get("applications", 0) for c in used),
                               tuple(stages), APPLICANT_METHOD, notes)


@dataclass(frozen=True)
class BalancedComparison:
    """The ATT-weighted comparison with its balance table and E-values (module docstring)."""

    program_id: str
    unit: str
    method: str
    analysis: PropensityAnalysis | None
    e_values: dict[str, EValue] = field(default_factory=dict)
    restricted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: each covariate's SMD among all applicants of the same cycles, before restriction and weighting
    smd_before_restriction: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "unit": self.unit, "method": self.method,
                "analysis": self.analysis.to_dict() if self.analysis else None,
                "e_values": {k: v.to_dict() for k, v in self.e_values.items()},
                "restricted": list(self.restricted), "notes": list(self.notes),
                "smd_before_restriction": dict(self.smd_before_restriction)}


BALANCED_UNIT = ("one applicant person: their first application in the cycles the program's participants applied in")
BALANCED_METHOD = ("propensity score by logistic regression (IRLS) on the covariates, main effects; ATT weights "
                   "(1 for participants, e/(1 − e) for non-participants); balance by standardised mean differences "
                   "before and after (target |SMD| < 0.1); weighted risk difference and ratio, robust (HC0) and "
                   "stratified bootstrap intervals (the propensity model refitted in each replicate, fixed seed); "
                   "E-value of the ratio and of its bootstrap limit nearest 1 (VanderWeele & Ding 2017)")


def balanced_comparison(program_id: str, names: Sequence[str], design: ArrayLike, treated: ArrayLike,
                        outcomes: Mapping[str, ArrayLike], confidence: float = 0.95,
                        replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED) -> BalancedComparison:
    """The balanced comparison (module docstring); ``design`` rows × ``names`` (0/1 or numbers)."""
    t = np.asarray(treated, dtype=bool)
    x = np.asarray(design, dtype=np.float64).reshape(t.size, len(names))
    if not t.any() or t.all():
        return BalancedComparison(program_id, BALANCED_UNIT, BALANCED_METHOD, None,
                                  notes=("a balanced comparison needs both participants and non-participants "
                                         "among the applicants",))
    crude = {n: standardised_mean_difference(x[t, j], x[~t, j]) for j, n in enumerate(names)}
    kept, rows, restricted = restrict_to_overlap(names, x, t)
    columns = [list(names).index(k) for k in kept]
    xs, ts = x[rows][:, columns], t[rows]
    ys = {k: np.asarray(v, dtype=np.float64)[rows] for k, v in outcomes.items()}
    if ts.all():
        return BalancedComparison(program_id, BALANCED_UNIT, BALANCED_METHOD, None, restricted=restricted,
                                  notes=("no non-participant shares the participants' level of: "
                                         + "; ".join(restricted),), smd_before_restriction=crude)
    analysis = att_analysis(kept, xs, ts, ys, confidence, replicates, seed)
    evalues = {e.outcome: e_value(e.risk_ratio, *e.rr_bootstrap) for e in analysis.effects}
    return BalancedComparison(program_id, BALANCED_UNIT, BALANCED_METHOD, analysis, evalues, restricted,
                              analysis.notes, crude)
