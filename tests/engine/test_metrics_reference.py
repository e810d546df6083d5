"""Every installed SQL engine against the pure-Python reference evaluator on random small datasets.

Every metric of the standard pack, plus crossings, race schemes (alone or in combination too), derived and year-of-date grouping
columns, is computed both ways from the same rows: the results must be identical (same counts,
hence the same statistics)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.core.metrics.pack import standard_pack
from ristra.core.metrics.specs import MetricSpec
from ristra.engine import installed_engines
from support.metrics import EXTRA, close, default_categories, engine_results, reference_results, school


def _specs(rows: dict[str, list[dict[str, Any]]]) -> list[MetricSpec]:
    return [*standard_pack(default_categories(), rows), *EXTRA]


@pytest.mark.parametrize("engine", installed_engines(), ids=lambda engine: f"engine={engine}")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=school(), place_keys=st.booleans())
def test_engine_equals_reference(engine: str, rows: dict[str, list[dict[str, Any]]], place_keys: bool) -> None:
    """Every installed backend (:func:`ristra.engine.installed_engines`); ``place_keys``: the
    place lookups read the keys an import stores, or the rows' own."""
    specs = _specs(rows)
    with tempfile.TemporaryDirectory() as tmp:
        sql = engine_results(Path(tmp), specs, rows, place_keys=place_keys, engine=engine)
    python = reference_results(specs, rows)
    for spec, a, b in zip(specs, sql, python, strict=True):
        assert close(a.to_dict(), b.to_dict()), spec
