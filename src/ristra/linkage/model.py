"""The probabilistic model: Splink 5 settings, blocking and training (the one Splink adapter).

Comparisons (Fellegi–Sunter; each level's weight is log2(m/u), estimated, not set by hand):

* first name — exact (term-frequency adjusted) / nickname or diminutive (the two names' *forms*
  intersect, see :mod:`ristra.linkage.standardise`) / Jaro–Winkler ≥ 0.92 / ≥ 0.80 / else;
* last name — exact (term-frequency adjusted) / a shared surname token (one part of a compound
  surname, a hyphenated married name, an earlier surname) / Jaro–Winkler ≥ 0.92 / ≥ 0.80 / else;
* date of birth — exact / day and month swapped / one digit apart / one day or one year (365 ± 1
  days) apart / same year / else;
* e-mail — exact only (never fuzzy: usernames are built from names, so a fuzzy e-mail level
  double-counts the name and admits siblings);
* ZIP — ZIP5 / ZIP3 / else; school — exact (term-frequency adjusted) / else.

Training: the prior from two high-precision deterministic rules; u by random sampling with a fixed
seed; m by expectation maximisation on the three rules of :data:`EM_RULES`, each capped at
``em_max_pairs`` pairs: the name levels are learnt from pairs selected by date of birth and ZIP
(not by names), the other levels from pairs selected by names and a second field. Prediction blocks
on (surname, birth year), (canonical first name, surname), date of birth, e-mail, (canonical first
name, ZIP) and each identifier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb

logger = logging.getLogger(__name__)


#: Birth dates one day apart, or one year (365 ± 1 days, so a year across 29 February counts) apart;
#: ``{l}`` and ``{r}`` are the two ISO-text expressions.
NEAR_BIRTH_DATES = ("abs(date_diff('day', CAST({l} AS DATE), CAST({r} AS DATE))) <= 1 "
                    "OR abs(abs(date_diff('day', CAST({l} AS DATE), CAST({r} AS DATE))) - 365) <= 1")

#: Birth dates with day and month swapped (same year).
SWAPPED_BIRTH_DATES = ("substr({l}, 1, 4) = substr({r}, 1, 4) AND substr({l}, 6, 2) = substr({r}, 9, 2) "
                       "AND substr({l}, 9, 2) = substr({r}, 6, 2)")


#: Birth dates one digit apart (a keying error in one place of ``YYYY-MM-DD``).
TYPO_BIRTH_DATES = "levenshtein({l}, {r}) = 1"


def birth_dates_compatible(left: str, right: str) -> str:
    """SQL: true when the two ISO-text birth dates do not contradict each other — either is
    missing, or they are equal, swapped, one digit apart, or near (:data:`NEAR_BIRTH_DATES`)."""
    return (f"({left} IS NULL OR {right} IS NULL OR {left} = {right} "
            f"OR ({SWAPPED_BIRTH_DATES.format(l=left, r=right)}) OR {TYPO_BIRTH_DATES.format(l=left, r=right)} "
            f"OR ({NEAR_BIRTH_DATES.format(l=left, r=right)}))")


#: The EM blocking rules (Splink SQL, ``l``/``r`` the two records), in order; each learns m for the
#: comparisons it does not use. Every rule's non-matches must be like random pairs in the fields it
#: learns, or EM takes them for matches (measured at 100,000 and 1,000,000 identities, see
#: docs/linkage.md):
#:
#: 1. same date of birth and ZIP5, e-mails not equal — learns the names (and school) from pairs the
#:    names did not select; a shared e-mail is left out because twins share it (surname, birth
#:    date, ZIP and e-mail agree: EM would call them matches);
#: 2. same first name, surname and date of birth — learns e-mail and ZIP (and school);
#: 3. same first name, surname and ZIP5 — learns the date of birth (and e-mail, school).
#:
#: A rule on e-mail or birth date alone does not do: its non-matches are siblings and same-name,
#: same-year people whose addresses are built from the name and birth year, and at 1,000,000
#: identities a shared birth date selects ~2,000 non-matches per match, too few for EM to find.
EM_RULES: tuple[str, ...] = (
    "l.birth_date = r.birth_date AND l.zip5 = r.zip5 "
    "AND (l.email_std IS NULL OR r.email_std IS NULL OR l.email_std <> r.email_std)",
    "l.first_std = r.first_std AND l.last_std = r.last_std AND l.birth_date = r.birth_date",
    "l.first_std = r.first_std AND l.last_std = r.last_std AND l.zip5 = r.zip5",
)


@dataclass(frozen=True)
class ModelOptions:
    """Training knobs (defaults measured on the synthetic school; see docs/linkage.md).

    ``em_max_pairs`` caps the pairs of each EM rule (Splink samples records on both sides to meet
    it); ``em_probe_proportion`` is the share of records Splink's preliminary pass uses to estimate
    a rule's pair count before it samples (measured at 1,000,000 identities: a rule on first name
    and surname took 18 s with a full probe and 500,000 pairs, 2 s with a 5 % probe and 200,000)."""

    seed: int = 20250701
    u_max_pairs: float = 2e6
    em_max_pairs: float = 2e5
    em_probe_proportion: float = 0.05
    deterministic_recall: float = 0.8
    candidate_floor: float = -10.0


def _name(part: str, shared: str, what: str) -> Any:
    """A name comparison on ``<part>_std``: exact (with term-frequency adjustment), then a shared
    element of the ``<shared>`` lists (``what`` it means), then Jaro–Winkler at 0.92 and 0.80."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    column = f"{part}_std"
    return cl.CustomComparison(
        output_column_name=f"{part}_name",
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.CustomLevel(f"list_has_any({shared}_l, {shared}_r)", what),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.80),
            cll.ElseLevel(),
        ],
    )


