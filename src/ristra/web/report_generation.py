"""Generating reports from the web: the choices offered (templates, audiences allowed by role,
formats), generation through the report service, and the history of generated reports.

A generated file is kept under ``<data_dir>/web-reports/`` and recorded as a
:class:`~ristra.web.models.ReportRecord` with its snapshots, category version and suppression
summary. When this build has no report service, :func:`available` says so and nothing is offered.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet

from ristra.web.models import ReportRecord
from ristra.web.roles import Role, audiences_for

if TYPE_CHECKING:
    from ristra.services.workspace import Workspace


class ReportRefused(ValueError):
    """A report cannot be generated as asked; the message says why."""


@dataclass(frozen=True)
class ReportChoices:
    templates: tuple[tuple[str, str], ...]
    audiences: tuple[str, ...]
    formats: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"templates": [{"id": t, "title": title} for t, title in self.templates],
                "audiences": list(self.audiences), "formats": list(self.formats)}


def choices(role: Role) -> ReportChoices:
    from ristra.web.report_binding import formats, templates

    return ReportChoices(templates(), audiences_for(role), formats())


def reports_root() -> Path:
    return Path(settings.RISTRA_DATA_DIR) / "web-reports"


@dataclass(frozen=True)
class Generated:
    """A generated report's record and its release's confidential audit record (which suppressed
    cells are primary and which complementary: for the audit log only)."""

    record: ReportRecord
    release_audit: dict[str, Any]


def generate(workspace: Workspace, role: Role, user_name: str, template: str, audience: str,
             file_format: str) -> Generated:
    """Generate a report and record it; :class:`ReportRefused` for a choice the role may not make
    or a report the service cannot make (the report service is imported on first use)."""
    if audience not in audiences_for(role):
        raise ReportRefused(f"your role may generate {' and '.join(audiences_for(role))} reports only")
    from ristra.web.report_binding import ReportFailed, formats, render

    if file_format not in formats():
        raise ReportRefused(f"choose a format: {', '.join(formats())}")
    directory = reports_root() / uuid.uuid4().hex
    directory.mkdir(parents=True)
    try:
        made = render(workspace, template, audience, file_format, directory)
    except ReportFailed as failed:
        shutil.rmtree(directory, ignore_errors=True)
        raise ReportRefused(str(failed)) from None
    digest = hashlib.sha256(made.path.read_bytes()).hexdigest()
    record = ReportRecord.objects.create(
        template=template, template_version=made.template_version, audience=audience, file_format=file_format,
        generated_by=user_name, snapshots=made.snapshots, category_version=made.category_version,
        suppression=made.suppression, path=str(made.path), sha256=digest, size=made.path.stat().st_size)
    return Generated(record, made.audit_record)


def visible_reports(role: Role) -> QuerySet[ReportRecord]:
    """The history a role may see: everything for analysts and administrators, public reports otherwise."""
    records = ReportRecord.objects.all()
    if "internal" not in audiences_for(role):
        records = records.filter(audience="public")
    return records
