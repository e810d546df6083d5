"""Recognise an input file and prepare it as UTF-8 delimited text for DuckDB.

Supported: CSV and other delimited text (comma, semicolon, tab, pipe; UTF-8 with or without
a byte-order mark, UTF-16 with a BOM, Windows-1252, Latin-1), XLSX (read with
python-calamine) and Parquet. XLSX and Parquet are converted to a temporary UTF-8 CSV so
that one validation path serves every format, with the spreadsheet's row numbers kept.

Anything else — binary garbage, an image renamed ``.csv``, a truncated workbook, a workbook
whose compressed parts expand past :data:`MAX_XLSX_EXPANDED_BYTES` — raises
:class:`UnreadableFile` with a message a person can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

#: Refuse workbooks whose parts expand past this many bytes (zip-bomb guard).
MAX_XLSX_EXPANDED_BYTES = 2_000_000_000
#: Refuse workbooks whose expansion ratio is beyond any real spreadsheet's.
MAX_XLSX_RATIO = 200
_SNIFF_BYTES = 1 << 16
_DELIMITERS = (",", ";", "\t", "|")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old binary Office file (.xls/.doc); save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
)


class UnreadableFile(Exception):
    """The file cannot be read as any supported format (exit code 2)."""


@dataclass(frozen=True)
class PreparedSource:
    """A source ready for DuckDB: a UTF-8 delimited text file and its parsed header.

    ``original_format`` is ``csv``, ``xlsx`` or ``parquet``; ``encoding`` is what the
    original text was decoded from (``utf-8`` for converted formats).
    """

    path: Path
    delimiter: str
    header: tuple[str, ...]
    original_format: str
    encoding: str
    empty: bool = False
    #: UTF-8 judged from the first bytes only; DuckDB checks the rest as it reads, and
    #: :func:`confirm_encoding` decides properly if it finds a problem.
    assumed_utf8: bool = False
    #: Why the file is empty, when that needs saying (a workbook's chosen sheet is empty).
    empty_message: str | None = None


def check_regular_file(path: Path, *, max_bytes: int | None = None) -> int:
    """The size of ``path`` after checking, without opening it, that it is a regular file (not
    a directory, a named pipe, a device such as ``/dev/zero`` or a socket) and, when
    ``max_bytes`` is given, no larger than that. Raises :class:`UnreadableFile`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile(f"no such file: {path.name}") from None
    except NotADirectoryError:
        raise UnreadableFile(f"no such file: {path}") from None
    except OSError as error:
        raise UnreadableFile(f"cannot open {path.name}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(f"{path.name} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path.name} is not a regular file (a named pipe, a device or a socket); "
                             "save the data to a file and import that")
    if max_bytes is not None and info.st_size > max_bytes:
        raise UnreadableFile(f"{path.name} is {_megabytes(info.st_size)}; the largest file accepted is "
                             f"{_megabytes(max_bytes)}. Split it, or raise the limit "
                             "(--max-size-mb, or RISTRA_MAX_UPLOAD_MB)")
    return info.st_size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


def detect_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's first bytes (never its extension).
    Only a regular file is opened (:func:`check_regular_file`)."""
    check_regular_file(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise UnreadableFile(f"no such file: {path.name}") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path.name} is a directory, not a file") from None
    except OSError as error:
        raise UnreadableFile(f"cannot open {path.name}: {error.strerror}") from None
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise UnreadableFile(f"{path.name} is {what}, not a CSV, XLSX or Parquet file")
    return "csv"


def prepare(path: Path, workdir: Path, *, sheet: str | None = None) -> PreparedSource:
    """Recognise ``path`` and return it as UTF-8 delimited text (converting when needed).

    ``sheet`` names the worksheet of a workbook (default: the first visible one); it is
    refused for other formats. Temporary files are written inside ``workdir``, which the
    caller owns and removes.
    """
    kind = detect_format(path)
    if sheet is not None and kind != "xlsx":
        raise UnreadableFile(f"{path.name} is not a workbook, so it has no sheet {sheet!r} to choose")
    if kind == "xlsx":
        from ristra.ingest.workbook import workbook_to_csv

        converted = workbook_to_csv(path, workdir / "converted.csv", sheet=sheet)
        prepared = _prepared_text(converted.path, "xlsx", "utf-8")
        if prepared.empty:
            return replace(prepared, empty_message=converted.empty_message)
        return prepared
    if kind == "parquet":
        from ristra.ingest.parquet_source import parquet_to_csv

        return _prepared_text(parquet_to_csv(path, workdir / "converted.csv"), "parquet", "utf-8")
    return _prepare_text(path, workdir)


def _prepare_text(path: Path, workdir: Path, *, whole_file: bool = False) -> PreparedSource:
    if path.stat().st_size == 0:
        return PreparedSource(path, ",", (), "csv", "utf-8", empty=True)
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    encoding = _detect_encoding(path, head, whole_file=whole_file)
    if encoding in ("utf-8", "utf-8-sig"):
        prepared = _prepared_text(path, "csv", encoding)
        return replace(prepared, assumed_utf8=not whole_file)
    target = workdir / "transcoded.csv"
    _transcode(path, target, encoding)
    return _prepared_text(target, "csv", encoding)


def confirm_encoding(source: PreparedSource, original: Path, workdir: Path) -> PreparedSource:
    """After DuckDB met a problem in a file assumed to be UTF-8: decode the whole file and,
    if it is not UTF-8 after all, transcode it (Windows-1252 or Latin-1) and return that."""
    if not source.assumed_utf8:
        return source
    return _prepare_text(original, workdir, whole_file=True)


def _detect_encoding(path: Path, head: bytes, *, whole_file: bool) -> str:
    """The text encoding: a BOM decides; else UTF-8 if the text decodes as UTF-8 (the first
    64 KiB, or the whole file when ``whole_file``), else Windows-1252 (when it decodes) or
    Latin-1. NUL bytes outside UTF-16 mean binary data."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        encoding = "utf-8"
    if b"\x00" in head:
        raise UnreadableFile(f"{path.name} contains binary data (NUL bytes); it is not a text file")
    if _decodes(path, encoding) if whole_file else _head_decodes(head, encoding):
        return encoding
    if _control_heavy(head):
        raise UnreadableFile(f"{path.name} does not look like text: it is not a CSV, XLSX or Parquet file")
    if _decodes(path, "cp1252"):
        return "cp1252"
    return "latin-1"


def _head_decodes(head: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head)  # not final: a character cut at the end of the sample is fine
    except UnicodeDecodeError:
        return False
    return True


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _control_heavy(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(8, len(head) // 100)


def _transcode(source: Path, target: Path, encoding: str) -> None:
    with source.open("r", encoding=encoding, newline="") as reader, target.open("w", encoding="utf-8", newline="") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(chunk)


def _prepared_text(path: Path, original_format: str, encoding: str) -> PreparedSource:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    if not sample.strip():
        return PreparedSource(path, ",", (), original_format, encoding, empty=True)
    first_line = sample.splitlines()[0] if sample.splitlines() else sample
    delimiter = _sniff_delimiter(first_line)
    try:
        header = next(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"', doublequote=True))
    except (csv.Error, StopIteration):
        raise UnreadableFile(f"{path.name}: the header line cannot be parsed as delimited text") from None
    return PreparedSource(path, delimiter, tuple(header), original_format, encoding)


def _sniff_delimiter(line: str) -> str:
    """The delimiter that occurs most often outside quotes in the header line (comma on a tie)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","
