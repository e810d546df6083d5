"""A plan measure's trend chart: each year's value from a released table (the scorecard's slice,
:meth:`ristra.reports.scorecard.Scorecard.trend_table`), the target, and the projection band
computed from those same released values. Drawn like every chart of the application
(:mod:`ristra.web.charts`): Altair to SVG by vl-convert, cached by the table's fingerprint."""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from typing import Any

import altair as alt
import vl_convert

from ristra.core.disclosure import ReleasedTable
from ristra.core.plan import Measure, Projection
from ristra.web.charts import PALETTE, Chart, slim

_CACHE: OrderedDict[tuple[object, ...], Chart] = OrderedDict()
_LOCK = threading.Lock()


def _values(table: ReleasedTable) -> list[dict[str, Any]]:
    return [{"year": int(d.column), "value": float(d.value), "series": "value"}
            for d in table.derived if d.column.isdigit() and not d.suppressed and isinstance(d.value, int | float)]


def trend_chart(table: ReleasedTable, measure: Measure, projection: Projection | None = None, *,
                small: bool = False) -> Chart | None:
    """The measure's values by year with its target (and, unless ``small``, the projection band
    to the target year); None when every year is suppressed."""
    if not isinstance(table, ReleasedTable):
        raise TypeError("charts are drawn from released tables only")
    values = _values(table)
    if not values:
        return None
    key = (table.fingerprint, measure.id, measure.target, small, projection.to_dict() if projection and not small
           else None)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    width, height = (160, 48) if small else (520, 260)
    x = alt.X("year:O", title=None if small else "year", axis=None if small else alt.Axis())
    y_scale = alt.Scale(zero=False)
    data = alt.Data(values=values)  # type: ignore[no-untyped-call]
    line = alt.Chart(data).mark_line(point=not small, color=PALETTE[1]).encode(
        x=x, y=alt.Y("value:Q", title=None if small else "value", scale=y_scale, axis=None if small else alt.Axis()))
    layers: list[Any] = [line]
    target = [{"value": measure.target.value}]
    target_data = alt.Data(values=target)  # type: ignore[no-untyped-call]
    layers.append(alt.Chart(target_data).mark_rule(color=PALETTE[0], strokeDash=[4, 3]).encode(
        y="value:Q"))
    if projection is not None and not small:
        band = [{"year": b.year, "lower": b.lower, "upper": b.upper, "value": b.value} for b in projection.band]
        base = alt.Chart(alt.Data(values=band))  # type: ignore[no-untyped-call]
        layers.insert(0, base.mark_area(opacity=0.25, color=PALETTE[2]).encode(x=x, y="lower:Q", y2="upper:Q"))
        layers.insert(1, base.mark_line(strokeDash=[2, 2], color=PALETTE[2]).encode(x=x, y="value:Q"))
    title = "" if small else f"{measure.title} (target {measure.target.value:g} by {measure.target.year})"
    spec = alt.layer(*layers).properties(width=width, height=height, title=title) \
        .configure_view(stroke=None).configure(font="sans-serif").to_dict()
    svg = slim(vl_convert.vegalite_to_svg(spec))
    rendered = Chart(title or measure.title, "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
                     f"table-{measure.id.lower()}")
    with _LOCK:
        _CACHE[key] = rendered
        while len(_CACHE) > 256:
            _CACHE.popitem(last=False)
    return rendered
