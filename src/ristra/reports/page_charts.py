"""Charts on the web pages, drawn on the server from released tables: Altair specifications
rendered to SVG by vl-convert, embedded as images whose text alternative is the table beside them,
in the one palette of every chart (:data:`ristra.reports.charts.OKABE_ITO`).

Contract: a chart is built only from a :class:`~ristra.core.disclosure.ReleasedTable`; suppressed
cells are left out of the chart (the table says "suppressed"); ``None`` when nothing can be drawn.
:func:`table_chart` draws a dashboard table (bars, lines or curves); :func:`trend_chart` a plan
measure's values by year from the scorecard's released slice, with the target and the projection
band computed from those same released values. Rendered charts are cached by the table's
fingerprint, which changes whenever the released content does.
"""

from __future__ import annotations

import base64
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import vl_convert

from ristra.core.disclosure import ReleasedTable
from ristra.core.plan import Measure, Projection
from ristra.reports.charts import OKABE_ITO

Kind = Literal["bar", "line", "curve"]
_CACHE: OrderedDict[tuple[str, str, str, str], Chart] = OrderedDict()
_CACHE_SIZE = 512
_TREND_CACHE: OrderedDict[tuple[object, ...], Chart] = OrderedDict()
_LOCK = threading.Lock()


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
    colour = alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=list(OKABE_ITO)), sort=None)
    base = alt.Chart(data).properties(width=420, height=240, title=table.title)
    if kind in ("line", "curve"):
        chart = base.mark_line(point=True).encode(x=x_axis, y=y_axis, color=colour)
    else:
        chart = base.mark_bar().encode(x=x_axis, y=y_axis, color=colour,
                                       xOffset=alt.XOffset(f"{series}:N", sort=None))
    spec: dict[str, Any] = chart.configure_view(stroke=None).configure(font="sans-serif").to_dict()
    return spec


def table_chart(table: ReleasedTable, kind: Kind = "bar", *, measure: str = "count", x: str = "column") -> Chart | None:
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
    """The page's element id of a table key, as Django's ``slugify`` writes it (the template of a
    released table names the table by ``key|slugify``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", ascii_text.lower())).strip("-_")


def warm_up() -> None:
    """Start the chart renderer (its first drawing takes about a second) before anyone waits."""
    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": []}})


def _trend_values(table: ReleasedTable) -> list[dict[str, Any]]:
    return [{"year": int(d.column), "value": float(d.value), "series": "value"}
            for d in table.derived if d.column.isdigit() and not d.suppressed and isinstance(d.value, int | float)]


def trend_chart(table: ReleasedTable, measure: Measure, projection: Projection | None = None, *,
                small: bool = False) -> Chart | None:
    """The measure's values by year with its target (and, unless ``small``, the projection band
    to the target year); None when every year is suppressed."""
    if not isinstance(table, ReleasedTable):
        raise TypeError("charts are drawn from released tables only")
    values = _trend_values(table)
    if not values:
        return None
    # the projection itself (frozen, so hashable) keys the cache: its dict form is not hashable
    key = (table.fingerprint, measure.id, measure.target, small, projection if projection and not small else None)
    with _LOCK:
        if key in _TREND_CACHE:
            return _TREND_CACHE[key]
    width, height = (160, 48) if small else (520, 260)
    x = alt.X("year:O", title=None if small else "year", axis=None if small else alt.Axis())
    y_scale = alt.Scale(zero=False)
    data = alt.Data(values=values)  # type: ignore[no-untyped-call]
    line = alt.Chart(data).mark_line(point=not small, color=OKABE_ITO[0]).encode(
        x=x, y=alt.Y("value:Q", title=None if small else "value", scale=y_scale, axis=None if small else alt.Axis()))
    layers: list[Any] = [line]
    target = [{"value": measure.target.value}]
    target_data = alt.Data(values=target)  # type: ignore[no-untyped-call]
    layers.append(alt.Chart(target_data).mark_rule(color=OKABE_ITO[3], strokeDash=[4, 3]).encode(
        y="value:Q"))
    if projection is not None and not small:
        band = [{"year": b.year, "lower": b.lower, "upper": b.upper, "value": b.value} for b in projection.band]
        base = alt.Chart(alt.Data(values=band))  # type: ignore[no-untyped-call]
        layers.insert(0, base.mark_area(opacity=0.25, color=OKABE_ITO[2]).encode(x=x, y="lower:Q", y2="upper:Q"))
        layers.insert(1, base.mark_line(strokeDash=[2, 2], color=OKABE_ITO[2]).encode(x=x, y="value:Q"))
    title = "" if small else f"{measure.title} (target {measure.target.value:g} by {measure.target.year})"
    spec = alt.layer(*layers).properties(width=width, height=height, title=title) \
        .configure_view(stroke=None).configure(font="sans-serif").to_dict()
    svg = slim(vl_convert.vegalite_to_svg(spec))
    rendered = Chart(title or measure.title, "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
                     f"table-{measure.id.lower()}")
    with _LOCK:
        _TREND_CACHE[key] = rendered
        while len(_TREND_CACHE) > 256:
            _TREND_CACHE.popitem(last=False)
    return rendered
