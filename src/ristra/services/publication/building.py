"""Making one publication: compute, write the relations, protect and audit together, record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ristra.core.disclosure import (
    CellRef,
    DisclosureError,
    Policy,
    ReleasedTable,
)
from ristra.core.metrics.plans import Context
from ristra.core.publication.relations import PlacedCell, Relations, relations_for
from ristra.core.tables import TableError
from ristra.reports.binding import undeclared_window
from ristra.reports.document import ReportMetadata, assemble
from ristra.reports.joint_release import release_jointly
from ristra.reports.sections import SectionTable
from ristra.reports.templates import ReportTemplate, load_template, shipped_template_ids
from ristra.services.metrics import MetricsService
from ristra.services.publication.contents import (
    compute_sections,
    dashboard_template,
    program_outcomes,
    programs_in,
)
from ristra.services.publication.history import History, announce, carried, record_again, record_served
from ristra.services.publication.scorecards import scorecards
from ristra.services.publication.values import (
    DASHBOARD,
    AuditLog,
    DashboardIndex,
    InformationLoss,
    Progress,
    Publication,
    PublicationError,
)
from ristra.services.workspace import Workspace

#: publications by everything they are made from (policy, snapshots, category version, templates,
#: the audience's last publication): the same inputs give the same publication, so a copy of a
#: data directory is not protected twice
_BY_INPUTS: dict[tuple[object, ...], Publication] = {}
#: the protected tables by what they are made from — as ``_BY_INPUTS`` but with a plan
#: scorecard's version left out: a dated update (a note, a link, a file) makes a new plan version
#: and so a new scorecard document, but not new tables, and is not protected again
_RELEASES: dict[tuple[object, ...], tuple[dict[str, Any], list[SectionTable], Relations, Any]] = {}
_LOCK = threading.Lock()


def merges_unknown(policy: Policy) -> bool:
    """Whether the publication counts unknown category membership with "not in category": for
    every audience, by rule (never by the counts; docs/disclosure.md §10). A small "unknown"
    group is most of the primary cells of the default school, and protecting it hides the large
    "not in category" group beside it; merged, both audiences' publications are protected in
    seconds and lose far less. (Unknown membership stays visible to analysts in the import
    reports and the data overview, which are not publications.)"""
    return True


def build(workspace: Workspace, policy: Policy, *, templates: Sequence[str | Path] | None = None,
          progress: Progress | None = None, audit_log: AuditLog | None = None, record: bool = True) -> Publication:
    """Make, protect, audit and record the publication of ``policy``'s audience (see the module
    docstring). ``templates`` replaces the shipped report templates (ids or files)."""
    started = time.perf_counter()

    def step(stage: str, done: int = 0, total: int = 0) -> None:
        if progress is not None:
            progress(stage, done, total)

    service = MetricsService(workspace)
    history = History(workspace, policy)
    snapshots: dict[str, str] = {}
    version = 0
    try:
        files = {k: f for k, f in service.current_files().items() if f.ref.row_count > 0}
        if not files:
            raise PublicationError("no data has been imported yet, so there is nothing to publish; import files with "
                                   "`ristra import DATASET FILE` (or `ristra demo` for the synthetic school)")
        snapshots = {k: f.ref.snapshot_id for k, f in sorted(files.items())}
        categories = service.categories()
        version = categories.version
        # a retention section whose window the import did not declare is a note saying so (never a guess)
        context = Context(categories, service.benchmarks, {k: f.ref for k, f in files.items()},
                          merge_unknown=merges_unknown(policy), require_declared_window=True)
        step("computing")
        singles = []
        for cid in categories.ids:
            grouping = context.grouping(cid)
            if grouping.kind == "category":
                singles.append((cid, tuple(grouping.datasets)))
        programs = programs_in(workspace, service)
        reports = [load_template(t) for t in (shipped_template_ids() if templates is None else templates)]
        dash = dashboard_template(singles, programs)
        cards = scorecards(workspace, context) if templates is None else {}
        outcomes = program_outcomes(workspace)  # through the linkage in force (None: no link run yet)
        chosen = sorted({t.id: t for t in [*reports, dash, *(c.template for c in cards.values())]}.values(),
                        key=lambda t: t.id)
        last = history.latest()
        inputs = (policy, tuple(sorted(snapshots.items())), version, tuple(repr(t) for t in chosen),
                  None if last is None else last.get("fingerprint"), repr(outcomes))
        with _LOCK:
            same = _BY_INPUTS.get(inputs)
        if same is not None:  # the same inputs were published from another copy of this data
            if record and (last is None or last.get("fingerprint") != same.fingerprint):
                record_again(history, same)
            announce(audit_log, same)
            return same
        content = tuple(repr(dataclasses.replace(t, version=0)) if t.id in cards else repr(t) for t in chosen)
        release_inputs = (*inputs[:3], content, *inputs[4:])
        with _LOCK:
            reused = _RELEASES.get(release_inputs)
        if reused is None:
            reused = _protect(workspace, service, chosen, context, outcomes, history, policy, step)
            with _LOCK:
                _RELEASES[release_inputs] = reused
                while len(_RELEASES) > 8:
                    _RELEASES.pop(next(iter(_RELEASES)))
        sections, plans, relations, joint = reused
        issued = max((workspace.snapshots.current(d).imported_at for d in files  # type: ignore[union-attr]
                      if workspace.snapshots.current(d) is not None), default="1980-01-01T00:00:00Z")
        documents = {}
        for t in chosen:
            if t.id == DASHBOARD:
                continue
            meta = ReportMetadata(t.id, t.version, t.title, t.description, policy.audience, policy.threshold,
                                  version, tuple(sorted(context.snapshots.values(), key=lambda s: s.dataset)),
                                  joint.fingerprint, tuple(x.id for x in chosen if x.id != DASHBOARD), issued)
            documents[t.id] = assemble(t, sections[t.id], joint.tables, meta, joint.summary)
            if t.id in cards:  # the plan's statuses, from the released tables only
                documents[t.id] = cards[t.id].finish(documents[t.id], joint.tables)
        loss = _loss(plans, joint.tables)
        index = _index(dash, categories, programs, context)
        built_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        publication = Publication(
            audience=policy.audience, threshold=policy.threshold, policy=policy, snapshots=snapshots,
            category_version=version, tables=joint.tables, documents=documents,
            meanings={p.table.key: dict(p.meanings) for p in plans}, summary=joint.summary, loss=loss,
            relations=_relation_counts(relations), dashboard=index, fingerprint=joint.fingerprint,
            built_at=built_at, seconds=time.perf_counter() - started, scorecards=cards)
        if record:
            record_served(history, publication, plans, joint.summary)
        with _LOCK:
            _BY_INPUTS[inputs] = publication
            while len(_BY_INPUTS) > 8:
                _BY_INPUTS.pop(next(iter(_BY_INPUTS)))
        announce(audit_log, publication)
        step("done")
        return publication
    except PublicationError as error:
        if record:
            history.write({"state": "failed", "built_at": dt.datetime.now(dt.UTC).isoformat(),
                           "audience": policy.audience, "threshold": policy.threshold, "snapshots": snapshots,
                           "category_version": version, "error": error.detail})
        if audit_log is not None:
            audit_log({"event": "publication_failed", "audience": policy.audience, "threshold": policy.threshold,
                       "snapshots": snapshots, "category_version": version, "error": error.detail})
        raise
    finally:
        service.close()


def _protect(workspace: Workspace, service: MetricsService, chosen: Sequence[ReportTemplate], context: Context,
             outcomes: Any, history: History, policy: Policy, step: Any
             ) -> tuple[dict[str, Any], list[SectionTable], Relations, Any]:
    """The templates' tables computed and protected jointly, with their sections and relations."""
    sections = compute_sections(workspace, service, chosen, context, outcomes)
    plans = [t for ps in sections.values() for p in ps for t in p.tables]
    step("relations")
    relations = relations_for(PlacedCell(CellRef(p.table.key, r, c), m, p.table.counts[r][c])
                              for p in plans for (r, c), m in p.meanings.items())
    kept = carried(history, plans, policy)
    step("protecting")
    try:
        joint = release_jointly([p.table for p in plans], policy, relations.equations, relations.orders, kept,
                                progress=lambda d, n: step("protecting", d, n))
    except (DisclosureError, TableError) as error:
        # the reason names cells (which are sensitive): for the audit log only
        raise PublicationError("the publication could not be protected; the reason is in the audit log",
                               detail=f"the publication could not be protected: {error}") from None
    return sections, plans, relations, joint


