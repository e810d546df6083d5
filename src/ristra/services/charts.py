"""Charts for the front ends: the web pages draw every chart through this service, from released
tables only, in the one palette of every chart (see :mod:`ristra.reports.page_charts` for the
contract; the documents' figures are drawn by :mod:`ristra.reports.charts` with the same palette)."""

from __future__ import annotations

from ristra.reports.page_charts import Chart as Chart
from ristra.reports.page_charts import Kind as Kind
from ristra.reports.page_charts import slim as slim
from ristra.reports.page_charts import table_chart as table_chart
from ristra.reports.page_charts import trend_chart as trend_chart
from ristra.reports.page_charts import warm_up as warm_up

__all__ = ["Chart", "Kind", "slim", "table_chart", "trend_chart", "warm_up"]
