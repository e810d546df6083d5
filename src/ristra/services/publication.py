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

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ristra.core.disclosure import (
    Carried,
    CellRef,
    DisclosureError,
    Policy,
    ReleasedTable,
    SuppressionSummary,
)
from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.plans import Ask, Context, plan_for
from ristra.core.metrics.plans.path import PATH_DATASETS
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.specs import MetricSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.publication.measures import Meaning
from ristra.core.publication.relations import PlacedCell, Relations, relations_for
from ristra.core.tables import TableError
from ristra.reports.binding import BoundTemplate, bind
from ristra.reports.document import ReportDocument, ReportMetadata, assemble
from ristra.reports.files import write_atomically
from ristra.reports.joint_release import release_jointly
from ristra.reports.planning import SectionPlan, TablePlan
from ristra.reports.templates import ReportTemplate, load_template, parse_template, shipped_template_ids
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace

DASHBOARD = "dashboard"
FUNNEL_STAGES = ("applied", "completed", "interviewed", "offered", "matriculated")
HORIZONS = tuple(range(1, 11))
Progress = Callable[[str, int, int], None]
AuditLog = Callable[[dict[str, Any]], None]


class PublicationError(ValueError):
    """A publication that cannot be made; the message says why, for anyone. ``detail`` (for the
    audit log and the publication record only) may name cells, which the message never does."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


@dataclass(frozen=True)
class InformationLoss:
    """What protection cost: count cells, cells suppressed, and the share of the sum of all
    counts that is hidden (``count_share``, rounded to a whole percent when printed)."""

    cells: int
    suppressed: int
    count_share: float

    @property
    def cell_share(self) -> float:
        return self.suppressed / self.cells if self.cells else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"cells": self.cells, "suppressed": self.suppressed, "cell_share": round(self.cell_share, 4),
                "count_share_percent": round(100 * self.count_share)}

    def describe(self) -> str:
        """For any audience: the cells suppressed (which every reader can count anyway). The share of
        the total count hidden is a linear fact about the hidden counts that the audit does not
        model, so it goes to the audit log and the publication record only (:meth:`to_dict`)."""
        return f"{self.suppressed:,} of {self.cells:,} counts suppressed ({100 * self.cell_share:.0f}%)"


@dataclass(frozen=True)
class DashboardIndex:
    """Which dashboard tables exist: categories (id, label), the programs of the funnel by
    program, and for each panel the categories it applies to."""

    categories: tuple[tuple[str, str], ...] = ()
    programs: tuple[str, ...] = ()
    applies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Publication:
    """One protected publication (see the module docstring). ``meanings`` says what every count
    cell of every table counts (for the relations and for the test-side intruder)."""

    audience: str
    threshold: int
    policy: Policy
    snapshots: Mapping[str, str]
    category_version: int
    tables: Mapping[str, ReleasedTable]
    documents: Mapping[str, ReportDocument]
    meanings: Mapping[str, Mapping[tuple[int, int], Meaning]]
    summary: SuppressionSummary
    loss: InformationLoss
    relations: Mapping[str, int]
    dashboard: DashboardIndex
    fingerprint: str
    built_at: str
    seconds: float

    def table(self, key: str) -> ReleasedTable | None:
        return self.tables.get(key)

    def to_dict(self) -> dict[str, Any]:
        """What was published (no unreleased number): every table, the loss and the provenance."""
        return {"audience": self.audience, "threshold": self.threshold, "snapshots": dict(self.snapshots),
                "category_version": self.category_version, "fingerprint": self.fingerprint,
                "built_at": self.built_at, "information_loss": self.loss.to_dict(),
                "relations": dict(self.relations), "tables": {k: t.to_dict() for k, t in sorted(self.tables.items())}}


def dashboard_template(categories: Sequence[tuple[str, tuple[str, ...]]], programs: Sequence[str]) -> ReportTemplate:
    """The dashboard's tables as a template of the report binders (so a count has one meaning
    everywhere): ``categories`` as (id, datasets it applies to)."""
    def applying(*datasets: str) -> list[str]:
        return [c for c, ds in categories if any(d in ds for d in datasets)]

    def funnel(section_id: str, title: str) -> dict[str, Any]:
        """Every stage by cycle, and over all cycles, for every category."""
        columns = [{"id": s, "metric": f"applications.{s}", "label": s.capitalize()} for s in FUNNEL_STAGES]
        columns += [{"id": f"{s}_all", "metric": f"applications.{s}", "label": f"All cycles: {s}",
                     "per_year": False} for s in FUNNEL_STAGES]
        raw: dict[str, Any] = {"id": section_id, "kind": "table", "title": title, "categories": applying("applications"),
                               "years": {"column": "cycle"}, "columns": columns}
        return raw

    sections: list[dict[str, Any]] = []
    if applying(*PATH_DATASETS):
        sections.append({"id": "path", "kind": "path", "title": "The path", "categories": applying(*PATH_DATASETS)})
    if applying("applications"):
        sections.append(funnel("funnel", "Admissions funnel, all programs"))
        if programs:
            columns = [{"id": s, "metric": f"applications.{s}", "label": s.capitalize(), "by": "program"}
                       for s in FUNNEL_STAGES]
            sections.append({"id": "funnel_programs", "kind": "table", "title": "Admissions funnel by program",
                             "categories": applying("applications"), "columns": columns})
    if applying("employees"):
        sections.append({"id": "retention", "kind": "retention", "title": "Faculty retention",
                         "categories": applying("employees"), "population": "faculty", "horizons": list(HORIZONS)})
        sections.append({"id": "departments", "kind": "breakdown", "title": "Faculty and staff by department",
                         "categories": applying("employees"), "metric": "employees.current", "rows": {"by": "department", "total": "All departments"}})
    raw = {"id": DASHBOARD, "version": 1, "title": "Dashboard", "description": "The dashboard's tables.",
           "sections": sections or [{"id": "empty", "kind": "text", "title": "No data", "text": "No data."}]}
    return parse_template(raw, "the dashboard")


def compute_sections(workspace: Workspace, service: MetricsService, templates: Sequence[ReportTemplate],
                     context: Context) -> dict[str, tuple[SectionPlan, ...]]:
    """Every section's unreleased tables, by template id: one pass of the metrics engine over the
    snapshots of ``context``."""
    from ristra.engine import MetricsEngine

    bound: list[BoundTemplate] = [bind(t, context) for t in templates]
    specs = list(dict.fromkeys(s for b in bound for s in b.specs()))
    plans = {s: plan_for(s, context) for s in specs}
    files = {k: f for k, f in service.current_files().items() if k in context.snapshots}
    engine = MetricsEngine(files, memory_limit=workspace.settings.memory_limit)
    try:
        answers = engine.answer([*(a for b in bound for a in b.asks()), *(a for p in plans.values() for a in p.asks())])
        followups = [a for p in plans.values() for a in p.followups(answers)]
        if followups:
            engine.answer(followups, answers)
        results: dict[MetricSpec, MetricResult] = {s: p.finish(answers) for s, p in plans.items()}
    finally:
        engine.close()
    return {b.template.id: b.build(answers, results) for b in bound}


def _programs(workspace: Workspace, service: MetricsService) -> tuple[str, ...]:
    from ristra.engine import MetricsEngine

    files = {k: f for k, f in service.current_files().items() if k == "applications"}
    if not files:
        return ()
    ask = Ask(dataset_source("applications"), (grouping_column("applications", "program"),), ())
    engine = MetricsEngine(files, memory_limit=workspace.settings.memory_limit)
    try:
        answers = engine.answer([ask])
    finally:
        engine.close()
    return tuple(sorted(str(k[0]) for k in answers.table(ask) if k[0] is not None))


def cell_id(table: str, labels: tuple[str, ...], column: str) -> str:
    """A cell's name that survives a new publication (positions may shift, labels do not)."""
    return json.dumps([table, list(labels), column], ensure_ascii=False)


