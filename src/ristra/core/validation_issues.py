"""Validation issues: what is wrong with an input file, where, and why — never the raw value
of a sensitive field.

Reason codes (:class:`Reason`, each with a :class:`ReasonCategory`) are stable strings (they
appear in ``--json`` output and the API); their meaning is documented in ``docs/user-guide.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
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

class ReasonCategory(StrEnum):
    """What kind of problem a reason code names."""

    FILE = "file"                  #: the file as a whole cannot be read, or holds nothing
    STRUCTURE = "structure"        #: the header or the layout of a row
    COMPLETENESS = "completeness"  #: a required value is missing
    FORMAT = "format"              #: a value written in the wrong form
    VOCABULARY = "vocabulary"      #: a value outside the column's allowed codes
    RANGE = "range"                #: a value of the right form outside what is possible or allowed
    SAFETY = "safety"              #: text that would be unsafe to export or show
    CONSISTENCY = "consistency"    #: rows that contradict one another


class Reason(StrEnum):
    """Every validation reason code. The values are the stable strings of ``--json``, the API and
    ``docs/user-guide.md``; each code has a :attr:`category` and a one-line :attr:`meaning`."""

    UNREADABLE = "unreadable"
    EMPTY_FILE = "empty_file"
    NO_ROWS = "no_rows"
    ENCODING = "encoding"
    NO_HEADER = "no_header"
    TOO_MANY_COLUMNS = "too_many_columns"
    EMPTY_SHEET = "empty_sheet"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    DUPLICATE_COLUMN = "duplicate_column"
    BLANK_COLUMN_NAME = "blank_column_name"
    RAGGED_ROW = "ragged_row"
    MALFORMED_ROW = "malformed_row"
    MISSING_VALUE = "missing_value"
    UNKNOWN_CODE = "unknown_code"
    BAD_INTEGER = "bad_integer"
    BAD_NUMBER = "bad_number"
    BAD_YEAR = "bad_year"
    BAD_DATE = "bad_date"
    FUTURE_DATE = "future_date"
    OUT_OF_RANGE = "out_of_range"
    BAD_FIPS = "bad_fips"
    BAD_ZIP = "bad_zip"
    BAD_STATE = "bad_state"
    TOO_LONG = "too_long"
    FORMULA = "formula"
    DUPLICATE_KEY = "duplicate_key"
    CONTROL_CHARACTER = "control_character"

    @property
    def category(self) -> ReasonCategory:
        return _DESCRIBED[self][0]

    @property
    def meaning(self) -> str:
        return _DESCRIBED[self][1]


_C = ReasonCategory
_DESCRIBED: dict[Reason, tuple[ReasonCategory, str]] = {
    Reason.UNREADABLE: (_C.FILE, "the file cannot be read as CSV, XLSX or Parquet"),
    Reason.EMPTY_FILE: (_C.FILE, "the file has no content"),
    Reason.NO_ROWS: (_C.FILE, "the file has a header but no data rows"),
    Reason.ENCODING: (_C.FILE, "the text is not valid in any supported encoding"),
    Reason.NO_HEADER: (_C.STRUCTURE, "the first line holds data, not column names (the file has no header row)"),
    Reason.TOO_MANY_COLUMNS: (_C.STRUCTURE, "the header has more columns than ristra reads"),
    Reason.EMPTY_SHEET: (_C.FILE, "the chosen worksheet of a workbook is empty"),
    Reason.MISSING_COLUMN: (_C.STRUCTURE, "a required column is absent"),
    Reason.UNKNOWN_COLUMN: (_C.STRUCTURE,
                            "a column is not part of the dataset and the column map does not ignore it"),
    Reason.DUPLICATE_COLUMN: (_C.STRUCTURE, "two columns have the same name (after mapping)"),
    Reason.BLANK_COLUMN_NAME: (_C.STRUCTURE, "a column has no name"),
    Reason.RAGGED_ROW: (_C.STRUCTURE, "a row has more or fewer fields than the header"),
    Reason.MALFORMED_ROW: (_C.STRUCTURE, "a row cannot be parsed (e.g. an unterminated quote)"),
    Reason.MISSING_VALUE: (_C.COMPLETENESS, "a required value is empty"),
    Reason.UNKNOWN_CODE: (_C.VOCABULARY, "a value is not one of the column's allowed codes"),
    Reason.BAD_INTEGER: (_C.FORMAT, "not a whole number written in digits only (an optional leading minus)"),
    Reason.BAD_NUMBER: (_C.FORMAT, "not a decimal number written in digits with an optional point and minus"),
    Reason.BAD_YEAR: (_C.FORMAT, "not a four-digit year written in digits only"),
    Reason.BAD_DATE: (_C.FORMAT, "not a valid date (or an impossible one such as 30 February)"),
    Reason.FUTURE_DATE: (_C.RANGE, "a date or year lies in the future"),
    Reason.OUT_OF_RANGE: (_C.RANGE, "a number or date lies outside the column's allowed range"),
    Reason.BAD_FIPS: (_C.FORMAT, "not a five-digit county FIPS code"),
    Reason.BAD_ZIP: (_C.FORMAT, "not a five-digit ZIP code"),
    Reason.BAD_STATE: (_C.FORMAT, "not a two-letter US state or territory code"),
    Reason.TOO_LONG: (_C.RANGE, "text longer than the column allows"),
    Reason.FORMULA: (_C.SAFETY, "text that a spreadsheet would run as a formula (begins with = + - @)"),
    Reason.DUPLICATE_KEY: (_C.CONSISTENCY, "the row's key is also used by another row"),
    Reason.CONTROL_CHARACTER: (_C.SAFETY, "text contains control characters"),
}
del _C

#: Every reason code (its string) with a one-line meaning.
REASONS: dict[str, str] = {reason.value: reason.meaning for reason in Reason}


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
    code: Reason
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, Reason):  # a code read back from SQL or JSON is its string
            if self.code not in REASONS:
                raise ValueError(f"unknown validation reason code {self.code!r}")
            object.__setattr__(self, "code", Reason(self.code))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "code": self.code.value}

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
            tally[issue.code.value] = tally.get(issue.code.value, 0) + 1
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
