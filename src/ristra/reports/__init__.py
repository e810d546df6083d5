"""Reports: templates as versioned data, their binding to the metrics engine, and renderers.

* :mod:`.templates` — YAML templates loaded and checked; :mod:`.measures` — the counts cells bind to;
* :mod:`.binding`, :mod:`.counting`, :mod:`.metric_sections`, :mod:`.programs` — sections turned
  into unreleased tables; :mod:`.joint_release` — the equations between tables of one release
  and their release together;
* :mod:`.document` — a report made only of released tables; :func:`render` — its bytes in one of
  :data:`FORMATS` (DOCX, XLSX, CSV, standalone HTML), charts by :mod:`.charts`.

The use cases (release of record, writing files, records) are in :mod:`ristra.services.reports`;
``docs/reports.md`` describes the whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ristra.reports.document import ReportDocument

FORMATS = ("docx", "xlsx", "csv", "html")


def render(document: ReportDocument, fmt: str) -> bytes:
    """``document`` as the bytes of a ``fmt`` file (one of :data:`FORMATS`)."""
    if fmt == "docx":
        from ristra.reports.render_docx import render_docx

        return render_docx(document)
    if fmt == "xlsx":
        from ristra.reports.render_xlsx import render_xlsx

        return render_xlsx(document)
    if fmt == "csv":
        from ristra.reports.render_csv import render_csv

        return render_csv(document)
    if fmt == "html":
        from ristra.reports.render_html import render_html

        return render_html(document)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
