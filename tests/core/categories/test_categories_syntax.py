"""The rule language: parsing, type checking against datasets, error positions, injection."""

from __future__ import annotations

import pytest

from ristra.core.categories import RuleError, check, compile_rule, parse
from ristra.core.categories.syntax import And, Compare, InList, KnownTest, Not, Or, SetTest, leaves

EXAMPLES = [
    "hispanic == 'yes' or race has_any ['american_indian_alaska_native', 'black']",
    "not (residence_county_fips == '35001' or residence_city in ['Rio Rancho', 'Corrales'])",
    "residence_ruca >= 4",
    "sex == 'female'",
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_brief_examples_parse_and_check(text: str) -> None:
    rule = check(text, "applications")
    assert rule.text == text
    assert leaves(rule.expr)


def test_tree_shape_and_precedence() -> None:
    expr = parse("a == 1 or b == 2 and not c is unknown")
    assert isinstance(expr, Or)
    assert isinstance(expr.operands[0], Compare)
    right = expr.operands[1]
    assert isinstance(right, And)
    assert isinstance(right.operands[1], Not)
    assert isinstance(right.operands[1].operand, KnownTest)


def test_every_form() -> None:
    expr = parse(
        "x in [1, 2] and y not in ['a'] and r has_all ['b'] and r has_only ['c'] and z is known "
        "and w != true and v <= -1.5 and (q > 0)"
    )
    kinds = [type(leaf) for leaf in leaves(expr)]
    assert kinds == [InList, InList, SetTest, SetTest, KnownTest, Compare, Compare, Compare]
    values = [leaf.value.value for leaf in leaves(expr) if isinstance(leaf, Compare)]
    assert values == [True, -1.5, 0]


def test_quote_escape_and_keywords_case_insensitive() -> None:
    expr = parse("residence_city == 'O''Brien' AND sex == 'male'")
    assert isinstance(expr, And)
    first = expr.operands[0]
    assert isinstance(first, Compare)
    assert first.value.value == "O'Brien"


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("sex = 'female'", 4, "write =="),
        ("sex == female", 7, "single quotes"),
        ("sex == 'female", 7, "unterminated"),
        ("(sex == 'female'", 16, "')'"),
        ("sex == 'female' sex", 16, "expected 'and'"),
        ("sex in []", 8, "at least one value"),
        ("sex in ['a' 'b']", 12, "',' or ']'"),
        ("sex is maybe", 7, "'unknown' or 'known'"),
        ("sex", 3, "comparison after column"),
        ("and == 1", 0, "keyword"),
        ("sex not 'x'", 8, "expected 'in'"),
        ("x == 1234567890123456", 5, "15 digits"),
    ],
)
def test_syntax_errors_carry_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        parse(text)
    assert info.value.position == position
    assert fragment in str(info.value)


def test_nesting_and_length_limits() -> None:
    with pytest.raises(RuleError, match="nests deeper"):
        parse("(" * 100 + "a == 1" + ")" * 100)
    with pytest.raises(RuleError, match="nests deeper"):
        parse("not " * 100 + "a == 1")
    with pytest.raises(RuleError, match="longer than"):
        parse("a == 1 or " * 3000 + "a == 1")


def test_unknown_column_names_dataset_and_suggests() -> None:
    text = "sex == 'female' and residence_contry_fips == '35001'"
    with pytest.raises(RuleError) as info:
        check(text, "applications")
    err = info.value
    assert err.position == text.index("residence_contry_fips")
    assert err.column == "residence_contry_fips"
    assert "residence_county_fips" in err.suggestions
    assert "did you mean" in str(err)
    assert "applications" in str(err)
    assert "^" in str(err)
    assert err.to_dict()["position"] == err.position


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sex == 'femme'", "allowed values: female, male, another"),
        ("sex == 'unknown'", "is unknown"),
        ("race == 'white'", "has_any"),
        ("race in ['white']", "has_any"),
        ("sex has_any ['female']", "set-valued"),
        ("sex < 'female'", "numbers, years and dates"),
        ("residence_city > 'a'", "numbers, years and dates"),
        ("cycle == '2020'", "number"),
        ("cycle == 2020.5", "whole numbers"),
        ("completed == 'true'", "true or false"),
        ("application_date < '2020-13-01'", "not a date"),
        ("application_date < 2020", "'string'"),
        ("residence_county_fips == '3500'", "five-digit"),
        ("residence_zip in ['8710a']", "five-digit"),
        ("residence_state == 'XX'", "state code"),
        ("residence_city == '  '", "is unknown"),
        ("race has_any ['whitee']", "not a value of race"),
        ("race has_any ['declined']", "is unknown"),
        ("sex == 1", "codes in quotes"),
    ],
)
def test_type_errors(text: str, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        check(text, "applications")
    assert fragment in str(info.value)
    assert info.value.position is not None


def test_values_are_normalised() -> None:
    rule = check("ses_indicator in ['eo-1'] and residence_state == 'nm' and residence_city == ' Rio Rancho '", "applications")
    sql = compile_rule(rule)
    assert "EO-1" in sql.params
    assert "NM" in sql.params
    assert "rio rancho" in sql.params


def test_columns_depend_on_dataset() -> None:
    check("in_state == 'yes'", "applications")
    with pytest.raises(RuleError, match="unknown column 'in_state' in dataset students"):
        check("in_state == 'yes'", "students")
    check("residence_ruca >= 4", "participants")  # derived from the participant's home ZIP
    with pytest.raises(RuleError, match="high_school_ruca"):
        check("high_school_ruca >= 4", "participants")
    with pytest.raises(RuleError):
        check("residence_frontier == true", "programs")


@pytest.mark.parametrize(
    "text",
    [
        "sex == 'female'; DROP TABLE t",
        "sex == 'female' -- comment",
        "\"sex\" == 'female'",
        "sex\" == 'female'",
        "residence city == 'x'",
        "`sex` == 'female'",
        "sex == 'female' /* x */",
        "sex == 'female' or 1 == 1",
        "race has_any ['white'] or race[1] == 'x'",
        "lower(sex) == 'female'",
    ],
)
def test_injection_attempts_in_syntax_are_rejected(text: str) -> None:
    with pytest.raises(RuleError):
        check(text, "applications")


@pytest.mark.parametrize(
    "value", ["x'; DROP TABLE t; --", "Robert'); DROP TABLE students;--", "a\" OR \"1\"=\"1", "?", "$1", "%s"]
)
def test_hostile_values_are_parameters_never_sql(value: str) -> None:
    escaped = value.replace("'", "''")
    fragment = compile_rule(f"residence_city == '{escaped}'", "applications")
    assert value.lower() in fragment.params
    assert "DROP" not in fragment.sql
    assert '"1"' not in fragment.sql
    assert "$1" not in fragment.sql
    assert fragment.sql.count("?") == len(fragment.params)
