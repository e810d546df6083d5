"""Parquet input: each column written out as text the validator understands.

A Parquet file may carry real types (dates, integers, lists) or the wrong ones (a year
stored as text, a date as an integer). Converting every column to text and validating that
text means wrong types become ordinary, row-numbered issues instead of crashes: a list
becomes ``a;b``, a date or timestamp becomes ``YYYY-MM-DD``, a whole float its digits
(``1990.0`` → ``1990``, as for a spreadsheet's numbers), everything else its text form.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ristra.engine.connections import connect
from ristra.ingest.refusals import UnreadableFile


def parquet_to_csv(path: Path, target: Path) -> Path:
    """Write ``path`` (Parquet) to ``target`` as UTF-8 CSV with a header and return ``target``."""
    con = connect()
    try:
        try:
            schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        except duckdb.Error:
            raise UnreadableFile(f"{path.name} is not a readable Parquet file (truncated or corrupt)") from None
        expressions = []
        for name, type_name, *_rest in schema:
            quoted = '"' + str(name).replace('"', '""') + '"'
            type_upper = str(type_name).upper()
            if type_upper.endswith("[]"):
                text = f"array_to_string({quoted}, ';')"
            elif type_upper == "DATE" or type_upper.startswith("TIMESTAMP"):
                text = f"strftime({quoted}, '%Y-%m-%d')"
            elif type_upper in ("FLOAT", "DOUBLE"):
                # a whole float is written as its digits, as for a spreadsheet's numbers (pandas
                # stores an integer column with gaps as float64: 1990.0); any other stays as it is
                text = (f"CASE WHEN {quoted} = trunc({quoted}) AND abs({quoted}) < 1e15 "
                        f"THEN CAST(CAST({quoted} AS BIGINT) AS VARCHAR) ELSE CAST({quoted} AS VARCHAR) END")
            else:
                text = f"CAST({quoted} AS VARCHAR)"
            expressions.append(f"{text} AS {quoted}")
        select = ", ".join(expressions) or "NULL"
        try:
            con.execute(
                f"COPY (SELECT {select} FROM read_parquet(?)) TO '{_sql_path(target)}' (FORMAT csv, HEADER true)",
                [str(path)],
            )
        except duckdb.Error:
            raise UnreadableFile(f"{path.name} could not be read as Parquet (corrupt data pages)") from None
    finally:
        con.close()
    return target


def _sql_path(path: Path) -> str:
    """A path literal for COPY TO (which takes no parameters); quotes doubled."""
    return str(path).replace("'", "''")
