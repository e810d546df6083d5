"""Builders for well-formed and malformed input files (the bad-input corpus).

Every person here is synthetic; values that stand for sensitive data carry the marker
``SECRET`` so tests can prove they are never echoed back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

HEADER = (
    "application_id", "person_id", "sex", "hispanic", "race", "birth_year", "residence_state",
    "residence_county_fips", "residence_city", "residence_zip", "cycle", "program", "in_state",
    "application_date", "completed", "interviewed", "interview_date", "offered", "offer_date", "declined",
    "waitlisted", "matriculated",
)


def row(i: int, **overrides: str) -> list[str]:
    """A valid application row ``i`` with optional replaced values."""
    values = {
        "application_id": f"A{i:07d}", "person_id": f"P{i:07d}", "sex": "female" if i % 2 else "male",
        "hispanic": ("yes", "no", "unknown")[i % 3], "race": ("white", "american_indian_alaska_native",
                                                               "black;white", "asian")[i % 4],
        "birth_year": str(1990 + i % 10), "residence_state": "NM", "residence_county_fips": "35001",
        "residence_city": "Albuquerque", "residence_zip": "87106", "cycle": str(2016 + i % 10), "program": "MD",
        "in_state": "yes", "application_date": "2015-07-01", "completed": "true", "interviewed": "true",
        "interview_date": "2015-10-01", "offered": "false", "offer_date": "", "declined": "false",
        "waitlisted": "false", "matriculated": "false",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def csv_text(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, *,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.write_text(csv_text(rows, header, delimiter), encoding=encoding, newline="")
    return path


def valid_rows(n: int = 5) -> list[list[str]]:
    return [row(i) for i in range(n)]
