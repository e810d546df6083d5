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
1. A report is a slice of its audience's **publication** (:mod:`ristra.services.publication`):
   every shipped report template and every dashboard table, computed over one pinned set of
   current snapshots and one category version in one pass of the metrics engine, with the
   relations that hold by construction between them, protected and audited together, keeping
   what the audience was served before. Any two outputs to one audience — the LCME report next
   to the annual report, the dashboard next to either, the DOCX next to the CSV — come from one
   protected publication and cannot be combined to recover a suppressed cell. Publications are
   cached in memory and recorded under ``<data dir>/publications/``.
2. A custom template file (or another ``scope``) makes a publication of its own.
3. The report's released tables become a :class:`~ristra.reports.document.ReportDocument`, which
   the renderer of the format turns into bytes; the bytes are written atomically.

Errors a user can fix raise :class:`ReportError` (no data imported, unknown format or audience,
missing output directory), :class:`~ristra.reports.templates.TemplateError`,
:class:`~ristra.core.disclosure.PolicyError` (a threshold below 1) or
:class:`~ristra.core.metrics.errors.MetricError`; nothing is written at the output path then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy, PolicyError
from ristra.core.metrics.errors import MetricError
from ristra.reports import FORMATS, render
from ristra.reports.binding import datasets_needed
from ristra.reports.document import ReportDocument
from ristra.reports.templates import TemplateError, load_template, shipped_template_ids
from ristra.stores.atomic import write_atomically

__all__ = [
    "AUDIENCES", "FORMATS", "ReportError", "ReportRecord", "TemplateInfo", "clear_cache", "compute_sections", "documents",
    "generate", "generate_pack", "list_templates", "load_template", "policy_for", "render", "write_document",
]
from ristra.services import publication
from ristra.services.publication import compute_sections
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


def documents(workspace: Workspace, template_ids: Sequence[str | Path], audience: str, *,
              threshold: int | None = None, scope: Sequence[str | Path] | None = None) -> dict[str, ReportDocument]:
    """The documents of ``template_ids`` (ids or template files), cut from the audience's
    protected publication (:mod:`ristra.services.publication`: every report and every dashboard
    table of the snapshots in force, protected together), by template id. ``scope`` lists the
    report templates published with them (default: every shipped template); a custom template
    or scope makes a publication of its own, recorded like any other."""
    policy = policy_for(audience, threshold)
    asked = [load_template(t) for t in template_ids]
    others = list(shipped_template_ids() if scope is None else scope)
    known = {load_template(t).id for t in others}
    extra = [t for t, loaded in zip(template_ids, asked, strict=True) if loaded.id not in known]
    state = publication.in_force(workspace)  # the snapshots with rows and the category version
    files = {name for name, _ in state[0]}
    if not files:
        raise ReportError("no data has been imported yet, so there is nothing to report; import files with "
                          "`ristra import DATASET FILE` (or `ristra demo` for the synthetic school)")
    needed = datasets_needed(asked)
    if needed and not any(d in files for d in needed):
        raise ReportError(f"none of the data this report needs has been imported ({', '.join(needed)})")
    templates = None if scope is None and not extra else [*others, *extra]
    status = publication.current(workspace, policy, templates=templates, state=state, wait=True)
    if status.publication is None:
        if isinstance(status.cause, TemplateError | MetricError | PolicyError):
            raise status.cause  # what the user can fix, as it was raised
        raise ReportError(status.error or "the publication could not be made")
    found = status.publication.documents
    return {t.id: found[t.id] for t in asked}


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
                          meta.category_version, meta.release, document.attack_summary())
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
    """Forget built publications (tests and benchmarks)."""
    publication.clear_cache()
