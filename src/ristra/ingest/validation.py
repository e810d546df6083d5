"""Validate an input file against a canonical dataset and normalise it to Parquet, in DuckDB.

Two passes, one contract:

1. **Fast pass** — one streaming ``COPY`` from the delimited text to typed, canonical
   Parquet. Every cell's checks run inside the query; the first problem aborts it. A valid
   file is therefore read once. Duplicate keys are then counted on the compact Parquet.
2. **Full pass** — only for a file that failed the fast pass: the text is loaded in file
   order into a disk-backed DuckDB table and every issue is collected with its row number,
   column and reason code (structural problems such as ragged rows come from DuckDB's
   rejects table).

No Python loop touches rows. Messages never contain the raw value of a sensitive column;
for other columns a short, neutralised excerpt may be shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ristra.core.columnmap import ColumnMap, header_key, normalise_header
from ristra.core.datasets import US_STATES, Column, Dataset
from ristra.core.validation_issues import Reason, ValidationIssue, ValidationReport
from ristra.engine.connections import connect
from ristra.ingest import progress
from ristra.ingest.expressions import (
    STATE_ENUM,
    ColumnSql,
    code_enum_identifier,
    column_sql,
    enum_identifier,
    fast_column,
    map_identifier,
    missing_value_sql,
    quote_identifier,
    row_guard,
)
from ristra.ingest.headers import MAX_COLUMNS, first_line_is_data, looks_like_column_name
from ristra.ingest.messages import issue_message
from ristra.ingest.sources import PreparedSource, confirm_encoding, normalise_line_endings, prepare

INVALID_ROW = "ristra: invalid row"
#: How snapshot Parquet is written. Pages are left uncompressed: the metrics engine reads a
#: snapshot's columns more than once per run (lookup keys, then the rows), and decompressing
#: compressed pages each time costs more than the larger files do (measured: docs/benchmarks.md,
#: "Measured design decisions").
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION uncompressed"
DEFAULT_MAX_LISTED = 10_000
_STRUCTURAL = {
    "TOO MANY COLUMNS": Reason.RAGGED_ROW,
    "MISSING COLUMNS": Reason.RAGGED_ROW,
    "UNQUOTED VALUE": Reason.MALFORMED_ROW,
    "LINE SIZE OVER MAXIMUM": Reason.MALFORMED_ROW,
    "INVALID ENCODING": Reason.ENCODING,
    "INVALID UNICODE": Reason.ENCODING,
    "CAST": Reason.MALFORMED_ROW,
}


@dataclass(frozen=True)
class _Layout:
    """Which raw text column feeds which canonical column, and the header issues."""

    present: tuple[tuple[Column, int], ...]
    header_issues: tuple[ValidationIssue, ...]
    raw_count: int


def validate_file(
    dataset: Dataset,
    path: Path,
    *,
    workdir: Path,
    column_map: ColumnMap,
    today: dt.date,
    output: Path | None = None,
    max_listed: int = DEFAULT_MAX_LISTED,
    memory_limit: str = "1GB",
    report: progress.ProgressCallback | None = None,
    fast_pass: bool = True,
    sheet: str | None = None,
) -> ValidationReport:
    """Validate ``path`` as ``dataset``; when valid and ``output`` is given, write the
    canonical Parquet there. Raises :class:`~ristra.ingest.refusals.UnreadableFile` when the
    file is not CSV, XLSX or Parquet. ``workdir`` (owned by the caller) holds temporary files.
    ``report(step, percent)``, if given, is called as the file is read. ``fast_pass=False``
    sends the file straight to the full pass (the tests compare the two passes' verdicts).
    ``sheet`` names the worksheet of a workbook (default: the first visible one).
    """
    source = prepare(path, workdir, sheet=sheet)
    base = {"dataset": dataset.name, "source_name": path.name, "source_format": source.original_format,
            "encoding": source.encoding, "delimiter": source.delimiter}
    if source.empty:
        issue = source.issue or ValidationIssue(None, None, Reason.EMPTY_FILE,
                                                "the file is empty: it has no header and no rows")
        return ValidationReport(**base, row_count=0, issues=(issue,), issue_total=1)
    if len(source.header) > MAX_COLUMNS:
        issue = ValidationIssue(1, None, Reason.TOO_MANY_COLUMNS,
                                f"the header has {len(source.header):,} columns; ristra reads at most {MAX_COLUMNS:,} "
                                "(check the delimiter, or remove the columns no dataset uses)")
        return ValidationReport(**base, row_count=0, issues=(issue,), issue_total=1)
    layout = _layout(dataset, source, column_map)
    con = connect(config={"memory_limit": memory_limit, "temp_directory": str(workdir / "spill")})
    try:
        _register_spellings(con, [c for c, _ in layout.present], column_map)
        target = output or workdir / "validated.parquet"
        if not layout.header_issues and fast_pass:
            rows = _fast_pass(con, dataset, source, layout, column_map, today, target, report)
            if rows is None:
                reconsidered = _reconsidered(source, path, workdir)
                changed = (reconsidered.path, reconsidered.encoding) != (source.path, source.encoding)
                source = reconsidered
                base["encoding"] = source.encoding
                if changed:
                    layout = _layout(dataset, source, column_map)
                if changed and not layout.header_issues:
                    target.unlink(missing_ok=True)
                    con.close()
                    con = connect(config={"memory_limit": memory_limit,
                                                 "temp_directory": str(workdir / "spill")})
                    _register_spellings(con, [c for c, _ in layout.present], column_map)
                    rows = _fast_pass(con, dataset, source, layout, column_map, today, target, report)
            if rows is not None:
                if rows == 0:
                    issue = ValidationIssue(None, None, Reason.NO_ROWS, "the file has a header but no data rows")
                    target.unlink(missing_ok=True)
                    return ValidationReport(**base, row_count=0, issues=(issue,), issue_total=1)
                return ValidationReport(**base, row_count=rows, issues=(), issue_total=0)
            target.unlink(missing_ok=True)
    finally:
        con.close()
    reconsidered = _reconsidered(source, path, workdir)
    if (reconsidered.path, reconsidered.encoding) != (source.path, source.encoding):
        source = reconsidered
        base["encoding"] = source.encoding
        layout = _layout(dataset, source, column_map)
    full = connect(str(workdir / "full-pass.duckdb"), config={"memory_limit": memory_limit,
                                                                     "temp_directory": str(workdir / "spill")})
    try:
        _register_spellings(full, [c for c, _ in layout.present], column_map)
        row_count, issues, total = _full_pass(full, dataset, source, layout, column_map, today, max_listed, report)
        if total == 0 and not layout.header_issues and row_count > 0:
            _write_from_full_pass(full, dataset, layout, column_map, today, target)
            return ValidationReport(**base, row_count=row_count, issues=(), issue_total=0)
    finally:
        full.close()
    issues = tuple(sorted(layout.header_issues + issues, key=ValidationIssue.sort_key))
    total += len(layout.header_issues)
    if row_count == 0 and not any(i.code == Reason.NO_ROWS for i in issues):
        issues += (ValidationIssue(None, None, Reason.NO_ROWS, "the file has a header but no data rows"),)
        total += 1
    return ValidationReport(**base, row_count=row_count, issues=issues[:max_listed], issue_total=total)


def _reconsidered(source: PreparedSource, path: Path, workdir: Path) -> PreparedSource:
    """After the fast pass declined a file: its encoding decided over the whole file (when the
    first bytes decided it), and mixed CRLF/LF line endings made uniform (once)."""
    return normalise_line_endings(confirm_encoding(source, path, workdir), workdir)


def _layout(dataset: Dataset, source: PreparedSource, column_map: ColumnMap) -> _Layout:
    issues: list[ValidationIssue] = []
    seen: dict[str, int] = {}
    present: list[tuple[Column, int]] = []
    unknown: list[tuple[int, str]] = []
    canonical = set(dataset.column_names)
    by_key = {header_key(name): name for name in dataset.column_names}
    known = 0
    if source.encoding.startswith("utf-8") and any("\ufffd" in h for h in source.header):
        issues.append(ValidationIssue(1, None, Reason.ENCODING, issue_message(Reason.ENCODING, None, encoding=source.encoding)))
    for position, header in enumerate(source.header):
        if not header.strip():
            issues.append(ValidationIssue(None, None, Reason.BLANK_COLUMN_NAME,
                                          f"column {position + 1} of the header has no name"))
            continue
        if column_map.is_ignored(header):
            known += 1
            continue
        name = column_map.canonical_name(header)
        name = name if name in canonical else by_key.get(header_key(name), name)
        if name not in canonical:
            unknown.append((position, header))
            continue
        known += 1
        if name in seen:
            issues.append(ValidationIssue(None, name, Reason.DUPLICATE_COLUMN,
                                          f"columns {seen[name] + 1} and {position + 1} both give {name}"))
            continue
        seen[name] = position
        present.append((dataset.column(name), position))
    data_like = first_line_is_data(source.header, known, dataset)
    if data_like:
        cells = len(source.header)
        message = (f"the first line is not a header: none of its {cells} cells names a column of {dataset.name}, "
                   f"and {data_like} of them look like data (dates, e-mail addresses, numbers or codes); "
                   "add a header row with the column names (see the data dictionary), or a column map")
        return _Layout((), (ValidationIssue(1, None, Reason.NO_HEADER, message),), len(source.header))
    for position, header in unknown:
        if looks_like_column_name(header, dataset):
            issues.append(ValidationIssue(None, _printable(header), Reason.UNKNOWN_COLUMN,
                                          issue_message("unknown_column", None, dataset=dataset.name,
                                                        header=_printable(header))))
        else:
            issues.append(ValidationIssue(None, None, Reason.UNKNOWN_COLUMN,
                                          f"column {position + 1} of the header is not part of {dataset.name}, and "
                                          "its name looks like a value, so it is not shown; check that the first "
                                          "line is the header"))
    for column in dataset.columns:
        if column.required and column.name not in seen:
            issues.append(ValidationIssue(None, column.name, Reason.MISSING_COLUMN,
                                          f"required column {column.name} is missing ({column.description})"))
    duplicated = {i.column for i in issues if i.code == Reason.DUPLICATE_COLUMN}
    present = [(c, i) for c, i in present if c.name not in duplicated]
    return _Layout(tuple(present), tuple(issues), len(source.header))


def _printable(header: str) -> str:
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in normalise_header(header))
    return cleaned[:60]


def _register_spellings(con: duckdb.DuckDBPyConnection, columns: Sequence[Column], column_map: ColumnMap) -> None:
    """A one-row table ``__maps`` with a MAP column per coded column (values bound as parameters)."""
    coded = [c for c in columns if c.vocabulary is not None]
    con.execute("CREATE TEMP TABLE __spellings (col VARCHAR, spelling VARCHAR, code VARCHAR)")
    if not coded:  # e.g. an identity dataset: no coded column, but the spelling enums still read the table
        con.execute("CREATE TEMP TABLE __maps AS SELECT 1 AS __one")
        return
    rows = [(c.name, spelling, code) for c in coded for spelling, code in column_map.spellings(c).items()]
    cols, spellings, codes = (list(v) for v in zip(*rows, strict=True)) if rows else ([], [], [])
    con.execute("INSERT INTO __spellings SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [cols, spellings, codes])
    selects = ", ".join(
        f"MAP(list(spelling) FILTER (WHERE col = ?), list(code) FILTER (WHERE col = ?)) AS {map_identifier(c)}"
        for c in coded
    )
    params = [name for c in coded for name in (c.name, c.name)]
    con.execute(f"CREATE TEMP TABLE __maps AS SELECT {selects} FROM __spellings", params)


def _read_csv(source: PreparedSource, types: Sequence[str], date_format: str | None = None) -> tuple[str, list[object]]:
    columns = {f"c{i}": t for i, t in enumerate(types)}
    extra = ", dateformat = ?" if date_format else ""
    sql = (
        "read_csv(?, header = true, auto_detect = false, columns = ?, delim = ?, quote = '\"', "
        "escape = '\"', strict_mode = true, store_rejects = true, null_padding = false, "
        f"max_line_size = 4000000{extra})"
    )
    params: list[object] = [str(source.path), columns, source.delimiter]
    if date_format:
        params.append(date_format)
    return sql, params


def _column_sqls(layout: _Layout, column_map: ColumnMap, today: dt.date) -> list[ColumnSql]:
    return [column_sql(column, _raw(index), column_map, today) for column, index in layout.present]


def _raw(index: int) -> str:
    """The reader's name for the file's ``index``-th column (files' own headers never reach SQL)."""
    return quote_identifier(f"c{index}")


def _spelling_enums(con: duckdb.DuckDBPyConnection, columns: Sequence[Column]) -> dict[str, tuple[str, ...]]:
    """For each coded column, an ENUM type of its exact spellings (lower, UPPER and Title case)
    and the canonical code of each member, in the ENUM's order."""
    con.execute("CREATE TEMP TABLE __exact (col VARCHAR, spelling VARCHAR, code VARCHAR)")
    con.execute(
        "INSERT INTO __exact SELECT DISTINCT col, v.spelling, code FROM __spellings, "
        "unnest([spelling, upper(spelling), concat(upper(left(spelling, 1)), right(spelling, -1))]) AS v(spelling) "
        "WHERE v.spelling <> ''"
    )
    codes: dict[str, tuple[str, ...]] = {}
    states = ", ".join(f"'{s}'" for s in US_STATES)
    con.execute(f"CREATE TYPE {STATE_ENUM} AS ENUM ({states})")
    for column in columns:
        if column.kind not in ("code", "flag"):
            continue
        con.execute(
            f"CREATE TYPE {enum_identifier(column)} AS ENUM "
            f"(SELECT spelling FROM __exact WHERE col = '{column.name}' ORDER BY spelling)"
        )
        rows = con.execute("SELECT code FROM __exact WHERE col = ? ORDER BY spelling", [column.name]).fetchall()
        codes[column.name] = tuple(str(r[0]) for r in rows)
        if column.kind == "code":
            members = sorted({*codes[column.name], *column.allowed_values})
            listed = ", ".join("'" + m.replace("'", "''") + "'" for m in members)
            con.execute(f"CREATE TYPE {code_enum_identifier(column)} AS ENUM ({listed})")
    return codes


def _fast_pass(con: duckdb.DuckDBPyConnection, dataset: Dataset, source: PreparedSource, layout: _Layout,
               column_map: ColumnMap, today: dt.date, target: Path, report: progress.ProgressCallback | None) -> int | None:
    """Rows written when the whole file is valid; ``None`` when the full pass must decide."""
    enum_codes = _spelling_enums(con, [c for c, _ in layout.present])
    fast = {
        c.name: fast_column(c, _raw(i), enum_codes.get(c.name, ()), today, native_flag=c.name not in column_map.values)
        for c, i in layout.present
    }
    types = ["VARCHAR"] * layout.raw_count
    for column, index in layout.present:
        types[index] = fast[column.name].reader_type
    values = _canonical_select(dataset, {name: f.value for name, f in fast.items()})
    guard = row_guard(list(fast.values()))
    has_dates = any(c.kind == "date" for c, _ in layout.present)
    reader, params = _read_csv(source, types, column_map.date_format if has_dates else None)
    literal = str(target).replace("'", "''")
    sql = (
        f"COPY (SELECT {values} FROM {reader} "
        f"WHERE CASE WHEN {guard} THEN error('{INVALID_ROW}') ELSE true END) "
        f"TO '{literal}' ({PARQUET_OPTIONS})"
    )
    # Row order carries no meaning in a dataset; letting DuckDB write in parallel is much faster.
    con.execute("SET preserve_insertion_order = false")
    try:
        written = progress.execute(con, sql, params, step="reading and checking", report=report)[0]
    except duckdb.Error:
        return None
    rejected = con.execute("SELECT count(*) FROM reject_errors").fetchone()
    if rejected and rejected[0]:
        return None
    rows = int(written[0]) if written else 0
    if rows and _has_duplicates(con, dataset, target):
        return None
    return rows


def _canonical_select(dataset: Dataset, values: dict[str, str]) -> str:
    """The select list of a snapshot: every canonical column in declared order, absent ones typed NULL."""
    return ", ".join(
        f"{values[c.name] if c.name in values else missing_value_sql(c)} AS {quote_identifier(c.name)}"
        for c in dataset.columns
    )


def _has_duplicates(con: duckdb.DuckDBPyConnection, dataset: Dataset, target: Path) -> bool:
    """Whether two rows of ``target`` share a key. Rows are first grouped by a 64-bit hash of
    the key (cheap); only when two share a hash are the keys themselves compared."""
    for key in (dataset.key, *dataset.unique_together):
        cols = ", ".join(quote_identifier(k) for k in key)
        for grouped in (f"hash({cols})", cols):
            found = con.execute(
                f"SELECT count(*) FROM (SELECT {grouped} FROM read_parquet(?) GROUP BY ALL HAVING count(*) > 1)",
                [str(target)],
            ).fetchone()
            if not (found and found[0]):
                break
        else:
            return True
    return False


def _full_pass(con: duckdb.DuckDBPyConnection, dataset: Dataset, source: PreparedSource, layout: _Layout,
               column_map: ColumnMap, today: dt.date, max_listed: int, report: progress.ProgressCallback | None) -> tuple[int, tuple[ValidationIssue, ...], int]:
    reader, params = _read_csv(source, ["VARCHAR"] * layout.raw_count)
    try:
        progress.execute(con, f"CREATE TABLE raw AS SELECT * FROM {reader}", params,
                         step="collecting every problem", report=report)
    except duckdb.Error:
        issue = ValidationIssue(None, None, Reason.MALFORMED_ROW,
                                "the file cannot be parsed as delimited text (check quoting, line endings and encoding)")
        return 0, (issue,), 1
    row_count = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
    structural = con.execute(
        "SELECT line, error_type, min(column_idx) FROM reject_errors GROUP BY line, error_type ORDER BY line"
    ).fetchall()
    rejected_lines = sorted({int(line) for line, _, _ in structural})
    issues: list[ValidationIssue] = []
    for line, error_type, _ in structural:
        code = _STRUCTURAL.get(str(error_type), Reason.MALFORMED_ROW)
        issues.append(ValidationIssue(int(line), None, code, issue_message(code, None, fields=layout.raw_count,
                                                                           encoding=source.encoding)))

    sqls = _column_sqls(layout, column_map, today)
    cell_total = 0
    if sqls:
        selects = ", ".join(f"{s.issue_code()} AS {quote_identifier(s.column.name)}" for s in sqls)
        con.execute(
            f"CREATE TABLE cell_issues AS UNPIVOT (SELECT raw.rowid AS __pos, {selects} FROM raw, __maps) "
            f"ON COLUMNS(* EXCLUDE (__pos)) INTO NAME col VALUE code"
        )
        cell_total = int(con.execute("SELECT count(*) FROM cell_issues").fetchone()[0])  # type: ignore[index]
        excerpts = _excerpt_sql(sqls)
        listed = con.execute(
            f"SELECT i.__pos, i.col, i.code, {excerpts} FROM cell_issues i JOIN raw r ON r.rowid = i.__pos "
            f"ORDER BY i.__pos, i.col LIMIT ?",
            [max_listed],
        ).fetchall()
        for pos, col, text, excerpt in listed:
            code = Reason(text)  # the CASE of ColumnSql.issue_code gives the code's string
            column = dataset.column(col)
            row = _row_number(int(pos), rejected_lines)
            issues.append(ValidationIssue(row, col, code, issue_message(code, column, excerpt=excerpt,
                                                                        column_map=column_map)))

    duplicates, duplicate_total = _duplicate_issues(con, dataset, sqls, rejected_lines, max_listed)
    issues.extend(duplicates)
    total = len(structural) + cell_total + duplicate_total
    return row_count, tuple(issues), total


def _write_from_full_pass(con: duckdb.DuckDBPyConnection, dataset: Dataset, layout: _Layout,
                          column_map: ColumnMap, today: dt.date, target: Path) -> None:
    """Write the canonical Parquet from the full pass's table (a valid file the fast pass declined)."""
    values = _canonical_select(dataset, {s.column.name: s.value for s in _column_sqls(layout, column_map, today)})
    literal = str(target).replace("'", "''")
    con.execute(f"COPY (SELECT {values} FROM raw, __maps ORDER BY raw.rowid) TO '{literal}' "
                f"({PARQUET_OPTIONS})")


def _excerpt_sql(sqls: Sequence[ColumnSql]) -> str:
    """The raw text of non-sensitive columns for messages (sensitive ones give NULL)."""
    whens = " ".join(
        f"WHEN '{s.column.name}' THEN r.{s.raw}" for s in sqls if not s.column.sensitive
    )
    return f"CASE i.col {whens} END" if whens else "NULL"


def _duplicate_issues(con: duckdb.DuckDBPyConnection, dataset: Dataset, sqls: Sequence[ColumnSql],
                      rejected_lines: list[int], max_listed: int) -> tuple[list[ValidationIssue], int]:
    by_name = {s.column.name: s for s in sqls}
    issues: list[ValidationIssue] = []
    total = 0
    for key in (dataset.key, *dataset.unique_together):
        if not all(k in by_name for k in key):
            continue
        values = ", ".join(f"{by_name[k].value} AS {quote_identifier(k)}" for k in key)
        keys = ", ".join(quote_identifier(k) for k in key)
        not_null = " AND ".join(f"{quote_identifier(k)} IS NOT NULL" for k in key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE dup AS SELECT __pos, min(__pos) OVER (PARTITION BY {keys}) AS __first "
            f"FROM (SELECT raw.rowid AS __pos, {values} FROM raw, __maps) WHERE {not_null}"
        )
        total += int(con.execute("SELECT count(*) FROM dup WHERE __pos <> __first").fetchone()[0])  # type: ignore[index]
        rows = con.execute(
            "SELECT __pos, __first FROM dup WHERE __pos <> __first ORDER BY __pos LIMIT ?", [max_listed]
        ).fetchall()
        label = " + ".join(key)
        for pos, first in rows:
            issues.append(ValidationIssue(_row_number(int(pos), rejected_lines), label, Reason.DUPLICATE_KEY,
                                          f"{label} repeats the key of row {_row_number(int(first), rejected_lines)}"))
    return issues, total


def _row_number(position: int, rejected_lines: list[int]) -> int:
    """Spreadsheet row of the ``position``-th (0-based) parsed row: the header is row 1 and
    rows DuckDB rejected as malformed are skipped by the parse but still count."""
    row = position + 2
    index = 0
    while index < len(rejected_lines) and rejected_lines[index] <= row:
        row += 1
        index += 1
    return row

