"""An independent check of a generated file against its canonical declaration."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from ristra.core.datasets import US_STATES, Column, Dataset

LAST_CYCLE = 2025
AS_OF = dt.date(LAST_CYCLE, 12, 31)
_DIGITS5 = re.compile(r"^\d{5}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _problems(column: Column, value: str) -> Iterator[str]:
    if value == "":
        if column.required:
            yield "missing"
        return
    kind = column.kind
    if len(value) > column.max_length:
        yield "too long"
    if kind in ("text", "id") and value[0] in "=+-@":
        yield "formula"
    if kind == "code" and value not in column.allowed_values:
        yield f"unknown code {value!r}"
    if kind == "code_set":
        parts = value.split(";")
        if any(p not in column.allowed_values for p in parts) or len(set(parts)) != len(parts):
            yield f"bad set {value!r}"
    if kind == "flag" and value not in ("true", "false"):
        yield f"bad flag {value!r}"
    if kind in ("integer", "year"):
        if not re.fullmatch(r"-?\d+", value):
            yield "not an integer"
            return
        number = int(value)
        if column.minimum is not None and number < column.minimum:
            yield "below minimum"
        if kind == "year" and number > LAST_CYCLE + column.future_years:
            yield "future year"
    if kind == "number":
        number_f = float(value)
        if (column.minimum is not None and number_f < column.minimum) or (
            column.maximum is not None and number_f > column.maximum
        ):
            yield "out of range"
    if kind == "date":
        if not _DATE.match(value):
            yield "not ISO"
            return
        if dt.date.fromisoformat(value) > AS_OF:
            yield "future date"
    if kind in ("fips", "zip") and not _DIGITS5.match(value):
        yield f"bad {kind}"
    if kind == "state" and value not in US_STATES:
        yield "bad state"


def check_file(path: Path, dataset: Dataset) -> list[str]:
    """Every problem of a generated file against its declaration (empty list: valid)."""
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        declared = dataset.column_names
        if header != [c for c in declared if c in header]:
            problems.append(f"header not canonical or out of order: {header}")
        missing = set(dataset.required_columns) - set(header)
        if missing:
            problems.append(f"required columns missing: {sorted(missing)}")
        columns = [dataset.column(name) for name in header if name in declared]
        keys: set[tuple[str, ...]] = set()
        together: list[set[tuple[str, ...]]] = [set() for _ in dataset.unique_together]
        position = {name: i for i, name in enumerate(header)}
        for line, record in enumerate(reader, start=2):
            if len(record) != len(header):
                problems.append(f"line {line}: ragged")
                continue
            for column, value in zip(columns, record, strict=True):
                problems.extend(f"line {line} {column.name}: {p}" for p in _problems(column, value))
            key = tuple(record[position[k]] for k in dataset.key)
            if key in keys:
                problems.append(f"line {line}: duplicate key {key}")
            keys.add(key)
            for seen, names in zip(together, dataset.unique_together, strict=True):
                value_t = tuple(record[position[k]] for k in names)
                if value_t in seen:
                    problems.append(f"line {line}: duplicate {names}")
                seen.add(value_t)
            if len(problems) > 20:
                break
    return problems


# -- validity ---------------------------------------------------------------------------------
