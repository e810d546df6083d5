"""Standardisation (hand-computed values), the nickname lists, bad input, and the identity datasets."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ristra.core.datasets import DATASETS, IDENTITY_DATASETS, dataset
from ristra.core.linkage import LinkageInputError, calibrate_threshold, check_linkage_columns, link_quality
from ristra.linkage import link
from ristra.linkage.standardise import standardise
from ristra.reference.given_names import canonical_given_name, standard_name

FIELDS = ("first_name", "last_name", "former_last_name", "birth_date", "email", "zip", "school", "aamc_id")


def _standardised(rows: list[tuple[object, ...]]) -> list[dict[str, object]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE r (id VARCHAR, first_name VARCHAR, last_name VARCHAR, former_last_name VARCHAR, "
                "birth_date VARCHAR, email VARCHAR, zip VARCHAR, school VARCHAR, aamc_id VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    standardise(con, "r", "s", "id", FIELDS)
    cursor = con.execute("SELECT * FROM s ORDER BY unique_id")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_hand_computed_values() -> None:
    a, b, c = _standardised([
        ("1", "José", "García-Martínez", None, "1999-03-04", "  Jose.G@Example.COM ", "87106-1234", "Univ. of New Mexico!", None),
        ("2", "Pepe", "de la Cruz", "Smith", "1999-13-01", None, "871", None, " 1234-5678 "),
        ("3", "Lupe", "O'Brien", None, None, None, None, None, None),
    ])
    assert (a["first_std"], a["first_canonical"], a["last_std"]) == ("jose", "jose", "garciamartinez")
    assert sorted(a["last_tokens"]) == ["garcia", "martinez"]
    assert (a["birth_date"], a["birth_year"], a["email_std"]) == ("1999-03-04", 1999, "jose.g@example.com")
    assert (a["zip5"], a["zip3"], a["school_std"]) == ("87106", "871", "univ of new mexico")
    assert (b["first_std"], b["first_canonical"]) == ("pepe", "jose")
    assert sorted(b["last_tokens"]) == ["cruz", "smith"]  # particles dropped, the earlier surname added
    assert b["birth_date"] is None
    assert b["zip5"] is None  # month 13 is no date; three digits are no ZIP
    assert b["aamc_id"] == "12345678"
    assert (c["first_canonical"], c["last_std"]) == ("guadalupe", "obrien")


@pytest.mark.parametrize(("name", "canonical"), [
    ("José", "jose"), ("Pepe", "jose"), ("Paco", "francisco"), ("Francisco", "francisco"),
    ("Lupe", "guadalupe"), ("Chucho", "jesus"), ("Katie", "katherine"), ("Zyx", "zyx"),
])
def test_canonical_given_names(name: str, canonical: str) -> None:
    assert canonical_given_name(name) == canonical


def test_standard_name() -> None:
    assert standard_name("  María-José O'Neill ") == "mariajoseoneill"


def _roster(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE roster AS {sql}")
    con.execute("CREATE OR REPLACE TABLE ids AS SELECT 'P1' AS person_id, 'Ana' AS first_name")


def test_a_roster_without_linkage_fields_is_refused() -> None:
    con = duckdb.connect()
    _roster(con, "SELECT 'R1' AS participant_id, 'PP01' AS program_id")
    with pytest.raises(LinkageInputError, match="none of the linkage fields"):
        link(con, "roster", "ids")


def test_a_field_of_the_wrong_kind_is_named_without_its_values() -> None:
    con = duckdb.connect()
    _roster(con, "SELECT 'R1' AS participant_id, 'Ana' AS first_name, 3.5 AS birth_date, true AS email")
    with pytest.raises(LinkageInputError) as caught:
        link(con, "roster", "ids")
    message = str(caught.value)
    assert "birth_date should be a date" in message
    assert "email should be text" in message
    assert "3.5" not in message
    assert "Ana" not in message


def test_missing_id_column_and_grouping_column() -> None:
    with pytest.raises(LinkageInputError, match="identifier column"):
        check_linkage_columns("the roster", {"first_name": "VARCHAR"}, "participant_id")
    con = duckdb.connect()
    _roster(con, "SELECT 'R1' AS participant_id, 'Ana' AS first_name")
    with pytest.raises(LinkageInputError, match="no column 'roster_id'"):
        link(con, "roster", "ids", person_key="roster_id")


def test_calibration_and_quality_by_hand() -> None:
    candidates = {"a": ("P1", 9.0), "b": ("P2", 5.0), "c": ("P9", 3.0), "d": ("P4", 1.0)}
    truth = {"a": "P1", "b": "P2", "c": None, "d": "P4"}
    calibration = calibrate_threshold(candidates, truth)
    assert calibration.threshold == 1.0  # all four: tp 3, fp 1 → F1 6/7 beats 5.0 (tp 2, fn 1: F1 0.8)
    quality = link_quality({"a": "P1", "b": "P3"}, {"a": "P1", "b": "P2", "c": None})
    assert (quality.true_positives, quality.false_positives, quality.false_negatives) == (1, 1, 1)
    assert quality.precision == 0.5
    assert quality.recall == 0.5
    with pytest.raises(LinkageInputError, match="no labelled rows"):
        calibrate_threshold(candidates, {})


def test_identity_datasets_are_restricted_and_importable() -> None:
    assert set(IDENTITY_DATASETS) == {"admissions_identities", "gme_identities", "hr_identities"}
    assert not set(IDENTITY_DATASETS) & set(DATASETS)
    for name in IDENTITY_DATASETS:
        ds = dataset(name)
        assert ds.restricted
        assert ds.key == ("person_id",)
        assert all(ds.column(c).sensitive for c in ("first_name", "last_name", "birth_date", "email"))


def test_synthetic_identities_validate(tmp_path: Path) -> None:
    from ristra.synth import generate
    from ristra.synth.identities import TRUTH
    from support.synth_checks import check_file

    paths = generate(tmp_path, applications_per_cycle=300, identities=True)
    for name in IDENTITY_DATASETS:
        assert check_file(paths[name], IDENTITY_DATASETS[name]) == []
    assert check_file(paths["identity_truth"], TRUTH) == []
