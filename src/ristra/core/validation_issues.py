"""Validation issues: what is wrong with an input file, where, and why — never the raw value
of a sensitive field.

Reason codes are stable strings (they appear in ``--json`` output and the API); their
meaning is documented in ``docs/user-guide.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: What a spreadsheet runs as a formula when it leads a cell: ``= + - @``, and a tab or a
#: carriage return (which some spreadsheets strip before looking again).
FORMULA_LEADS = "=+-@"
#: Leading characters a spreadsheet (and :func:`looks_like_formula`) skips before looking for a
#: formula lead: every character for which Python's ``str.isspace`` holds.
_SPACES_RE2 = r"\s\p{Z}\x0b\x1c-\x1f\x{85}"
#: The same test as :func:`looks_like_formula`, as an RE2 pattern for DuckDB's ``regexp_matches``
#: (``tests/ingest/test_ingest_verdicts.py`` checks that the two agree on every character).
FORMULA_SQL_PATTERN = rf"^([{_SPACES_RE2}]*[=+\-@]|[\t\r])"


def looks_like_formula(text: str) -> bool:
    """Whether ``text`` would run as a spreadsheet formula when exported: it begins, after any
    whitespace, with ``=``, ``+``, ``-`` or ``@``, or it begins with a tab or a carriage return.

    The import refuses such text in every text column (reason code ``formula``); the web app
    can call this for category labels and other text typed into it. Pure: no I/O.
    """
    if text[:1] in ("\t", "\r"):
        return True
    return text.lstrip()[:1] in tuple(FORMULA_LEADS)

#: Every reason code with a one-line meaning.
REASONS: dict[str, str] = {
    "unreadable": "the file cannot be read as CSV, XLSX or Parquet",
    "empty_file": "the file has no content",
    "no_rows": "the file has a header but no data rows",
    "encoding": "the text is not valid in any supported encoding",
    "no_header": "the first line holds data, not column names (the file has no header row)",
    "too_many_columns": "the header has more columns than ristra reads",
    "empty_sheet": "the chosen worksheet of a workbook is empty",
    "missing_column": "a required column is absent",
    "unknown_column": "a column is not part of the dataset and the column map does not ignore it",
    "duplicate_column": "two columns have the same name (after mapping)",
    "blank_column_name": "a column has no name",
    "ragged_row": "a row has more or fewer fields than the header",
    "malformed_row": "a row cannot be parsed (e.g. an unterminated quote)",
    "missing_value": "a required value is empty",
    "unknown_code": "a value is not one of the column's allowed codes",
    "bad_integer": "not a whole number written in digits only (an optional leading minus)",
    "bad_number": "not a decimal number written in digits with an optional point and minus",
    "bad_year": "not a four-digit year written in digits only",
    "bad_date": "not a valid date (or an impossible one such as 30 February)",
    "future_date": "a date or year lies in the future",
    "out_of_range": "a number or date lies outside the column's allowed range",
    "bad_fips": "not a five-digit county FIPS code",
    "bad_zip": "not a five-digit ZIP code",
    "bad_state": "not a two-letter US state or territory code",
    "too_long": "text longer than the column allows",
    "formula": "text that a spreadsheet would run as a formula (begins with = + - @)",
    "duplicate_key": "the row's key is also used by another row",
    "control_character": "text contains control characters",
}


@dataclass(frozen=True, order=True)
class ValidationIssue:
    """One problem found in an input file.

    ``row`` is the row number a spreadsheet user sees (the header is row 1, the first data
    row is row 2); ``None`` for problems with the file or a whole column. ``column`` is the
    canonical column name where known, else the source header. ``message`` never contains the
    raw value of a sensitive column.
    """

    row: int | None
    column: str | None
    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in REASONS:
            raise ValueError(f"unknown validation reason code {self.code!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[int, str, str]:
        return (self.row if self.row is not None else 0, self.column or "", self.code)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one file against one dataset.

    ``issues`` lists at most the configured number of issues, sorted by row; ``issue_total``
    counts all of them. ``valid`` is true only when there are none.
    """

    dataset: str
    source_name: str
    source_format: str
    encoding: str
    delimiter: str
    row_count: int
    issues: tuple[ValidationIssue, ...]
    issue_total: int

    @property
    def valid(self) -> bool:
        return self.issue_total == 0

    @property
    def truncated(self) -> bool:
        return self.issue_total > len(self.issues)

    def counts(self) -> dict[str, int]:
        """Listed issues per reason code."""
        tally: dict[str, int] = {}
        for issue in self.issues:
            tally[issue.code] = tally.get(issue.code, 0) + 1
        return tally

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source_name": self.source_name,
            "source_format": self.source_format,
            "encoding": self.encoding,
            "row_count": self.row_count,
            "valid": self.valid,
            "issue_total": self.issue_total,
            "issues": [i.to_dict() for i in self.issues],
        }
