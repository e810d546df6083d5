"""Plans: a metric specification turned into the counts it needs and the rows it reports.

:func:`plan_for` picks the plan of a specification's metric. See :mod:`.base` for the protocol.
"""

from __future__ import annotations

from ristra.core.metrics.plans.base import Answers, Ask, Context, Plan, Table
from ristra.core.metrics.plans.funnel import FunnelPlan, SelectionRatioPlan
from ristra.core.metrics.plans.graduation import GraduationPlan
from ristra.core.metrics.plans.path import PathPlan
from ristra.core.metrics.plans.representation import RepresentationPlan, RepresentationRatioPlan, TrendPlan
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

__all__ = ["Answers", "Ask", "Context", "Plan", "Table", "plan_for"]


def plan_for(spec: MetricSpec, context: Context) -> Plan:
    """The plan of ``spec`` in ``context``; raises a :class:`~ristra.core.metrics.errors.MetricError`
    for an unknown category, a category that does not apply, or a dataset with no data."""
    if isinstance(spec, RepresentationSpec):
        return RepresentationPlan(spec, context)
    if isinstance(spec, RepresentationRatioSpec):
        return RepresentationRatioPlan(spec, context)
    if isinstance(spec, TrendSpec):
        return TrendPlan(spec, context)
    if isinstance(spec, PathSpec):
        return PathPlan(spec, context)
    if isinstance(spec, FunnelSpec):
        return FunnelPlan(spec, context)
    if isinstance(spec, SelectionRatioSpec):
        return SelectionRatioPlan(spec, context)
    if isinstance(spec, GraduationSpec):
        return GraduationPlan(spec, context)
    if isinstance(spec, RetentionSpec):
        return RetentionPlan(spec, context)
    if isinstance(spec, PromotionSpec):
        return PromotionPlan(spec, context)
    raise TypeError(f"no plan for {type(spec).__name__}")
