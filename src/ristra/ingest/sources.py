"""Recognise an input file and prepare it as UTF-8 delimited text for DuckDB.

Supported: CSV and other delimited text (comma, semicolon, tab, pipe; UTF-8 with or without
a byte-order mark, UTF-16 with a BOM, Windows-1252, Latin-1), XLSX (read with
python-calamine) and Parquet. XLSX and Parquet are converted to a temporary UTF-8 CSV so
that one validation path serves every format, with the spreadsheet's row numbers kept.

Anything else — binary garbage, an image renamed ``.csv``, a truncated workbook, a workbook
whose compressed parts expand past :data:`~ristra.ingest.refusals.MAX_XLSX_EXPANDED_BYTES` — raises
:class:`UnreadableFile` with a message a person can act on.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ristra.core.validation_issues import Reason, ValidationIssue
from ristra.ingest.messages import encoding_name
from ristra.ingest.refusals import UnreadableFile

_SNIFF_BYTES = 1 << 16
#: The longest line (a header or a row) read, as DuckDB's ``max_line_size`` in the validator.
MAX_LINE_CHARS = 4_000_000
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
    #: Mixed line endings were looked for (and made uniform when found).
    line_endings_checked: bool = False
    #: The one issue that stops the file being read, when there is one (a workbook's chosen
    #: sheet is empty; a byte that is not valid in the encoding a BOM declares).
    issue: ValidationIssue | None = None


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
    except OSError as error:  # the file changed after it was checked
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
        if prepared.empty and converted.empty_message:
            return replace(prepared, issue=ValidationIssue(None, None, Reason.EMPTY_SHEET, converted.empty_message))
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
    encoding, decided = _detect_encoding(path, head, whole_file=whole_file)
    if encoding in ("utf-8", "utf-8-sig"):
        prepared = _prepared_text(path, "csv", encoding)
        return replace(prepared, assumed_utf8=not decided)
    target = workdir / "transcoded.csv"
    bad_line = _transcode(path, target, encoding)
    if bad_line is not None:
        message = (f"line {bad_line} contains bytes that are not valid {encoding_name(encoding)} (the encoding "
                   "the file's byte-order mark declares); save the file as UTF-8 and try again")
        return PreparedSource(path, ",", (), "csv", encoding, empty=True,
                              issue=ValidationIssue(bad_line, None, Reason.ENCODING, message))
    return _prepared_text(target, "csv", encoding)


def confirm_encoding(source: PreparedSource, original: Path, workdir: Path) -> PreparedSource:
    """After DuckDB met a problem in a file assumed to be UTF-8 from its first bytes: decide
    over the whole file. A file holding UTF-8 characters stays UTF-8 (its invalid bytes are then
    issues on their rows); only a file with no UTF-8 character at all is read as Windows-1252
    (or Latin-1) and transcoded."""
    if not source.assumed_utf8:
        return source
    return _prepare_text(original, workdir, whole_file=True)


def normalise_line_endings(source: PreparedSource, workdir: Path) -> PreparedSource:
    """``source`` with uniform line endings: a file whose records end in a mix of CRLF and LF
    (or CR) is rewritten record by record (values untouched, line feeds inside quoted values
    kept) with LF endings, which DuckDB's strict reader needs. A file that Python's strict CSV
    reader cannot parse either is returned as it is, for the validator to report."""
    if source.line_endings_checked or not _mixed_line_endings(source.path):
        return replace(source, line_endings_checked=True)
    target = workdir / f"line-endings-{source.path.stem}.csv"
    try:
        with source.path.open("r", encoding="utf-8-sig", newline="") as reader, \
                target.open("w", encoding="utf-8", newline="") as writer:
            rows = csv.reader(reader, delimiter=source.delimiter, quotechar='"', doublequote=True, strict=True)
            csv.writer(writer, delimiter=source.delimiter, quotechar='"', lineterminator="\n").writerows(rows)
    except (csv.Error, UnicodeDecodeError):
        target.unlink(missing_ok=True)
        return replace(source, line_endings_checked=True)
    return replace(source, path=target, line_endings_checked=True)


def _mixed_line_endings(path: Path) -> bool:
    crlf = lf = cr = 0
    previous = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            joined = previous + chunk
            crlf += joined.count(b"\r\n") - previous.count(b"\r\n")
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            previous = chunk[-1:]
    lone_lf, lone_cr = lf - crlf, cr - crlf
    return sum(1 for n in (crlf, lone_lf, lone_cr) if n) > 1


#: One UTF-8 encoded character of two to four bytes (RFC 3629: no overlong forms, no surrogates).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _detect_encoding(path: Path, head: bytes, *, whole_file: bool) -> tuple[str, bool]:
    """The text encoding, and whether the whole file decided it (not only its first bytes).

    A BOM decides (UTF-8 or UTF-16). Without one: UTF-8 when the first 64 KiB decode as UTF-8
    (DuckDB checks the rest as it reads; :func:`confirm_encoding` decides over the whole file if
    it finds a problem, ``whole_file``); otherwise the whole file decides: a file that holds
    UTF-8 characters is UTF-8 (with invalid bytes, reported on their rows), one that holds none
    is Windows-1252 (when it decodes) or Latin-1. Never a guess from a prefix that the rest
    contradicts. NUL bytes mean UTF-16 without a BOM (refused: it cannot be told apart from
    binary data reliably) or binary data."""
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", True
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if b"\x00" in head:
        if _utf16_without_bom(head):
            raise UnreadableFile(f"{path.name} looks like UTF-16 text without a byte-order mark, which cannot be "
                                 "read reliably; save it as UTF-8 (or as UTF-16 with a byte-order mark)")
        raise UnreadableFile(f"{path.name} contains binary data (NUL bytes); it is not a text file")
    if not whole_file and _head_decodes(head, "utf-8"):
        return "utf-8", False
    valid, multibyte = _utf8_verdict(path)
    if valid or multibyte:
        return "utf-8", True
    if _control_heavy(head):
        raise UnreadableFile(f"{path.name} does not look like text: it is not a CSV, XLSX or Parquet file")
    if _decodes(path, "cp1252"):
        return "cp1252", True
    return "latin-1", True


def _utf16_without_bom(head: bytes) -> bool:
    """Whether ``head`` reads as UTF-16 text of mostly Latin characters: NUL in nearly every
    other byte, and in no other position."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return max(even, odd) >= 0.6 * half and min(even, odd) <= 0.05 * half


