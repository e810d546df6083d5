"""Validation reason codes: an enum whose string values are the stable codes of the output."""

from __future__ import annotations

import json

import pytest

from ristra.core.validation_issues import REASONS, Reason, ReasonCategory, ValidationIssue

#: the codes as they appear in ``--json``, the API and ``docs/user-guide.md``: they never change
STABLE_CODES = (
    "unreadable", "empty_file", "no_rows", "encoding", "no_header", "too_many_columns", "empty_sheet",
    "missing_column", "unknown_column", "duplicate_column", "blank_column_name", "ragged_row", "malformed_row",
    "missing_value", "unknown_code", "bad_integer", "bad_number", "bad_year", "bad_date", "future_date",
    "out_of_range", "bad_fips", "bad_zip", "bad_state", "too_long", "formula", "duplicate_key",
    "control_character",
)


def test_the_enum_holds_exactly_the_stable_codes() -> None:
    assert sorted(r.value for r in Reason) == sorted(STABLE_CODES)


@pytest.mark.parametrize("reason", list(Reason))
def test_every_code_has_a_category(reason: Reason) -> None:
    assert isinstance(reason.category, ReasonCategory)


@pytest.mark.parametrize("reason", list(Reason))
def test_every_code_has_a_meaning(reason: Reason) -> None:
    assert reason.meaning.strip()


def test_the_meanings_by_string_are_the_enum_meanings() -> None:
    assert REASONS == {r.value: r.meaning for r in Reason}


def test_every_category_is_used() -> None:
    assert {r.category for r in Reason} == set(ReasonCategory)


def test_an_issue_made_from_a_string_holds_the_enum_member() -> None:
    assert ValidationIssue(2, "sex", "unknown_code", "m").code is Reason.UNKNOWN_CODE


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown validation reason code"):
        ValidationIssue(2, "sex", "no_such_code", "m")


def test_an_issue_serialises_its_code_as_the_plain_string() -> None:
    text = json.dumps(ValidationIssue(2, "sex", Reason.UNKNOWN_CODE, "m").to_dict())
    assert json.loads(text)["code"] == "unknown_code"


def test_the_dict_of_an_issue_holds_a_plain_str() -> None:
    assert type(ValidationIssue(2, None, Reason.FORMULA, "m").to_dict()["code"]) is str


def test_the_sql_literal_of_a_code_is_its_string() -> None:
    assert f"'{Reason.BAD_DATE.value}'" == "'bad_date'"
