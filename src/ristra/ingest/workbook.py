"""XLSX input: the first worksheet, read with python-calamine, written out as UTF-8 CSV.

Guards: the archive is inspected before anything is decompressed, and a workbook whose
parts would expand past :data:`~ristra.ingest.sources.MAX_XLSX_EXPANDED_BYTES`, or by more
than :data:`~ristra.ingest.sources.MAX_XLSX_RATIO` times, is refused (a zip bomb). A
truncated or corrupt workbook is refused with :class:`UnreadableFile`.

Cell values become text the validator understands: dates as ISO ``YYYY-MM-DD``, whole
floats without ``.0`` (spreadsheets store 2023 as 2023.0), booleans as ``true``/``false``.
Leading blank rows are skipped; row numbers in issues stay the spreadsheet's own because the
header is always written as row 1 and no data row is dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

from ristra.ingest.sources import MAX_XLSX_EXPANDED_BYTES, MAX_XLSX_RATIO, UnreadableFile


def check_archive(path: Path) -> None:
    """Refuse a workbook that is not a readable zip or would expand past the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError):
        raise UnreadableFile(f"{path.name} is not a readable XLSX workbook (truncated or corrupt archive)") from None
    expanded = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if expanded > MAX_XLSX_EXPANDED_BYTES or expanded / compressed > MAX_XLSX_RATIO and expanded > 50_000_000:
        raise UnreadableFile(
            f"{path.name} expands to {expanded / 1e6:.0f} MB from {compressed / 1e6:.1f} MB; "
            "refused as a possible zip bomb (save the sheet as CSV if it is genuine)"
        )
    if not any(info.filename.startswith("xl/worksheets/") for info in infos):
        raise UnreadableFile(f"{path.name} is a zip archive but not an XLSX workbook")


def workbook_to_csv(path: Path, target: Path) -> Path:
    """Write the first worksheet of ``path`` to ``target`` as UTF-8 CSV and return ``target``."""
    from python_calamine import CalamineWorkbook

    check_archive(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for row in rows:
                writer.writerow([_cell_text(value) for value in row])
    except UnreadableFile:
        raise
    except Exception as error:  # calamine raises several unrelated types for corrupt parts
        raise UnreadableFile(f"{path.name} could not be read as an XLSX workbook ({type(error).__name__})") from None
    return target


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta | dt.time):
        return str(value)
    return str(value)
