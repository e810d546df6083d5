"""Charts of released tables: Vega-Lite specifications built with Altair, rendered offline to SVG
and PNG by vl-convert (the same chart in the HTML page and the Word document). The palette here
is the one of every chart; the web pages' charts (:mod:`ristra.reports.page_charts`) use it too.

Contract: a chart draws only released derived values of its figure's tables (a suppressed or
undefined value is left out, never estimated); its text alternative is those tables. Kinds:
``path`` (share in each category at each stage), ``trend`` (share by year), ``funnel`` (rate from
the stage before, by membership) and ``retention`` (share retained by years since hire).
"""

from __future__ import annotations

import re
from typing import Any

from ristra.core.table_view import TableView
from ristra.reports.document import FigureView
from ristra.reports.sections import SHARE_OF_ALL, SHARE_OF_KNOWN

WIDTH, HEIGHT = 520, 260
_HORIZON = re.compile(r"Retained at ([0-9.]+) year")
#: The one palette of every chart, in documents and on pages: the colour-blind-safe Okabe–Ito hues.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999")
#: One colour per membership level in every chart.
LEVEL_COLOURS = {"In category": OKABE_ITO[0], "Not in category": OKABE_ITO[1], "Unknown": OKABE_ITO[6],
                 "All": OKABE_ITO[2]}
EMPTY = "No value of this chart can be shown: each is suppressed or cannot be computed."


def _values(view: TableView, column: str) -> list[tuple[int, Any]]:
    """(row, value) of released, defined derived values in ``column``."""
    out = []
    for d in view.released.derived:
        if d.column == column and not d.suppressed and isinstance(d.value, int | float):
            out.append((d.row, float(d.value)))
    return out


def chart_data(figure: FigureView) -> list[dict[str, Any]]:
    """The records the chart plots (see the module docstring)."""
    records: list[dict[str, Any]] = []
    for view in figure.tables:
        r = view.released
        group = view.category_label
        if figure.kind in ("path", "trend"):
            share = SHARE_OF_ALL if SHARE_OF_ALL in view.derived_columns else SHARE_OF_KNOWN
            for row, value in _values(view, share):
                if figure.kind == "trend" and row == len(r.row_labels) - 1:
                    continue  # the total row
                label = r.row_labels[row][0]
                if label.startswith("State population"):
                    label = "State population"
                records.append({"x": label, "order": row, "y": value, "series": group})
        elif figure.kind == "funnel":
            for row, value in _values(view, "Rate from the stage before"):
                stage, level = r.row_labels[row]
                records.append({"x": stage, "order": row, "y": value, "series": level, "facet": group})
        elif figure.kind == "retention":
            for column in view.derived_columns:
                match = _HORIZON.match(column)
                if not match:
                    continue
                for row, value in _values(view, column):
                    records.append({"x": float(match.group(1)), "order": row, "y": value,
                                    "series": r.row_labels[row][0], "facet": group})
    return records


def chart_spec(figure: FigureView) -> dict[str, Any]:
    """The Vega-Lite specification of ``figure`` (a plain dict)."""
    import altair as alt

    records = chart_data(figure)
    title = f"Figure {figure.number}. {figure.title}"
    if not records:
        empty = alt.Data(values=[{"text": EMPTY}])  # type: ignore[no-untyped-call]
        spec: dict[str, Any] = alt.Chart(empty).mark_text(size=13).encode(text="text:N").properties(
            width=WIDTH, height=60, title=title).to_dict()
        return spec
    data = alt.Data(values=records)  # type: ignore[no-untyped-call]
    order = list(dict.fromkeys(rec["x"] for rec in sorted(records, key=lambda rec: rec["order"])))
    y = alt.Y("y:Q", title="Share", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"))
    levels = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=list(LEVEL_COLOURS), range=list(LEVEL_COLOURS.values())))
    if figure.kind == "retention":
        x = alt.X("x:Q", title="Years since hire")
        y = alt.Y("y:Q", title="Share still employed", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    else:
        x = alt.X("x:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=160))
    base = alt.Chart(data)
    mark = base.mark_bar() if figure.kind == "funnel" else base.mark_line(point=True)
    encoding: dict[str, Any] = {"x": x, "y": y, "color": color}
    if figure.kind == "funnel":
        encoding["xOffset"] = alt.XOffset("series:N", sort=list(LEVEL_COLOURS))
        encoding["color"] = levels
        y = alt.Y("y:Q", title="Rate from the stage before", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
        encoding["y"] = y
    if figure.kind == "retention":
        encoding["color"] = levels
    chart = mark.encode(**encoding)
    if figure.kind in ("funnel", "retention"):
        chart = chart.properties(width=WIDTH // max(1, len(figure.tables)) + 40, height=HEIGHT).facet(
            column=alt.Column("facet:N", title=None, sort=[t.category_label for t in figure.tables]))
    else:
        chart = chart.properties(width=WIDTH, height=HEIGHT)
    return dict(chart.properties(title=title).to_dict())


def chart_svg(figure: FigureView) -> str:
    """The chart as an SVG document (text)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(chart_spec(figure)))


def chart_png(figure: FigureView, scale: float = 2.0) -> bytes:
    """The chart as a PNG image."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart_spec(figure), scale=scale))
