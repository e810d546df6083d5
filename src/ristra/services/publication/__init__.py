"""The publication: everything one audience can obtain from one set of current snapshots,
protected and audited as one linked system (DESIGN.md §6, docs/disclosure.md §10).

Contract
--------
* :func:`build` computes every table of every shipped report template and every table the
  dashboard slices (the path, the admissions funnel by cycle for all programs and by program
  over all cycles, faculty retention, faculty and staff by department — for every category that
  applies), in one pass of the metrics engine; writes the relations that hold by construction
  (:mod:`ristra.core.publication.relations`); releases everything together with
  :func:`~ristra.reports.joint_release.release_jointly`, keeping what the audience was served
  before (:class:`~ristra.core.disclosure.Carried`); and records the publication under
  ``<data dir>/publications/<audience>-k<threshold>/`` (what, to whom, from which snapshots,
  which cells were hidden). Returns a frozen :class:`Publication`.
* Reports (:mod:`ristra.services.reports`), the dashboard (:mod:`ristra.services.dashboard`)
  and the API are slices of a publication; nothing else reaches an audience.
* :func:`current` serves the web application: the publication of the snapshots in force if it
  is ready, else it starts building it in the background and says so (a :class:`Status`);
  a page never mixes a previous publication with new snapshots.
* Errors: :class:`PublicationError` when there is nothing to publish or protection fails (the
  failure is recorded; nothing is served from the failed run).
"""

from ristra.services.publication.building import build, merges_unknown
from ristra.services.publication.contents import compute_sections, dashboard_template
from ristra.services.publication.history import History
from ristra.services.publication.serving import category_version, clear_cache, current, in_force
from ristra.services.publication.values import (
    DASHBOARD,
    FUNNEL_STAGES,
    HORIZONS,
    AuditLog,
    DashboardIndex,
    InformationLoss,
    Progress,
    Publication,
    PublicationError,
    Status,
    cell_id,
)

__all__ = [
    "DASHBOARD", "FUNNEL_STAGES", "HORIZONS", "AuditLog", "DashboardIndex", "History", "InformationLoss",
    "Progress", "Publication", "PublicationError", "Status", "build", "category_version", "cell_id",
    "clear_cache", "compute_sections", "current", "dashboard_template", "in_force", "merges_unknown",
]
