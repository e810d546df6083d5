"""The report service (:mod:`ristra.services.reports`) as the reports page uses it: the templates
offered, the formats, and one report generated into a directory of its own — with the release's
confidential audit record (which suppressed cells are primary) kept for the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ristra.services.workspace import Workspace


class ReportFailed(ValueError):
    """The service refused the report; the message says why."""


@dataclass(frozen=True)
class Made:
    path: Path
    template_version: str
    snapshots: dict[str, str]
    category_version: int
    suppression: dict[str, Any]
    audit_record: dict[str, Any] = field(default_factory=dict)


def templates() -> tuple[tuple[str, str], ...]:
    from ristra.services import reports

    return tuple((t.id, f"{t.title} (version {t.version})") for t in reports.list_templates())


def formats() -> tuple[str, ...]:
    from ristra.services.reports import FORMATS

    return tuple(FORMATS)


def render(workspace: Workspace, template: str, audience: str, file_format: str, directory: Path) -> Made:
    """Generate ``template`` for ``audience`` as ``file_format`` into ``directory``."""
    from ristra.core.disclosure import PolicyError
    from ristra.core.metrics.errors import MetricError
    from ristra.services import reports as service
    from ristra.services.errors import TemplateError

    if template not in {t.id for t in service.list_templates()}:
        raise ReportFailed(f"unknown report template {template!r}")
    kept: list[dict[str, Any]] = []
    try:
        record = service.generate(workspace, template, audience, file_format, directory / f"{template}.{file_format}",
                                  audit_log=kept.append)
    except (service.ReportError, TemplateError, PolicyError, MetricError) as error:
        raise ReportFailed(str(error)) from None
    return Made(Path(record.path), str(record.template_version), dict(record.snapshots), int(record.category_version),
                dict(record.suppression), kept[0] if kept else {})
