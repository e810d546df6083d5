"""Linkage quality of the run in force, stated with intervals from a stratified clerical sample.

Contract
--------
* :func:`clerical_sample` draws the rows a clerk should label: a seeded simple random sample of
  ``per_stratum`` rows from each tier of the links in force (:func:`ristra.core.linkage_estimates.
  stratified_sample`), as roster row ids (the clerk looks the records up in the review export or
  the source systems).
* :func:`quality` takes the clerk's labels (roster row → the person it truly is, or ``None``) for
  sampled rows and returns precision and recall with intervals
  (:func:`ristra.core.linkage_estimates.estimate_link_quality`), overall and for each subgroup the
  roster can tell: ``hispanic`` (Hispanic or Latino ethnicity), ``compound_surname`` (a surname of
  two or more parts), ``women`` (whose surname may have changed), ``aian`` (American Indian or
  Alaska Native, alone or in combination). The tiers' sizes come from the run, the subgroups'
  sizes from the roster snapshot the run is pinned to. A label for a row outside the run raises
  :class:`LinkageInputError` naming how many, never which value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from ristra.core.linkage import LinkageInputError
from ristra.core.linkage_estimates import (
    LabelledRow,
    QualityEstimate,
    estimate_by_subgroup,
    estimate_link_quality,
    stratified_sample,
)
from ristra.services.linkage import ROSTER, LinkageService

SUBGROUP_SQL = {
    "hispanic": "hispanic = 'yes'",
    "compound_surname": "len(string_split_regex(trim(last_name), '[\\s\\-]+')) > 1",
    "women": "sex = 'female'",
    "aian": "list_contains(race, 'american_indian_alaska_native')",
}


@dataclass(frozen=True)
class LinkageQuality:
    """Quality of one run, overall and by subgroup."""

    run_id: str
    overall: QualityEstimate
    subgroups: dict[str, QualityEstimate]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "overall": self.overall.to_dict(),
                "subgroups": {k: v.to_dict() for k, v in self.subgroups.items()}}


def _tiers(service: LinkageService) -> dict[str, str]:
    return {x.roster_id: x.tier for x in service.links()}


def clerical_sample(service: LinkageService, per_stratum: int = 60, seed: int = 16) -> dict[str, tuple[str, ...]]:
    """The rows to label, by tier (see the module docstring)."""
    by_tier: dict[str, list[str]] = {}
    for roster_id, tier in _tiers(service).items():
        by_tier.setdefault(tier, []).append(roster_id)
    return stratified_sample(by_tier, per_stratum, seed)


def _subgroups(service: LinkageService, run_inputs: Mapping[str, str]) -> dict[str, set[str]]:
    roster = service.workspace.snapshots.get(ROSTER, run_inputs[ROSTER])
    path = str(service.workspace.snapshots.path(roster)).replace("'", "''")
    con = duckdb.connect()
    try:
        columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
        out = {}
        for name, condition in SUBGROUP_SQL.items():
            needed = {"hispanic": "hispanic", "compound_surname": "last_name", "women": "sex", "aian": "race"}[name]
            if needed in columns:
                rows = con.execute(f"SELECT participant_id FROM read_parquet('{path}') WHERE {condition}").fetchall()
                out[name] = {str(r[0]) for r in rows}
        return out
    finally:
        con.close()


def quality(service: LinkageService, labels: Mapping[str, str | None], confidence: float = 0.95) -> LinkageQuality:
    """Precision and recall of the run in force from clerical ``labels`` (see the module docstring)."""
    run = service._require_run()
    links = service.links(run)
    tiers = {x.roster_id: x.tier for x in links}
    unknown = sum(1 for r in labels if r not in tiers)
    if unknown:
        raise LinkageInputError(f"{unknown} labelled row(s) are not rows of run {run.run_id}")
    if not labels:
        raise LinkageInputError("no labelled rows; draw a clerical sample and label it first")
    person = {x.roster_id: x.person_id for x in links}
    groups = _subgroups(service, run.record.inputs)
    sample = [LabelledRow(tiers[r], person[r], truth, frozenset(g for g, rows in groups.items() if r in rows))
              for r, truth in sorted(labels.items())]
    population: dict[str, int] = {}
    for tier in tiers.values():
        population[tier] = population.get(tier, 0) + 1
    by_group = {g: {t: sum(1 for r in rows if tiers.get(r) == t) for t in population} for g, rows in groups.items()}
    return LinkageQuality(run.run_id, estimate_link_quality(population, sample, confidence),
                          estimate_by_subgroup(by_group, sample, confidence))
