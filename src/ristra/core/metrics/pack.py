"""The standard metric pack: every metric, every category, every year and every dataset with data.

:func:`standard_pack` lists the specifications; the engine answers them together (one query per
dataset and phase), which is what the speed target of issue 3 is measured on.
"""

from __future__ import annotations

from collections.abc import Collection

from ristra.core.categories import CategorySet
from ristra.core.metrics.columns import DEFAULT_YEAR
from ristra.core.metrics.specs import (
    PERSON_DATASETS,
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


def standard_pack(categories: CategorySet, datasets: Collection[str]) -> list[MetricSpec]:
    """Specifications of the standard pack for the datasets that have data."""
    specs: list[MetricSpec] = []
    for d in categories.definitions:
        c = d.id
        for ds in PERSON_DATASETS:
            if ds in datasets and d.applies_to(ds):
                specs.append(RepresentationSpec(c, ds, (DEFAULT_YEAR[ds],)))
                specs.append(TrendSpec(c, ds))
                specs.append(RepresentationRatioSpec(c, ds, (DEFAULT_YEAR[ds],)))
        if "applications" in datasets and d.applies_to("applications"):
            for stage in ("interviewed", "offered", "matriculated"):
                specs.append(RepresentationRatioSpec(c, "applications", ("cycle",), stage))
            specs.append(FunnelSpec(c))
            specs.append(SelectionRatioSpec(c))
        if datasets and {"applications", "students", "trainees", "employees"} & set(datasets):
            specs.append(PathSpec(c))
        if "students" in datasets and d.applies_to("students"):
            specs.append(GraduationSpec(c, "students"))
        if "trainees" in datasets and d.applies_to("trainees"):
            specs.append(GraduationSpec(c, "trainees"))
        if "employees" in datasets and d.applies_to("employees"):
            for population in ("faculty", "senior_administrative"):
                specs.append(RetentionSpec(c, population))
            if "employee_events" in datasets:
                specs.append(PromotionSpec(c))
    return specs
