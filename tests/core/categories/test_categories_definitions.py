"""Category definitions, sets, the New Mexico defaults, crossing and coverage warnings."""

from __future__ import annotations

from typing import Any

import pytest

from ristra.core.categories import (
    CategoryDefinition,
    CategoryFileError,
    CategorySet,
    MembershipCounts,
    changes,
    cross,
    definitions_from_dict,
    evaluate,
    membership_warnings,
)
from ristra.stores.categories import default_definitions


def _item(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "women",
        "label": "Women",
        "description": "Recorded sex female.",
        "rationale": "Mission.",
        "datasets": ["applications"],
        "rule": "sex == 'female'",
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not None}


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CategoryFileError) as info:
        definitions_from_dict(data)
    return [str(p) for p in info.value.problems]


def test_valid_definition_roundtrip() -> None:
    (d,) = definitions_from_dict({"categories": [_item(benchmark_key="women")]})
    assert d.to_dict()["benchmark_key"] == "women"
    assert CategoryDefinition(**{**d.to_dict(), "datasets": tuple(d.datasets)}) == d
    assert d.sql("applications").params[-1] == "female"
    with pytest.raises(ValueError, match="does not apply"):
        d.sql("students")


def test_every_problem_is_collected_with_ids_and_positions() -> None:
    problems = _problems(
        {
            "categories": [
                _item(id="a", label=None),
                _item(id="b", rule="sex == 'female' and residence_cty == 'x'"),
                _item(id="c", datasets=["applicants"]),
                _item(id="a"),
                _item(id="Bad Id"),
                _item(id="d", colour="red"),
                "not a mapping",
            ]
        }
    )
    text = "\n".join(problems)
    assert "category a, field label: missing" in text
    assert "category b, field rule, position 20: in dataset applications: unknown column 'residence_cty'" in text
    assert "did you mean residence_city" in text
    assert "category c, field datasets: unknown dataset 'applicants'" in text
    assert "duplicate id" in text
    assert "category Bad Id, field id" in text
    assert "category d, field colour: unknown field" in text
    assert "category #7" in text


def test_rule_checked_against_every_dataset() -> None:
    problems = _problems({"categories": [_item(datasets=["applications", "students"], rule="in_state == 'yes'")]})
    assert len(problems) == 1
    assert "in dataset students" in problems[0]


def test_file_shape_errors() -> None:
    assert "list under 'categories'" in _problems({"cats": []})[0]
    assert "empty" in _problems({"categories": []})[0]


def test_category_set_versions_and_changes() -> None:
    defs = definitions_from_dict({"categories": [_item()]})
    v1 = CategorySet(1, defs, "ana", "2025-01-01T00:00:00+00:00", "initial")
    changed = definitions_from_dict({"categories": [_item(label="Women (recorded sex)"), _item(id="men", rule="sex == 'male'")]})
    v2 = v1.next_version(changed, "ben", "2025-02-01T00:00:00+00:00", "add men")
    assert v2.version == 2
    assert v2.ids == ("women", "men")
    assert changes(v1, v2) == ("added men", "changed women: label")
    assert CategorySet.from_dict(v2.to_dict()) == v2
    with pytest.raises(KeyError, match="there are: women, men"):
        v2.get("rural")
    with pytest.raises(ValueError):
        CategorySet(0, defs, "a", "t", "r")
    with pytest.raises(CategoryFileError, match="author"):
        CategorySet.from_dict({**v1.to_dict(), "author": ""})


def test_cross_has_nine_levels_over_shared_datasets() -> None:
    women, urm = definitions_from_dict(
        {
            "categories": [
                _item(datasets=["applications", "students"]),
                _item(id="urm", datasets=["students", "employees"], rule="hispanic == 'yes'"),
            ]
        }
    )
    crossed = cross(women, urm)
    assert crossed.datasets == ("students",)
    assert len(crossed.levels) == 9
    assert "unknown|yes" in crossed.levels
    assert crossed.membership({"sex": "female", "hispanic": "unknown"}, "students") == "yes|unknown"
    frag = crossed.membership_sql("students")
    assert frag.sql.count("?") == len(frag.params)
    assert crossed.to_dict()["id"] == "women__x__urm"
    other = definitions_from_dict({"categories": [_item(id="x", datasets=["participants"])]})[0]
    with pytest.raises(ValueError, match="share no dataset"):
        cross(women, other)


