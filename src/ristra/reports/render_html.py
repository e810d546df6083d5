"""A report as one standalone, accessible HTML page: no scripts, no external files.

Accessibility: ``lang``, a skip link, one ``h1`` and section headings in order; every table has a
``caption``, column headings ``th scope="col"`` and row headings ``th scope="row"``, and sits in
a focusable, labelled scroll region; a suppressed cell reads "suppressed" to a screen reader;
charts are inline SVG with ``role="img"``, labelled by their caption and described by a
paragraph that links to the tables holding the same numbers (the chart's text alternative).
Every text is escaped.
"""

from __future__ import annotations

import re
from html import escape

from ristra.core.table_view import SUPPRESSED_MARK, TableView
from ristra.reports.charts import chart_svg
from ristra.reports.document import FigureView, ReportDocument, SectionView
from ristra.reports.formatting import (
    attack_lines,
    body,
    header,
    interval_rows,
    provenance_lines,
)

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;line-height:1.45}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
h1{font-size:1.8rem}h2{margin-top:2.2rem;border-bottom:2px solid #8a1c1c;padding-bottom:.2rem}
.scroll{overflow-x:auto;margin:1rem 0}.scroll:focus{outline:3px solid #1f5fbf}
table{border-collapse:collapse;font-size:.85rem}caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border:1px solid #9a9a9a;padding:.25rem .5rem;vertical-align:top}thead th{background:#efefef}
td{text-align:right;font-variant-numeric:tabular-nums}th[scope=row]{text-align:left;font-weight:normal}
tr.total th,tr.total td{font-weight:600}.placeholder{font-style:italic;background:#fff8e1;padding:.5rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
figure{margin:1.2rem 0}figure svg{max-width:100%;height:auto}figcaption{font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.notes{font-size:.9rem}
"""


def _cell(text: str) -> str:
    if text == SUPPRESSED_MARK:
        return f'<td><span aria-hidden="true">{SUPPRESSED_MARK}</span><span class="sr-only">suppressed</span></td>'
    return f"<td>{escape(text)}</td>"


def _table(view: TableView) -> str:
    r = view.released
    cap = f"table-{view.number}-caption"
    heads = "".join(f'<th scope="col">{escape(h)}</th>' for h in header(view))
    rows = []
    for labels, values in body(view):
        total = labels[-1] == "All" or labels[0] in ("All programs", "Institution") or labels == ["All"]
        cls = ' class="total"' if total else ""
        row_heads = "".join(f'<th scope="row">{escape(label)}</th>' for label in labels)
        rows.append(f"<tr{cls}>{row_heads}{''.join(_cell(v) for v in values)}</tr>")
    return (f'<div class="scroll" role="region" aria-labelledby="{cap}" tabindex="0">'
            f'<table id="table-{view.number}"><caption id="{cap}">Table {view.number}. {escape(r.title)}</caption>'
            f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


_SVG_OPEN = re.compile(r"<svg\b")


def _figure(figure: FigureView) -> str:
    cap, alt = f"figure-{figure.number}-caption", f"figure-{figure.number}-text"
    svg = chart_svg(figure)
    svg = svg[svg.index("<svg"):] if "<svg" in svg else svg
    svg = _SVG_OPEN.sub(f'<svg role="img" aria-labelledby="{cap}" aria-describedby="{alt}" focusable="false"',
                        svg, count=1)
    links = ", ".join(f'<a href="#table-{t.number}">Table {t.number}</a>' for t in figure.tables)
    return (f'<figure id="figure-{figure.number}">{svg}'
            f'<figcaption id="{cap}">Figure {figure.number}. {escape(figure.title)}</figcaption>'
            f'<p id="{alt}">The numbers this chart shows are in {links}; suppressed values are left out of the '
            f"chart.</p></figure>")


def _section(section: SectionView) -> str:
    sid = f"section-{escape(section.id)}"
    parts = [f'<section aria-labelledby="{sid}"><h2 id="{sid}">{escape(section.title)}</h2>']
    if section.text:
        cls = ' class="placeholder"' if section.placeholder else ""
        parts.append(f"<p{cls}>{escape(section.text)}</p>")
    if section.figure is not None:
        parts.append(_figure(section.figure))
    parts.extend(_table(view) for view in section.tables)
    if section.notes:
        parts.append('<ol class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in section.notes) + "</ol>")
    parts.append("</section>")
    return "".join(parts)


def render_html(document: ReportDocument) -> bytes:
    """The report as the bytes of a standalone .html file (see the module docstring)."""
    meta = document.metadata
    about = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in provenance_lines(document))
    notes = "".join(f"<li>{escape(n)}</li>" for n in document.notes)
    rows = "".join("<tr>" + f'<th scope="row">Table {escape(c[0])}</th>' + "".join(f"<td>{escape(v)}</td>" for v in c[1:])
                   + "</tr>" for c in interval_rows(document))
    audit_table = ("" if not rows else
                   '<div class="scroll" role="region" aria-labelledby="audit-caption" tabindex="0"><table>'
                   '<caption id="audit-caption">What an attacker can derive about each suppressed cell</caption>'
                   '<thead><tr><th scope="col">Table</th><th scope="col">Row</th><th scope="col">Column</th>'
                   '<th scope="col">Lowest value</th><th scope="col">Highest value</th></tr></thead>'
                   f"<tbody>{rows}</tbody></table></div>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="ristra {escape(meta.template_id)} v{meta.template_version}">'
        f"<title>{escape(meta.title)}</title><style>{STYLE}</style></head><body>"
        '<a class="skip" href="#main">Skip to the report</a><main id="main">'
        f"<h1>{escape(meta.title)}</h1><p>{escape(meta.description)}</p>"
        f'<section aria-labelledby="about"><h2 id="about">About this report</h2><dl>{about}</dl></section>'
        f'<section aria-labelledby="notes"><h2 id="notes">Notes</h2><ol class="notes">{notes}</ol>'
        f"<p>{SUPPRESSED_MARK} marks a suppressed cell; n/a a value that cannot be computed.</p></section>"
        + "".join(_section(s) for s in document.sections)
        + '<section aria-labelledby="disclosure"><h2 id="disclosure">Disclosure control</h2>'
        + "".join(f"<p>{escape(line)}</p>" for line in attack_lines(document))
        + audit_table + "</section></main></body></html>\n"
    )
    return page.encode("utf-8")