class History:
    """The record of every publication made to one audience (``publications/<audience>-k<k>/``):
    one JSON file per publication, written atomically when it is put in force."""

    def __init__(self, workspace: Workspace, policy: Policy) -> None:
        self.directory = workspace.root / "publications" / f"{policy.audience}-k{policy.threshold}"

    def records(self) -> list[dict[str, Any]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out

    def latest(self) -> dict[str, Any] | None:
        found = [r for r in self.records() if r.get("state") == "served"]
        return found[-1] if found else None

    def write(self, record: Mapping[str, Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = str(record["built_at"]).replace(":", "").replace("-", "")
        path = self.directory / f"{stamp}-{str(record.get('fingerprint', 'failed'))[:12]}.json"
        write_atomically(path, json.dumps(record, indent=1, sort_keys=True).encode())
        return path


def _carried(history: History, plans: Sequence[TablePlan], policy: Policy) -> Carried:
    """Cells the audience saw suppressed before stay suppressed; cells that were sensitive stay
    protected while their count is below twice the threshold (a small correction cannot then
    show them; see docs/disclosure.md §10)."""
    last = history.latest()
    if last is None:
        return Carried()
    hidden, sensitive = set(last.get("suppressed", ())), set(last.get("sensitive", ()))
    suppressed: set[CellRef] = set()
    small: set[CellRef] = set()
    for plan in plans:
        t = plan.table
        for r, labels in enumerate(t.row_labels):
            for c, column in enumerate(t.col_labels):
                name = cell_id(t.key, labels, column)
                if name in hidden:
                    suppressed.add(CellRef(t.key, r, c))
                if name in sensitive and 0 < t.counts[r][c] < 2 * policy.threshold:
                    small.add(CellRef(t.key, r, c))
    return Carried(frozenset(suppressed), frozenset(small))


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
        context = Context(categories, service.benchmarks, {k: f.ref for k, f in files.items()},
                          merge_unknown=merges_unknown(policy))
        step("computing")
        singles = []
        for cid in categories.ids:
            grouping = context.grouping(cid)
            if grouping.kind == "category":
                singles.append((cid, tuple(grouping.datasets)))
        programs = _programs(workspace, service)
        reports = [load_template(t) for t in (shipped_template_ids() if templates is None else templates)]
        dash = dashboard_template(singles, programs)
        chosen = sorted({t.id: t for t in [*reports, dash]}.values(), key=lambda t: t.id)
        last = history.latest()
        inputs = (policy, tuple(sorted(snapshots.items())), version, tuple(repr(t) for t in chosen),
                  None if last is None else last.get("fingerprint"))
        with _LOCK:
            same = _BY_INPUTS.get(inputs)
        if same is not None:  # the same inputs were published from another copy of this data
            if record and (last is None or last.get("fingerprint") != same.fingerprint):
                _record_again(history, same)
            _announce(audit_log, same)
            return same
        sections = compute_sections(workspace, service, chosen, context)
        plans = [t for ps in sections.values() for p in ps for t in p.tables]
        step("relations")
        relations = relations_for(PlacedCell(CellRef(p.table.key, r, c), m, p.table.counts[r][c])
                                  for p in plans for (r, c), m in p.meanings.items())
        carried = _carried(history, plans, policy)
        step("protecting")
        try:
            joint = release_jointly([p.table for p in plans], policy, relations.links, relations.orders, carried,
                                    progress=lambda d, n: step("protecting", d, n))
        except (DisclosureError, TableError) as error:
            # the reason names cells (which are sensitive): for the audit log only
            raise PublicationError("the publication could not be protected; the reason is in the audit log",
                                   detail=f"the publication could not be protected: {error}") from None
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
        loss = _loss(plans, joint.tables)
        index = _index(dash, categories, programs, context)
        built_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        publication = Publication(
            audience=policy.audience, threshold=policy.threshold, policy=policy, snapshots=snapshots,
            category_version=version, tables=joint.tables, documents=documents,
            meanings={p.table.key: dict(p.meanings) for p in plans}, summary=joint.summary, loss=loss,
            relations=_relation_counts(relations), dashboard=index, fingerprint=joint.fingerprint,
            built_at=built_at, seconds=time.perf_counter() - started)
        if record:
            _record(history, publication, plans, joint.summary)
        with _LOCK:
            _BY_INPUTS[inputs] = publication
            while len(_BY_INPUTS) > 8:
                _BY_INPUTS.pop(next(iter(_BY_INPUTS)))
        _announce(audit_log, publication)
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


def _relation_counts(relations: Relations) -> dict[str, int]:
    identities = sum(1 for link in relations.links if len(link.parts) == 1)
    return {"identities": identities, "sums_and_equalities": len(relations.links) - identities,
            "orders": len(relations.orders), "declared_not_holding": relations.not_holding}


def _loss(plans: Sequence[TablePlan], tables: Mapping[str, ReleasedTable]) -> InformationLoss:
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
    return DashboardIndex(labels, tuple(programs), applies)


def _announce(audit_log: AuditLog | None, publication: Publication) -> None:
    """Tell the audit log what was published (no suppressed value)."""
    if audit_log is not None:
        audit_log({"event": "publication", "audience": publication.audience, "threshold": publication.threshold,
                   "snapshots": dict(publication.snapshots), "category_version": publication.category_version,
                   "fingerprint": publication.fingerprint, "information_loss": publication.loss.to_dict(),
                   "suppression": publication.summary.audit_record()})


def _record_again(history: History, publication: Publication) -> None:
    """Record in another data directory's history a publication made from the same inputs."""
    record = _RECORDS.get(publication.fingerprint)
    if record is not None:
        history.write(record)


def _record(history: History, publication: Publication, plans: Sequence[TablePlan],
            summary: SuppressionSummary) -> None:
    suppressed, sensitive = [], []
    policy = publication.policy
    for plan in plans:
        t = plan.table
        released = publication.tables[t.key]
        for r, labels in enumerate(t.row_labels):
            for c, column in enumerate(t.col_labels):
                if released.cells[r][c] is None:
                    suppressed.append(cell_id(t.key, labels, column))
                    if policy.is_sensitive(t.counts[r][c]):
                        sensitive.append(cell_id(t.key, labels, column))
    record = {"state": "served", "audience": publication.audience, "threshold": publication.threshold,
              "snapshots": dict(publication.snapshots), "category_version": publication.category_version,
              "fingerprint": publication.fingerprint, "built_at": publication.built_at,
              "seconds": round(publication.seconds, 3), "tables": sorted(publication.tables),
              "information_loss": publication.loss.to_dict(), "relations": dict(publication.relations),
              "suppressed": sorted(suppressed), "sensitive": sorted(sensitive),
              "passed": summary.passed}
    _RECORDS[publication.fingerprint] = record
    history.write(record)


# --- serving: one publication per audience and snapshots, built in the background --------------

@dataclass(frozen=True)
class Status:
    """Where the publication of the snapshots in force stands for one audience: ``ready`` (then
    ``publication`` is set), ``preparing`` (with the stage and progress) or ``failed``."""

    state: str
    publication: Publication | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    error: str = ""
    #: the error that made the build fail (for a caller that re-raises it; never shown as is)
    cause: BaseException | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "stage": self.stage, "done": self.done, "total": self.total,
                "error": self.error or None}


_BUILT: dict[tuple[object, ...], Publication] = {}
#: publications by everything they are made from (policy, snapshots, category version, templates,
#: the audience's last publication): the same inputs give the same publication, so a copy of a
#: data directory is not protected twice
_BY_INPUTS: dict[tuple[object, ...], Publication] = {}
_RECORDS: dict[str, dict[str, Any]] = {}
_RUNNING: dict[tuple[object, ...], Status] = {}
_FAILED: dict[tuple[object, ...], tuple[str, BaseException]] = {}
_LOCK = threading.Lock()


def in_force(workspace: Workspace) -> tuple[tuple[tuple[str, str], ...], int]:
    """The snapshots in force and the category version: what a publication is made from. The
    snapshots are read again only when a dataset's current-snapshot pointer changes (it is
    replaced atomically on every publish or rollback)."""
    store = workspace.snapshots
    stamp = []
    for name in sorted(store.dataset_names()):
        try:
            info = store.layout.current_file(name).stat()
        except FileNotFoundError:  # a dataset directory without a current snapshot yet
            continue
        stamp.append((name, info.st_mtime_ns, info.st_ino, info.st_size))
    known = _POINTERS.get(store.root)
    if known is not None and known[0] == tuple(stamp):
        snapshots = known[1]
    else:
        found = []
        for name, *_ in stamp:
            manifest = store.current(name)
            if manifest is not None and manifest.row_count:
                found.append((name, manifest.snapshot_id))
        snapshots = tuple(sorted(found))
        _POINTERS[store.root] = (tuple(stamp), snapshots)
    return snapshots, category_version(workspace)


_POINTERS: dict[Path, tuple[tuple[tuple[str, int, int, int], ...], tuple[tuple[str, str], ...]]] = {}


_VERSIONS: dict[Path, tuple[tuple[int, int], int]] = {}


def category_version(workspace: Workspace) -> int:
    """The current category version. Reading a version parses and checks every rule, so the number
    is remembered per directory until the directory changes (a new version is a new file)."""
    from ristra.categories_store import CategoryStore

    store = CategoryStore(workspace.root)
    try:
        stamp = (store.directory.stat().st_mtime_ns, sum(1 for _ in store.directory.iterdir()))
    except FileNotFoundError:
        return store.current().version  # seeds version 1
    known = _VERSIONS.get(store.directory)
    if known is not None and known[0] == stamp:
        return known[1]
    version = store.current().version
    _VERSIONS[store.directory] = (stamp, version)
    return version


def _key(workspace: Workspace, policy: Policy, templates: tuple[str, ...],
         state: tuple[tuple[tuple[str, str], ...], int]) -> tuple[object, ...]:
    return (_resolved(workspace.root), policy, templates, state)


@functools.lru_cache(maxsize=64)
def _resolved(root: Path) -> str:
    """The data directory's real path (two workspaces of one directory share publications)."""
    return str(root.resolve())


def current(workspace: Workspace, policy: Policy, *, templates: Sequence[str | Path] | None = None,
            state: tuple[tuple[tuple[str, str], ...], int] | None = None,
            wait: bool | float = False, audit_log: AuditLog | None = None) -> Status:
    """The publication of the snapshots in force for ``policy`` (see the module docstring).
    ``templates`` replaces the shipped report templates (a publication of its own). With
    ``wait`` the call builds it if needed and returns when it is ready or failed — or, when
    ``wait`` is a number of seconds, at the latest then (still preparing)."""
    state = in_force(workspace) if state is None else state
    chosen = tuple(str(t) for t in templates) if templates is not None else ()
    key = _key(workspace, policy, chosen, state)
    with _LOCK:
        built = _BUILT.get(key)
        if built is not None:
            return Status("ready", built)
        if key in _FAILED:
            if wait is False:
                return Status("failed", error=_FAILED[key][0], cause=_FAILED[key][1])
            del _FAILED[key]  # a caller that waits tries again (the cause may have been fixed)
        running = _RUNNING.get(key)
        if running is None:
            _RUNNING[key] = Status("preparing", stage="starting")
            thread = threading.Thread(target=_build_in_background,
                                      args=(workspace, policy, templates, key, audit_log),
                                      name=f"publication-{policy.audience}", daemon=True)
            thread.start()
        else:
            thread = None
    if wait is not False:
        deadline = None if wait is True else time.monotonic() + float(wait)
        while deadline is None or time.monotonic() < deadline:
            with _LOCK:
                if key in _BUILT:
                    return Status("ready", _BUILT[key])
                if key in _FAILED:
                    return Status("failed", error=_FAILED[key][0], cause=_FAILED[key][1])
            time.sleep(0.02)
    with _LOCK:
        return _RUNNING.get(key) or (Status("ready", _BUILT[key]) if key in _BUILT else Status("preparing"))


def _build_in_background(workspace: Workspace, policy: Policy, templates: Sequence[str | Path] | None,
                         key: tuple[object, ...], audit_log: AuditLog | None) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        with _LOCK:
            _RUNNING[key] = Status("preparing", stage=stage, done=done, total=total)

    try:
        publication = build(workspace, policy, templates=templates, progress=progress, audit_log=audit_log)
    except Exception as error:  # recorded and shown; the previous publication is not mixed in
        message = str(error) if isinstance(error, PublicationError | ValueError) else \
            f"the publication could not be made ({type(error).__name__})"
        with _LOCK:
            _FAILED[key] = (message, error)
            _RUNNING.pop(key, None)
        return
    with _LOCK:
        for old in [k for k in _BUILT if k[:3] == key[:3]]:
            del _BUILT[old]
        _BUILT[key] = publication
        _FAILED.pop(key, None)
        _RUNNING.pop(key, None)


def clear_cache() -> None:
    """Forget built publications (tests and benchmarks)."""
    with _LOCK:
        _BUILT.clear()
        _FAILED.clear()
        _BY_INPUTS.clear()

