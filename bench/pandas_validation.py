"""The baseline the import benchmark compares against: a straightforward pandas import —
``read_csv`` of everything as text, then a row-by-row Python check of every cell against the
same declarations, collecting issues — the way such a validator is usually first written."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ristra.core.datasets import US_STATES, Dataset

_ZIP = re.compile(r"^\d{5}$")
_FIPS = re.compile(r"^\d{5}$")


def validate_with_pandas(dataset: Dataset, path: Path, today: dt.date) -> list[tuple[int, str, str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    spellings = {c.name: c.vocabulary.spellings() for c in dataset.columns if c.vocabulary is not None}
    columns = [dataset.column(name) for name in frame.columns]
    issues: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    key = dataset.key[0]
    for position, record in enumerate(frame.itertuples(index=False, name=None)):
        row_number = position + 2
        for column, raw in zip(columns, record, strict=True):
            text = raw.strip()
            if not text:
                if column.required and column.kind not in ("code", "code_set"):
                    issues.append((row_number, column.name, "missing_value"))
                continue
            kind = column.kind
            if kind in ("code", "flag") and text.lower() not in spellings[column.name]:
                issues.append((row_number, column.name, "unknown_code"))
            elif kind == "code_set" and any(t.strip().lower() not in spellings[column.name]
                                            for t in re.split(r"[;,|]", text) if t.strip()):
                issues.append((row_number, column.name, "unknown_code"))
            elif kind == "year" and (not text.isdigit() or int(text) > today.year + column.future_years):
                issues.append((row_number, column.name, "bad_year"))
            elif kind == "date":
                try:
                    if dt.date.fromisoformat(text) > today:
                        issues.append((row_number, column.name, "future_date"))
                except ValueError:
                    issues.append((row_number, column.name, "bad_date"))
            elif kind in ("text", "id") and text[0] in "=+-@":
                issues.append((row_number, column.name, "formula"))
            elif kind == "zip" and not _ZIP.match(text):
                issues.append((row_number, column.name, "bad_zip"))
            elif kind == "fips" and not _FIPS.match(text):
                issues.append((row_number, column.name, "bad_fips"))
            elif kind == "state" and text.upper() not in US_STATES:
                issues.append((row_number, column.name, "bad_state"))
        key_value = record[frame.columns.get_loc(key)]
        if key_value in seen:
            issues.append((row_number, key, "duplicate_key"))
        seen.add(key_value)
    if not issues:
        frame.to_parquet(path.with_suffix(".pandas.parquet"))
    return issues
