"""Report use cases: list the templates, make a report's release, render and write it.

Stable API (the web application and the CLI use it)
----------------------------------------------------
* :func:`list_templates` → :class:`TemplateInfo` values (id, version, title, description).
* :func:`generate(workspace, template_id, audience, fmt, out_path, *, threshold=None,
  audit_log=None) <generate>` → :class:`ReportRecord` (frozen: template id and version, audience,
  threshold, format, path, sha256 and size of the file, snapshot ids, category version, the
  release fingerprint and the public suppression summary of the report).
* :func:`generate_pack` writes several templates in several formats from one release.
* ``audit_log`` is a callable taking one dict per file written (the web app passes its audit
  log); it receives the confidential audit record of the release (primary/complementary kinds).

How a report is made
--------------------
1. The templates of the **release of record** are loaded: every shipped template (plus a custom
   template file when one is asked for). All their tables are computed over one pinned set of
   current snapshots and one category version, in one pass of the metrics engine.
2. All tables are released together with the links found by :mod:`ristra.reports.linking`
   (:func:`ristra.reports.joint_release.release_jointly`: one call of
   :func:`ristra.core.disclosure.release` per group of tables that links tie together, which
   protects exactly as one call would), so any two reports of the same data, audience and
   threshold — LCME next to the annual report, the DOCX next to the CSV — come from one release
   and cannot be differenced to recover a suppressed cell. Releases are cached in memory.
3. The report's released tables become a :class:`~ristra.reports.document.ReportDocument`, which
   the renderer of the format turns into bytes; the bytes are written atomically.

Errors a user can fix raise :class:`ReportError` (no data imported, unknown format or audience,
missing output directory), :class:`~ristra.reports.templates.TemplateError`,
:class:`~ristra.core.disclosure.PolicyError` (a threshold below 1) or
:class:`~ristra.core.metrics.errors.MetricError`; nothing is written at the output path then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy
from ristra.core.metrics.plans import Context, plan_for
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.specs import MetricSpec
from ristra.reports import FORMATS, render
from ristra.reports.binding import BoundTemplate, bind, datasets_needed
from ristra.reports.document import ReportDocument, ReportMetadata, assemble
from ristra.reports.files import write_atomically
from ristra.reports.joint_release import release_jointly
from ristra.reports.linking import links_for
from ristra.reports.planning import SectionPlan
from ristra.reports.templates import ReportTemplate, load_template, shipped_template_ids

__all__ = [
    "AUDIENCES", "ReportError", "ReportRecord", "TemplateInfo", "clear_cache", "compute_sections", "documents",
    "generate", "generate_pack", "list_templates", "load_template", "policy_for", "write_document",
]
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace

AuditLog = Callable[[dict[str, Any]], None]
AUDIENCES: Mapping[str, Policy] = MappingProxyType({"public": PUBLIC, "internal": INTERNAL})
_CACHE_SIZE = 4


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says why and what to do."""


@dataclass(frozen=True)
class TemplateInfo:
    """A template as listed: id, version, title and description."""

    id: str
    version: int
    title: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "title": self.title, "description": self.description}