def _relation_counts(relations: Relations) -> dict[str, int]:
    identities = sum(1 for equation in relations.equations if len(equation.parts) == 1)
    return {"identities": identities, "sums_and_equalities": len(relations.equations) - identities,
            "orders": len(relations.orders), "declared_not_holding": relations.not_holding}


def _loss(plans: Sequence[SectionTable], tables: Mapping[str, ReleasedTable]) -> InformationLoss:
    cells = suppressed = 0
    total = hidden = 0
    for plan in plans:
        released = tables[plan.table.key]
        for r, row in enumerate(plan.table.counts):
            for c, value in enumerate(row):
                cells += 1
                total += value
                if released.cells[r][c] is None:
                    suppressed += 1
                    hidden += value
    return InformationLoss(cells, suppressed, hidden / total if total else 0.0)


def _index(dash: ReportTemplate, categories: Any, programs: Sequence[str], context: Context) -> DashboardIndex:
    labels = tuple((cid, context.grouping(cid).label) for cid in categories.ids
                   if context.grouping(cid).kind == "category")
    sections = {s.id: s for s in dash.sections}
    applies = {key: tuple(sections[key].categories) if key in sections else ()
               for key in ("path", "funnel", "retention", "departments")}
    withheld: dict[str, str] = {key: why for key in ("path", "funnel", "retention") if key in sections
                and (why := undeclared_window(dash, sections[key], context))}
    return DashboardIndex(labels, tuple(programs), applies, withheld)


def forget() -> None:
    """Forget the publications remembered by their inputs (tests and benchmarks)."""
    with _LOCK:
        _BY_INPUTS.clear()
        _RELEASES.clear()
