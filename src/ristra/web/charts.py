"""Charts drawn on the server from released tables: Altair specifications rendered to SVG by
vl-convert, embedded as images whose text alternative is the table beside them.

A chart is built only from a :class:`~ristra.core.disclosure.ReleasedTable`; suppressed cells
are left out of the chart (the table says "suppressed"). Rendered charts are cached by the
table's fingerprint, which changes whenever the released content does.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import vl_convert

from ristra.core.disclosure import ReleasedTable

Kind = Literal["bar", "line", "curve"]
_CACHE: OrderedDict[tuple[str, str, str, str], Chart] = OrderedDict()
_CACHE_SIZE = 512
_LOCK = threading.Lock()
PALETTE = ["#8a1c12", "#0b4f8a", "#1e5e2d", "#7a4a00", "#5b2a86", "#4a4a4a"]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: ``src`` is an SVG data URI; ``table_id`` names the table that is its text."""

    title: str
    src: str
    table_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "svg_data_uri": self.src, "table_id": self.table_id}


def _points(table: ReleasedTable, measure: str) -> list[dict[str, Any]]:
    """Long-form data: one point per body row × column; ``measure`` is ``count`` or the label of
    a derived column (e.g. a share). Totals and suppressed cells are left out."""
    row_totals = {s.total for s in table.row_sums}
    col_totals = {s.total for s in table.col_sums}
    points: list[dict[str, Any]] = []
    if measure == "curve":  # every share column, in order, as one curve per row
        for d in table.derived:
            if d.kind == "share" and not d.suppressed and d.row not in row_totals and isinstance(d.value, int | float):
                points.append({"row": " / ".join(table.row_labels[d.row]), "column": d.column, "value": float(d.value)})
        return points
    if measure == "count":
        for r, label in enumerate(table.row_labels):
            if r in row_totals:
                continue
            for c, column in enumerate(table.col_labels):
                value = table.cells[r][c]
                if c not in col_totals and value is not None:
                    points.append({"row": " / ".join(label), "column": column, "value": value})
        return points
    for d in table.derived:
        if d.column == measure and not d.suppressed and d.row not in row_totals and isinstance(d.value, int | float):
            points.append({"row": " / ".join(table.row_labels[d.row]), "column": measure, "value": float(d.value)})
    return points


def _spec(table: ReleasedTable, kind: Kind, measure: str, x: str) -> dict[str, Any]:
    if kind == "curve":
        measure, x = "curve", "column"
    data = alt.Data(values=_points(table, measure))  # type: ignore[no-untyped-call]  # altair leaves Data unannotated
    x_field, series = ("column", "row") if x == "column" else ("row", "column")
    y_title = "people" if measure == "count" else ("estimate" if measure == "curve" else measure)
    x_title = ("years" if kind == "curve" else table.col_dim) if x == "column" else " / ".join(table.row_dims)
    x_axis = alt.X(f"{x_field}:O", title=x_title, sort=None)
    y_axis = alt.Y("value:Q", title=y_title, axis=alt.Axis(format="%" if measure != "count" else ",d"))
    colour = alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=PALETTE), sort=None)
    base = alt.Chart(data).properties(width=420, height=240, title=table.title)
    if kind in ("line", "curve"):
        chart = base.mark_line(point=True).encode(x=x_axis, y=y_axis, color=colour)
    else:
        chart = base.mark_bar().encode(x=x_axis, y=y_axis, color=colour,
                                       xOffset=alt.XOffset(f"{series}:N", sort=None))
    spec: dict[str, Any] = chart.configure_view(stroke=None).configure(font="sans-serif").to_dict()
    return spec


def chart(table: ReleasedTable, kind: Kind = "bar", *, measure: str = "count", x: str = "column") -> Chart | None:
    """Render ``table`` as a chart (``x`` is ``column`` or ``row``: what runs along the axis);
    ``None`` when nothing can be drawn because every value is suppressed."""
    if not isinstance(table, ReleasedTable):
        raise TypeError("charts are drawn from released tables only")
    if not _points(table, "curve" if kind == "curve" else measure):
        return None
    key = (table.fingerprint, kind, measure, x)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    svg = slim(vl_convert.vegalite_to_svg(_spec(table, kind, measure, x)))
    rendered = Chart(table.title, "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
                     f"table-{_slug(table.key)}")
    with _LOCK:
        _CACHE[key] = rendered
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rendered


#: what the renderer writes for an interactive document that an image cannot use: ARIA roles and
#: classes (an image's text is the table beside it), pointer events, default opacity
_UNUSED_ATTRIBUTES = re.compile(r'\s(?:class|role|aria-[a-z]+|pointer-events)="[^"]*"|\sopacity="1"')
#: empty placeholders: a hidden empty path and a zero-size background
_EMPTY_ELEMENTS = re.compile(r'<path d="" display="none"/>|<path d="M0,0h0v0h0Z"/>')


def slim(svg: str) -> str:
    """The SVG without what only an interactive document uses (about 40 % of its bytes): the
    chart draws the same, and the page that embeds it is smaller."""
    return _EMPTY_ELEMENTS.sub("", _UNUSED_ATTRIBUTES.sub("", svg))


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text)


def warm_up() -> None:
    """Start the chart renderer (its first drawing takes about a second) before anyone waits."""
    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": []}})
