"""The test-side helpers of ``tests/support/metrics.py`` do what the metrics tests rely on."""

from __future__ import annotations

from support.metrics import close, with_derived


def test_derived_values_follow_the_declarations() -> None:
    row = with_derived("applications", {"residence_zip": "88001", "residence_county_fips": None,
                                        "high_school_county_fips": "35003"})
    assert row["residence_county_resolved"] == "35013"
    assert row["residence_ruca"] == 1
    assert row["high_school_county_resolved"] == "35003"
    assert row["high_school_frontier"] is True
    assert row["high_school_ruca"] is None


def test_close_compares_nested_values() -> None:
    assert close({"a": [1.0, float("nan")]}, {"a": [1.0 + 1e-12, float("nan")]})


def test_close_tells_different_values_apart() -> None:
    assert not close({"a": 1.0}, {"a": 1.1})
