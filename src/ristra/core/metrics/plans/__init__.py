"""Plans: a metric specification turned into the counts it needs and the rows it reports.

:func:`plan_for` picks the plan of a specification's metric. See :mod:`.base` for the protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ristra.core.metrics.plans.base import Answers, Ask, Context, CountsByKey, Plan
from ristra.core.metrics.plans.funnel import FunnelPlan
from ristra.core.metrics.plans.graduation import GraduationPlan
from ristra.core.metrics.plans.path import PathPlan
from ristra.core.metrics.plans.representation import RepresentationPlan, RepresentationRatioPlan, TrendPlan
from ristra.core.metrics.plans.selection import SelectionRatioPlan
from ristra.core.metrics.plans.survival import PromotionPlan, RetentionPlan
from ristra.core.metrics.specs import (
    FunnelSpec,
    GraduationSpec,
    MetricSpec,
    PathSpec,
    PromotionSpec,
    RepresentationRatioSpec,
    RepresentationSpec,
    RetentionSpec,
    SelectionRatioSpec,
    TrendSpec,
)

__all__ = ["Answers", "Ask", "Context", "Plan", "CountsByKey", "plan_for"]

#: The plan class of each specification class.
_PLANS: dict[type[MetricSpec], Callable[[Any, Context], Plan]] = {
    RepresentationSpec: RepresentationPlan,
    RepresentationRatioSpec: RepresentationRatioPlan,
    TrendSpec: TrendPlan,
    PathSpec: PathPlan,
    FunnelSpec: FunnelPlan,
    SelectionRatioSpec: SelectionRatioPlan,
    GraduationSpec: GraduationPlan,
    RetentionSpec: RetentionPlan,
    PromotionSpec: PromotionPlan,
}


def plan_for(spec: MetricSpec, context: Context) -> Plan:
    """The plan of ``spec`` in ``context``; raises a :class:`~ristra.core.metrics.errors.MetricError`
    for an unknown category, a category that does not apply, or a dataset with no data."""
    try:
        make = _PLANS[type(spec)]
    except KeyError:
        raise TypeError(f"no plan for {type(spec).__name__}") from None
    return make(spec, context)
