"""Compilation of metric requests to parameterised SQL in a dialect (pure: text and parameters out;
:mod:`ristra.core.sql_dialect`, DuckDB's first).

* :mod:`.lookups` — category rules evaluated once per distinct value of the columns they read
  (a *family lookup*), derived columns computed there from the reference tables, and the
  per-row boolean formula that combines the lookups.
* :mod:`.cube` — many count requests over one dataset merged into one query: one scan, one
  aggregation over every dimension, then ``GROUPING SETS`` for each request's marginal table.
* :mod:`.source` — where a query reads its rows (a dataset's view or a prelude's relation).
* :mod:`.set_columns` — one grouping set's result, column by column.
"""