def _utf8_verdict(path: Path) -> tuple[bool, bool]:
    """(the whole file decodes as UTF-8, the file holds at least one UTF-8 multi-byte character)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, multibyte, tail = True, False, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            multibyte = multibyte or _UTF8_MULTIBYTE.search(tail + chunk) is not None
            tail = chunk[-3:]
            if valid:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
            if multibyte and not valid:
                break
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return valid, multibyte


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


def _transcode(source: Path, target: Path, encoding: str) -> int | None:
    """Write ``source`` as UTF-8; the line of the first undecodable byte, if any (nothing is
    replaced: such a file is refused)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as writer:
        try:
            while chunk := reader.read(1 << 20):
                text = decoder.decode(chunk)
                writer.write(text)
                lines += text.count("\n")
            writer.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            return lines + error.object[: error.start].decode(encoding, errors="replace").count("\n")
    return None


def _prepared_text(path: Path, original_format: str, encoding: str) -> PreparedSource:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    if not sample.strip():
        return PreparedSource(path, ",", (), original_format, encoding, empty=True)
    first_line = sample.splitlines()[0] if sample.splitlines() else sample
    delimiter = _sniff_delimiter(first_line)
    return PreparedSource(path, delimiter, _read_header(path, delimiter), original_format, encoding)


class _HeaderTooLong(Exception):
    pass


def _read_header(path: Path, delimiter: str) -> tuple[str, ...]:
    """The first record of ``path``, however long (up to :data:`MAX_LINE_CHARS`), parsed as
    delimited text: a header is never cut at the sniffing sample's end."""
    csv.field_size_limit(MAX_LINE_CHARS)
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:

        def lines() -> Iterator[str]:
            read = 0
            while line := handle.readline(MAX_LINE_CHARS + 1 - read):
                read += len(line)
                if read > MAX_LINE_CHARS:
                    raise _HeaderTooLong
                yield line

        try:
            return tuple(next(csv.reader(lines(), delimiter=delimiter, quotechar='"', doublequote=True)))
        except _HeaderTooLong:
            raise UnreadableFile(f"{path.name}: the header line is longer than {MAX_LINE_CHARS:,} characters; "
                                 "it is not a header ristra can read") from None
        except (csv.Error, StopIteration):
            raise UnreadableFile(f"{path.name}: the header line cannot be parsed as delimited text") from None


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