@dataclass(frozen=True)
class ReportRecord:
    """What one generated report file is and where its numbers come from (``snapshots`` and
    ``suppression`` are plain JSON-ready dicts: treat them as read-only)."""

    template_id: str
    template_version: int
    title: str
    audience: str
    threshold: int
    format: str
    path: Path
    sha256: str
    size: int
    snapshots: dict[str, str]
    category_version: int
    release: str
    suppression: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template_id, "template_version": self.template_version, "title": self.title,
                "audience": self.audience, "threshold": self.threshold, "format": self.format,
                "path": str(self.path), "sha256": self.sha256, "size": self.size, "snapshots": dict(self.snapshots),
                "category_version": self.category_version, "release": self.release,
                "suppression": dict(self.suppression)}


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, by id."""
    out = []
    for template_id in shipped_template_ids():
        t = load_template(template_id)
        out.append(TemplateInfo(t.id, t.version, t.title, t.description))
    return out


def policy_for(audience: str, threshold: int | None = None) -> Policy:
    """The disclosure policy of ``audience`` (public: threshold 11; internal: 5), with another
    threshold if given (:class:`~ristra.core.disclosure.PolicyError` below 1)."""
    if audience not in AUDIENCES:
        raise ReportError(f"unknown audience {audience!r}; choose {' or '.join(AUDIENCES)}")
    base = AUDIENCES[audience]
    if threshold is None:
        return base
    return Policy(audience=base.audience, threshold=threshold, show_zeros=base.show_zeros, rounding=base.rounding,
                  protection=base.protection, cost=base.cost)


_cache: dict[tuple[object, ...], dict[str, ReportDocument]] = {}
_cache_lock = threading.Lock()


def documents(workspace: Workspace, template_ids: Sequence[str | Path], audience: str, *,
              threshold: int | None = None, scope: Sequence[str | Path] | None = None) -> dict[str, ReportDocument]:
    """The documents of ``template_ids`` (ids or template files), cut from the release of record
    (see the module docstring), by template id. ``scope`` lists the other templates released
    with them (default: every shipped template); reports of different scopes are different
    releases and must not be published side by side."""
    policy = policy_for(audience, threshold)
    asked = [load_template(t) for t in template_ids]
    others = shipped_template_ids() if scope is None else scope
    released_with = {t.id: t for t in [load_template(i) for i in others]}
    released_with.update({t.id: t for t in asked})
    templates = [released_with[k] for k in sorted(released_with)]
    service = MetricsService(workspace)
    try:
        files = {k: f for k, f in service.current_files().items() if f.ref.row_count > 0}
        if not files:
            raise ReportError("no data has been imported yet, so there is nothing to report; import files with "
                              "`ristra import DATASET FILE` (or `ristra demo` for the synthetic school)")
        needed = datasets_needed([t for t in templates if t.id in {a.id for a in asked}])
        if needed and not any(d in files for d in needed):
            raise ReportError(f"none of the data this report needs has been imported ({', '.join(needed)})")
        categories = service.categories()
        key = (str(workspace.root.resolve()), tuple(sorted((k, f.ref.snapshot_id) for k, f in files.items())),
               categories.version, tuple((t.id, t.version, t) for t in templates), policy)
        with _cache_lock:
            cached = _cache.get(key)
        if cached is None:
            context = Context(categories, service.benchmarks, {k: f.ref for k, f in files.items()})
            cached = _release_of_record(workspace, service, templates, context, policy)
            with _cache_lock:
                while len(_cache) >= _CACHE_SIZE:
                    _cache.pop(next(iter(_cache)))
                _cache[key] = cached
    finally:
        service.close()
    return {t.id: cached[t.id] for t in asked}


def compute_sections(workspace: Workspace, service: MetricsService, templates: Sequence[ReportTemplate],
                     context: Context) -> dict[str, tuple[SectionPlan, ...]]:
    """Every section's unreleased tables, by template id: one pass of the metrics engine over the
    snapshots of ``context`` (for the service's own use and the benchmark's baseline)."""
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


def _release_of_record(workspace: Workspace, service: MetricsService, templates: Sequence[ReportTemplate],
                       context: Context, policy: Policy) -> dict[str, ReportDocument]:
    section_plans = compute_sections(workspace, service, templates, context)
    table_plans = [t for ps in section_plans.values() for p in ps for t in p.tables]
    joint = release_jointly([t.table for t in table_plans], policy, links_for(table_plans))
    issued = max((workspace.snapshots.current(d).imported_at for d in context.snapshots  # type: ignore[union-attr]
                  if workspace.snapshots.current(d) is not None), default="1980-01-01T00:00:00Z")
    out = {}
    for t in templates:
        meta = ReportMetadata(t.id, t.version, t.title, t.description, policy.audience, policy.threshold,
                              context.categories.version, tuple(sorted(context.snapshots.values(), key=lambda s: s.dataset)),
                              joint.fingerprint, tuple(x.id for x in templates), issued)
        out[t.id] = assemble(t, section_plans[t.id], joint.tables, meta, joint.summary)
    return out


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return fmt


def write_document(document: ReportDocument, fmt: str, out_path: Path, audit_log: AuditLog | None = None) -> ReportRecord:
    """Render ``document`` as ``fmt``, write it atomically to ``out_path`` and record it."""
    data = render(document, _check_format(fmt))
    digest = write_atomically(Path(out_path), data)
    meta = document.metadata
    record = ReportRecord(meta.template_id, meta.template_version, meta.title, meta.audience, meta.threshold, fmt,
                          Path(out_path), digest, len(data),
                          {s.dataset: s.snapshot_id for s in meta.snapshots},
                          meta.category_version, meta.release, document.audit_summary())
    if audit_log is not None:
        audit_log({"event": "report", **record.to_dict(), "suppression": document.summary.audit_record()})
    return record


def generate(workspace: Workspace, template_id: str | Path, audience: str, fmt: str, out_path: str | Path, *,
             threshold: int | None = None, audit_log: AuditLog | None = None,
             scope: Sequence[str | Path] | None = None) -> ReportRecord:
    """Make one report and write it to ``out_path`` (see the module docstring; ``scope`` as in
    :func:`documents`)."""
    _check_format(fmt)
    target = Path(out_path)
    if not target.parent.is_dir():
        raise ReportError(f"the output directory {target.parent} does not exist")
    document = next(iter(documents(workspace, [template_id], audience, threshold=threshold, scope=scope).values()))
    return write_document(document, fmt, target, audit_log)


def generate_pack(workspace: Workspace, template_ids: Sequence[str | Path], audience: str, formats: Sequence[str],
                  out_dir: str | Path, *, threshold: int | None = None, audit_log: AuditLog | None = None,
                  scope: Sequence[str | Path] | None = None) -> list[ReportRecord]:
    """Every template of ``template_ids`` in every format of ``formats``, from one release, written
    as ``<out_dir>/<template id>.<format>``."""
    for fmt in formats:
        _check_format(fmt)
    directory = Path(out_dir)
    if not directory.is_dir():
        raise ReportError(f"the output directory {directory} does not exist")
    found = documents(workspace, template_ids, audience, threshold=threshold, scope=scope)
    return [write_document(doc, fmt, directory / f"{tid}.{fmt}", audit_log)
            for tid, doc in found.items() for fmt in formats]


def clear_cache() -> None:
    """Forget cached releases (tests and benchmarks)."""
    with _cache_lock:
        _cache.clear()
