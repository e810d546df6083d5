"""One linkage run: a roster (or any table with linkage fields) against one identity dataset.

Steps, all in one DuckDB connection:

1. **check** both tables' linkage fields (:func:`ristra.core.linkage.check_linkage_columns`);
2. **standardise** them in SQL (:mod:`ristra.linkage.standardise`);
3. **exact pass** on each shared identifier (AAMC ID, NPI, e-mail): a pair counts only where the
   first names agree (same standard name, or nickname forms that intersect), the birth dates do not
   contradict each other (see the birth-date rule below; two people of one name can share an
   address built from it) and the pair is one-to-one (the roster person has one such identity and
   the identity one such roster person); its tier is ``linked by identifier``;
4. **probabilistic pass** (:mod:`ristra.linkage.model`): Splink's Fellegi–Sunter model scores the
   blocked pairs;
5. **first-name rule**: a scored pair whose first names disagree outright (not the same, not
   nickname forms of one name, Jaro–Winkler below 0.88) is not a candidate. Siblings and twins agree
   on everything else a family shares (surname, address, e-mail, birth year or date), and EM cannot
   tell such pairs from matches, so the rule the exact pass applies holds here too;
   **birth-date rule**: nor is a pair whose birth dates contradict each other (both present and not
   equal, swapped, one day or one year apart, or one digit apart:
   :func:`ristra.linkage.model.birth_dates_compatible`). Addresses are built from names (and birth
   years), so two people of one name share an address far more often than random sampling
   measures; the e-mail then outweighs a contradicting birth date, which the exact pass also
   requires to agree;
6. **one-to-one resolution**: per roster person (``person_key``, e.g. program + roster id, so a
   person's rows in several years link together) and identity, the pair is kept when it is each
   side's best (identifier links first, then by match weight) within the same ``group_key``
   (e.g. program); ties go to the lower identifier;
7. **threshold** calibrated on labelled rows (:func:`ristra.core.linkage.calibrate_threshold`) or
   given; without either the run uses the weight where the model's probability is one half (0)
   and says it is uncalibrated. A resolved pair below the threshold but within ``review_band``
   bits of it is ``review``.

The result table holds ids, match weight, probability and tier only — never a name, a birth date
or an e-mail — and nothing here logs a field value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ristra.core.categories.sql import quote_identifier
from ristra.core.linkage import (
    LINKED,
    LINKED_BY_IDENTIFIER,
    NOT_LINKED,
    REVIEW,
    TIERS,
    Calibration,
    LinkageInputError,
    calibrate_threshold,
    check_linkage_columns,
)
from ristra.linkage.model import ModelOptions, birth_dates_compatible, train_and_predict
from ristra.linkage.standardise import keep_comparable, standardise

IDENTIFIERS = ("aamc_id", "npi", "email_std")


@dataclass(frozen=True)
class LinkRun:
    """What a run produced: the name of the result table in the connection (``roster_id``,
    ``person_id``, ``match_weight``, ``match_probability``, ``tier``), the threshold and how it was
    chosen, counts by tier, step timings and the model's JSON."""

    table: str
    threshold: float
    calibration: Calibration | None
    counts: dict[str, int]
    seconds: dict[str, float]
    model: dict[str, Any] = field(repr=False)

    @property
    def calibrated(self) -> bool:
        return self.calibration is not None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "threshold": self.threshold, "calibrated": self.calibrated,
                "calibration": self.calibration.to_dict() if self.calibration else None,
                "counts": dict(self.counts), "seconds": dict(self.seconds)}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {row[0]: str(row[1]) for row in con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()}


