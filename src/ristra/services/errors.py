"""The refusals a front end (web, CLI, API) handles when it calls a service. Each carries a
message meant for the person who asked (never a sensitive value); front ends catch these and
nothing deeper, so the layers below can change without touching them."""

from __future__ import annotations

from ristra.core.versions import StaleVersionError
from ristra.ingest.refusals import UnreadableFile
from ristra.reports.templates import TemplateError
from ristra.stores.link_runs import LinkRunError
from ristra.stores.plans import StalePlanError, UnknownPlanError
from ristra.stores.snapshots.errors import ImportInProgress, InvalidProvenance, SnapshotError

__all__ = [
    "ImportInProgress", "InvalidProvenance", "LinkRunError", "SnapshotError", "StalePlanError", "StaleVersionError", "TemplateError",
    "UnknownPlanError", "UnreadableFile",
]
