"""XLSX input: one worksheet, read with python-calamine, written out as UTF-8 CSV.

The sheet is the one named (``--sheet NAME`` on the command line), else the first *visible*
worksheet: a hidden sheet (a draft, a lookup table) is never imported unless named. When the
chosen sheet is empty the message names the workbook's sheets, so that the right one can be
chosen.

Guards: the archive is inspected before anything is decompressed, and a workbook whose
parts would expand past :data:`~ristra.ingest.refusals.MAX_XLSX_EXPANDED_BYTES`, or by more
than :data:`~ristra.ingest.refusals.MAX_XLSX_RATIO` times, is refused (a zip bomb). A
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ristra.ingest.refusals import MAX_XLSX_EXPANDED_BYTES, MAX_XLSX_RATIO, UnreadableFile


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


@dataclass(frozen=True)
class ConvertedSheet:
    """The CSV written from one worksheet; ``empty_message`` says so when the sheet was empty."""

    path: Path
    sheet: str
    empty_message: str | None = None


def workbook_to_csv(path: Path, target: Path, *, sheet: str | None = None) -> ConvertedSheet:
    """Write worksheet ``sheet`` of ``path`` (default: the first visible one) to ``target`` as
    UTF-8 CSV. Raises :class:`UnreadableFile` for a corrupt workbook, a sheet that does not
    exist, or a workbook whose worksheets are all hidden."""
    from python_calamine import CalamineWorkbook

    check_archive(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = _worksheets(workbook)
        chosen = _choose(path, sheets, sheet)
        rows = workbook.get_sheet_by_name(chosen).iter_rows()
        written = False
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for row in rows:
                cells = [_cell_text(value) for value in row]
                written = written or any(cells)
                writer.writerow(cells)
        if written:
            return ConvertedSheet(target, chosen)
        target.write_bytes(b"")
        listed = ", ".join(_described(workbook, name, hidden) for name, hidden in sheets)
        return ConvertedSheet(target, chosen, f"the sheet {chosen!r} is empty; the workbook's sheets are: {listed}. "
                                              "Choose the sheet with the data (ristra import --sheet NAME), or move "
                                              "it to the first sheet")
    except UnreadableFile:
        raise
    except Exception as error:  # calamine raises several unrelated types for corrupt parts
        raise UnreadableFile(f"{path.name} could not be read as an XLSX workbook ({type(error).__name__})") from None


def _worksheets(workbook: Any) -> list[tuple[str, bool]]:
    """(name, hidden) of each worksheet, in the workbook's order (chart sheets left out)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    return [(meta.name, meta.visible != SheetVisibleEnum.Visible) for meta in workbook.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet]


def _choose(path: Path, sheets: list[tuple[str, bool]], sheet: str | None) -> str:
    names = ", ".join(f"{name!r}" + (" (hidden)" if hidden else "") for name, hidden in sheets) or "none"
    if sheet is not None:
        for name, _hidden in sheets:
            if name == sheet:
                return name
        for name, _hidden in sheets:
            if name.strip().casefold() == sheet.strip().casefold():
                return name
        raise UnreadableFile(f"{path.name} has no sheet named {sheet!r}; its sheets are: {names}")
    for name, hidden in sheets:
        if not hidden:
            return name
    raise UnreadableFile(f"{path.name} has no visible worksheet (its sheets are: {names}); "
                         "name the one to import with --sheet NAME")


def _described(workbook: Any, name: str, hidden: bool) -> str:
    notes = []
    try:
        if not any(any(cell not in (None, "") for cell in row) for row in workbook.get_sheet_by_name(name).iter_rows()):
            notes.append("empty")
    except Exception:  # noqa: BLE001 - a sheet that cannot be read is described without a note
        pass
    if hidden:
        notes.append("hidden")
    return repr(name) + (f" ({', '.join(notes)})" if notes else "")


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
