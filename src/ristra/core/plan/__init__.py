"""The strategic plan, pure: the document model, its parsing with every problem reported, the
measures' binding to the engine's metric specifications, status (Healthy People 2030 style),
projection and "what it would take", roll-ups and alignment to parent plans.

* :mod:`.model` — plan → goals → objectives → actions and measures (frozen values).
* :mod:`.parsing` — :func:`plan_from_dict` with :class:`PlanFileError` (line, item, field);
  :mod:`.measures` parses the measures, :mod:`.problems` collects the problems.
* :mod:`.bindings` — measure kinds bound to metric specifications; series of :class:`Point`.
* :mod:`.status`, :mod:`.projection` — statistics; :mod:`.rollup` — objectives and goals.
* :mod:`.alignment` — parent plans and accreditation elements.

See ``docs/plan.md``.
"""

from ristra.core.plan.alignment import (
    ParentCatalogue,
    ParentItem,
    catalogue_from_dicts,
    unmeasured_parent_items,
)
from ristra.core.plan.bindings import KINDS, MEASURE_KINDS, MetricBinding, Point
from ristra.core.plan.model import (
    Action,
    ActionUpdate,
    Baseline,
    Evidence,
    Goal,
    Measure,
    Objective,
    Plan,
    Target,
)
from ristra.core.plan.parsing import plan_from_dict
from ristra.core.plan.problems import PlanFileError, PlanProblem
from ristra.core.plan.projection import (
    MIN_POINTS,
    Need,
    Projection,
    project,
    standard_error,
    what_it_would_take,
)
from ristra.core.plan.rollup import Rollup, plan_rollups, rollup
from ristra.core.plan.status import (
    STATUSES,
    Change,
    MeasureStatus,
    change_from_baseline,
    measure_status,
    percent_of_targeted_change,
)

__all__ = [
    "KINDS",
    "MEASURE_KINDS",
    "MIN_POINTS",
    "STATUSES",
    "Action",
    "ActionUpdate",
    "Baseline",
    "Change",
    "Evidence",
    "Goal",
    "Measure",
    "MeasureStatus",
    "MetricBinding",
    "Need",
    "Objective",
    "ParentCatalogue",
    "ParentItem",
    "Plan",
    "PlanFileError",
    "PlanProblem",
    "Point",
    "Projection",
    "Rollup",
    "Target",
    "catalogue_from_dicts",
    "change_from_baseline",
    "measure_status",
    "percent_of_targeted_change",
    "plan_from_dict",
    "plan_rollups",
    "project",
    "rollup",
    "standard_error",
    "unmeasured_parent_items",
    "what_it_would_take",
]