def link(
    con: duckdb.DuckDBPyConnection,
    roster: str,
    identities: str,
    *,
    roster_id: str = "participant_id",
    person_key: str | None = None,
    group_key: str | None = None,
    labels: Mapping[str, str | None] | None = None,
    threshold: float | None = None,
    review_band: float = 4.0,
    options: ModelOptions | None = None,
    result: str = "linkage_result",
) -> LinkRun:
    """Link every row of ``roster`` to at most one ``person_id`` of ``identities`` (both table or
    view names in ``con``); see the module docstring for the steps. ``labels`` are row labels
    (roster id → true person id or ``None``) for calibrating the threshold; ``threshold`` fixes it
    instead. Raises :class:`~ristra.core.linkage.LinkageInputError` for unusable input."""
    options = options or ModelOptions()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    roster_columns = _columns(con, roster)
    present_r = check_linkage_columns("the roster", roster_columns, roster_id)
    present_i = check_linkage_columns("the identity dataset", _columns(con, identities), "person_id")
    for key in (person_key, group_key):
        if key is not None and key not in roster_columns:
            raise LinkageInputError(f"the roster has no column {key!r} to group its rows by")
    person_expr = f"CAST({quote_identifier(person_key)} AS VARCHAR)" if person_key else f"CAST({quote_identifier(roster_id)} AS VARCHAR)"
    group_expr = f"CAST({quote_identifier(group_key)} AS VARCHAR)" if group_key else "''"
    con.execute(f"CREATE OR REPLACE TEMP VIEW linkage_roster_keyed AS SELECT *, "
                f"{group_expr} || chr(31) || {person_expr} AS linkage_person_key, {group_expr} AS linkage_group_key "
                f"FROM {roster}")
    standardise(con, "linkage_roster_keyed", "linkage_roster_std", roster_id, present_r, "linkage_person_key",
                "linkage_group_key")
    standardise(con, identities, "linkage_identity_std", "person_id", present_i)
    keep_comparable(con, "linkage_roster_std", "linkage_identity_std", "school_std")
    step("standardise")

    shared = tuple(i for i in IDENTIFIERS if _field_of(i) in present_r and _field_of(i) in present_i)
    _exact_pass(con, shared)
    step("exact pass")

    model = train_and_predict(con, "linkage_roster_std", "linkage_identity_std",
                              tuple(i for i in shared if i != "email_std"), options, "linkage_scored")
    step("training and prediction")

    _resolve(con)
    calibration = None
    if threshold is None and labels:
        candidates = {row[0]: (row[1], row[2]) for row in con.execute(
            "SELECT roster_id, person_id, CASE WHEN by_identifier THEN 1e9 ELSE match_weight END "
            "FROM linkage_resolved").fetchall()}
        calibration = calibrate_threshold(candidates, dict(labels))
        threshold = calibration.threshold
    if threshold is None:
        threshold = 0.0
    con.execute(f"""
CREATE OR REPLACE TABLE {result} AS
SELECT r.unique_id AS roster_id,
       CASE WHEN x.by_identifier OR x.match_weight >= $t THEN x.person_id
            WHEN x.match_weight >= $t - $band THEN x.person_id END AS person_id,
       x.match_weight, x.match_probability,
       CASE WHEN x.by_identifier THEN '{LINKED_BY_IDENTIFIER}'
            WHEN x.match_weight >= $t THEN '{LINKED}'
            WHEN x.match_weight >= $t - $band THEN '{REVIEW}'
            ELSE '{NOT_LINKED}' END AS tier
FROM linkage_roster_std r LEFT JOIN linkage_resolved x ON x.roster_id = r.unique_id
ORDER BY r.unique_id
""", {"t": threshold, "band": review_band})
    step("resolution")
    counts = dict.fromkeys(TIERS, 0)
    for tier, n in con.execute(f"SELECT tier, count(*) FROM {result} GROUP BY tier").fetchall():
        counts[tier] = n
    for table in ("linkage_scored", "linkage_exact", "linkage_resolved"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return LinkRun(result, float(threshold), calibration, counts, seconds, model)


def _field_of(identifier: str) -> str:
    return "email" if identifier == "email_std" else identifier


def _exact_pass(con: duckdb.DuckDBPyConnection, identifiers: tuple[str, ...]) -> None:
    """``linkage_exact(block_key, group_key, person_id)``: one-to-one identifier pairs whose first
    names agree and whose birth dates do not contradict each other (see
    :func:`ristra.linkage.model.birth_dates_compatible`)."""
    pairs = [
        f"SELECT r.block_key, r.group_key, i.unique_id AS person_id FROM linkage_roster_std r "
        f"JOIN linkage_identity_std i ON r.{c} = i.{c} "
        f"WHERE (r.first_std = i.first_std OR list_has_any(r.first_forms, i.first_forms)) "
        f"AND {birth_dates_compatible('r.birth_date', 'i.birth_date')}"
        for c in identifiers
    ]
    body = " UNION ".join(pairs) if pairs else \
        "SELECT CAST(NULL AS VARCHAR) AS block_key, CAST(NULL AS VARCHAR) AS group_key, CAST(NULL AS VARCHAR) AS person_id WHERE false"
    con.execute(f"""
CREATE OR REPLACE TABLE linkage_exact AS
WITH pairs AS (SELECT DISTINCT * FROM ({body}))
SELECT * FROM pairs
QUALIFY count(*) OVER (PARTITION BY block_key) = 1 AND count(*) OVER (PARTITION BY group_key, person_id) = 1
""")


def _resolve(con: duckdb.DuckDBPyConnection) -> None:
    """``linkage_resolved(roster_id, person_id, match_weight, match_probability, by_identifier)``:
    each roster row's pair after the first-name and birth-date rules and one-to-one resolution at
    the roster-person level."""
    con.execute(f"""
CREATE OR REPLACE TABLE linkage_resolved AS
WITH scored AS (
  SELECT r.block_key, r.group_key, s.person_id, max(s.match_weight) AS match_weight,
         max(s.match_probability) AS match_probability
  FROM linkage_scored s JOIN linkage_roster_std r ON r.unique_id = s.roster_id
  JOIN linkage_identity_std i ON i.unique_id = s.person_id
  WHERE (r.first_std IS NULL OR i.first_std IS NULL OR list_has_any(r.first_forms, i.first_forms)
     OR jaro_winkler_similarity(r.first_std, i.first_std) >= 0.88)
    AND {birth_dates_compatible('r.birth_date', 'i.birth_date')}
  GROUP BY ALL
), candidates AS (
  SELECT coalesce(s.block_key, e.block_key) AS block_key, coalesce(s.group_key, e.group_key) AS group_key,
         coalesce(s.person_id, e.person_id) AS person_id, s.match_weight, s.match_probability,
         e.person_id IS NOT NULL AS by_identifier
  FROM scored s FULL JOIN linkage_exact e
    ON e.block_key = s.block_key AND e.group_key = s.group_key AND e.person_id = s.person_id
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY block_key ORDER BY by_identifier DESC, match_weight DESC NULLS LAST, person_id) AS side_r,
    row_number() OVER (PARTITION BY group_key, person_id ORDER BY by_identifier DESC, match_weight DESC NULLS LAST, block_key) AS side_i
  FROM candidates
)
SELECT r.unique_id AS roster_id, k.person_id, k.match_weight, k.match_probability, k.by_identifier
FROM ranked k JOIN linkage_roster_std r ON r.block_key = k.block_key
WHERE k.side_r = 1 AND k.side_i = 1
""")