@pytest.mark.parametrize(
    ("counts", "codes"),
    [
        (MembershipCounts(0, 0, 0), ["no_rows"]),
        (MembershipCounts(5, 5, 0), []),
        (MembershipCounts(10, 0, 0), ["always_true"]),
        (MembershipCounts(0, 10, 0), ["matches_nobody", "always_false"]),
        (MembershipCounts(0, 4, 6), ["matches_nobody", "mostly_unknown"]),
        (MembershipCounts(0, 0, 6), ["all_unknown"]),
        (MembershipCounts(3, 1, 6), ["mostly_unknown"]),
    ],
)
def test_membership_warnings(counts: MembershipCounts, codes: list[str]) -> None:
    warnings = membership_warnings("women", "applications", counts)
    assert [w.code for w in warnings] == codes
    assert all("women" in w.message for w in warnings)
    assert all(w.to_dict()["dataset"] == "applications" for w in warnings)


# --------------------------------------------------------------------------- New Mexico defaults


@pytest.fixture(scope="module")
def nm() -> dict[str, CategoryDefinition]:
    return {d.id: d for d in definitions_from_dict(default_definitions())}


def test_defaults_are_complete(nm: dict[str, CategoryDefinition]) -> None:
    assert set(nm) == {
        "women", "urm_nm", "rural_school", "rural_ruca", "frontier", "econ_disadvantaged", "first_generation", "in_state",
    }
    assert all(len(d.rationale) > 40 for d in nm.values())
    assert nm["women"].benchmark_key == "women"
    assert nm["in_state"].benchmark_key is None
    assert "participants" in nm["urm_nm"].datasets
    assert "participants" not in nm["rural_school"].datasets
    for d in nm.values():
        for ds in d.datasets:
            d.sql(ds)


def _rural(nm: dict[str, CategoryDefinition], **row: Any) -> bool | None:
    return evaluate(nm["rural_school"].checked("applications"), row)


def test_rural_school_rule(nm: dict[str, CategoryDefinition]) -> None:
    assert _rural(nm, residence_county_resolved="35001") is False
    assert _rural(nm, residence_county_resolved="35005") is True  # Chaves
    assert _rural(nm, residence_county_resolved="48141") is False  # El Paso, Texas: not rural New Mexico
    assert _rural(nm, residence_county_resolved="35043", residence_city="Rio Rancho") is False
    assert _rural(nm, residence_county_resolved="35043", residence_city="RIO RANCHO ") is False
    assert _rural(nm, residence_county_resolved="35043", residence_zip="87048") is False  # Corrales
    assert _rural(nm, residence_county_resolved="35043", residence_city="Cuba") is True
    assert _rural(nm, residence_county_resolved="35043", residence_city="Cuba", residence_zip="87124") is False
    assert _rural(nm, residence_county_resolved="35043", residence_zip="87001") is True  # Algodones
    assert _rural(nm, residence_county_resolved="35043") is None  # Sandoval, place unknown
    assert _rural(nm) is None
    # high school outside the urban area makes an urban resident rural; a missing one adds nothing
    assert _rural(nm, residence_county_resolved="35001", high_school_county_resolved="35031") is True
    assert _rural(nm, residence_county_resolved="35001", high_school_county_resolved="35001") is False
    assert _rural(nm, residence_county_resolved="35001", high_school_county_resolved="35043") is None


def test_other_defaults(nm: dict[str, CategoryDefinition]) -> None:
    def ev(cid: str, **row: Any) -> bool | None:
        return evaluate(nm[cid].checked(nm[cid].datasets[0]), row)

    assert ev("urm_nm", hispanic="no", race=["black", "white"]) is True
    assert ev("urm_nm", hispanic="no", race=["white"]) is False
    assert ev("urm_nm", hispanic="unknown", race=["white"]) is None
    assert ev("rural_ruca", residence_ruca=4) is True
    assert ev("rural_ruca", residence_ruca=2, high_school_ruca=None) is False
    assert ev("rural_ruca", residence_ruca=2, high_school_ruca=10) is True
    assert ev("frontier", residence_frontier=False) is False
    assert ev("econ_disadvantaged", pell_recipient="no", fee_assistance="no", ses_indicator="EO-1",
              self_disadvantaged="no") is True
    assert ev("econ_disadvantaged", pell_recipient="no", fee_assistance="no", ses_indicator="EO-4",
              self_disadvantaged="no") is False
    assert ev("econ_disadvantaged", pell_recipient="no", fee_assistance="unknown", ses_indicator="EO-4",
              self_disadvantaged="no") is None
    assert ev("first_generation", first_generation="declined") is None
    assert ev("in_state", in_state="yes") is True
