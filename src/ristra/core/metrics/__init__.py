"""Outcome metrics, pure: specifications, their compilation to parameterised SQL, the plans that
turn counts into rows with the statistics of :mod:`ristra.core.stats`, and the result values.

* :mod:`.specs` — what to compute (:func:`make_spec`), one frozen value per metric.
* :mod:`.groupings` — categories, crossings and race schemes as levels.
* :mod:`.columns` — the columns a metric may group by.
* :mod:`.sql` — rules and counts compiled to one query per dataset (family lookups, GROUPING SETS).
* :mod:`.plans` — each metric's counts and rows; :mod:`.reference` answers plans in pure Python.
* :mod:`.results` — the result values; :mod:`.pack` — the standard pack.

See ``docs/metrics.md``; the statistical methods are in ``docs/methods.md``.
"""

from ristra.core.metrics.errors import (
    CategoryNotApplicable,
    InvalidSpecification,
    MetricError,
    NoData,
    UnknownCategory,
    UnknownColumn,
    UnknownDatasetForMetric,
    UnknownMetric,
)
from ristra.core.metrics.pack import standard_pack
from ristra.core.metrics.results import MetricResult, Row, SnapshotRef
from ristra.core.metrics.specs import METRICS, MetricSpec, make_spec

__all__ = [
    "METRICS",
    "CategoryNotApplicable",
    "InvalidSpecification",
    "MetricError",
    "MetricResult",
    "MetricSpec",
    "NoData",
    "Row",
    "SnapshotRef",
    "UnknownCategory",
    "UnknownColumn",
    "UnknownDatasetForMetric",
    "UnknownMetric",
    "make_spec",
    "standard_pack",
]
