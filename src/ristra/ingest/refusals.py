"""What the file readers refuse, shared by every reader (CSV, XLSX, Parquet): the size limits of
a workbook and the error a person can act on."""

from __future__ import annotations

#: Refuse workbooks whose parts expand past this many bytes (zip-bomb guard).
MAX_XLSX_EXPANDED_BYTES = 2_000_000_000
#: Refuse workbooks whose expansion ratio is beyond any real spreadsheet's.
MAX_XLSX_RATIO = 200


class UnreadableFile(Exception):
    """The file cannot be read as any supported format (exit code 2)."""