def _first_name() -> Any:
    return _name("first", "first_forms", "nickname or diminutive")


def _last_name() -> Any:
    return _name("last", "last_tokens", "a shared surname")


def _birth_date() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    swapped = SWAPPED_BIRTH_DATES.format(l="birth_date_l", r="birth_date_r")
    near = NEAR_BIRTH_DATES.format(l="birth_date_l", r="birth_date_r")
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(swapped, "day and month swapped"),
            cll.CustomLevel(TYPO_BIRTH_DATES.format(l="birth_date_l", r="birth_date_r"), "one digit apart"),
            cll.CustomLevel(near, "one day or one year apart"),
            cll.CustomLevel("birth_year_l = birth_year_r", "same year"),
            cll.ElseLevel(),
        ],
    )


def _exact(column: str, name: str, term_frequency_adjustments: bool = False) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[cll.NullLevel(column),
                           cll.ExactMatchLevel(column, term_frequency_adjustments=term_frequency_adjustments),
                           cll.ElseLevel()],
    )


def _zip() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="zip",
        comparison_levels=[cll.NullLevel("zip5"), cll.ExactMatchLevel("zip5"), cll.ExactMatchLevel("zip3"), cll.ElseLevel()],
    )


def settings(identifiers: tuple[str, ...]) -> Any:
    """The Splink settings of a roster → identity link (link only, no name in any output column)."""
    from splink import SettingsCreator, block_on

    blocking: list[Any] = [
        block_on("last_std", "birth_year"),
        block_on("first_canonical", "last_std"),
        block_on("birth_date"),
        block_on("email_std"),
        block_on("first_canonical", "zip5"),
        *(block_on(i) for i in identifiers),
    ]
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[_first_name(), _last_name(), _birth_date(), _exact("email_std", "email"), _zip(),
                     _exact("school_std", "school", term_frequency_adjustments=True)],
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train_and_predict(con: duckdb.DuckDBPyConnection, roster: str, identities: str, identifiers: tuple[str, ...],
                      options: ModelOptions, target: str) -> dict[str, Any]:
    """Train the model on the standardised tables and write the scored pairs above the candidate
    floor to ``target`` (``roster_id``, ``person_id``, ``match_weight``, ``match_probability``).
    Returns the model as JSON-ready settings."""
    from splink import DuckDBAPI, Linker, block_on
    from splink.internals.exceptions import EMTrainingException

    db = DuckDBAPI(connection=con)
    left = db.register(roster, dataset_display_name="roster")
    right = db.register(identities, dataset_display_name="identities")
    linker = Linker([left, right], settings(identifiers))
    quiet = logging.getLogger("splink")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # training notes (levels not observed) are not for the terminal
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("email_std", "first_canonical"), block_on("first_std", "last_std", "birth_date")],
            recall=options.deterministic_recall,
        )
        settings_obj = linker._settings_obj
        if not settings_obj._probability_two_random_records_match > 0:
            # no deterministic match at all (e.g. no participant ever worked here): one expected match
            # over all pairs, so that training goes on and the run links nobody it cannot support
            pairs = con.execute(f"SELECT (SELECT count(*) FROM {roster}) * (SELECT count(*) FROM {identities})"
                                ).fetchall()[0][0]
            settings_obj._probability_two_random_records_match = 1 / max(int(pairs), 2)
        linker.training.estimate_u_using_random_sampling(max_pairs=options.u_max_pairs, seed=options.seed)
        for rule in EM_RULES:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=options.em_max_pairs,
                    record_sample_proportion=options.em_probe_proportion)
            except EMTrainingException:  # no pair shares the key (e.g. no roster e-mail in HR): m stays as it was
                continue
        predictions = linker.inference.predict(threshold_match_weight=options.candidate_floor)
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT "
            "CASE WHEN source_dataset_l = 'roster' THEN unique_id_l ELSE unique_id_r END AS roster_id, "
            "CASE WHEN source_dataset_l = 'roster' THEN unique_id_r ELSE unique_id_l END AS person_id, "
            f"match_weight, match_probability FROM {predictions.physical_name}"
        )
        model: dict[str, Any] = linker.misc.save_model_to_json()
        predictions.drop_table_from_database_and_remove_from_cache()
    finally:
        quiet.setLevel(level)
    return model
