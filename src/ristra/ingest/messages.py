"""Plain-language messages for validation issues.

The raw value of a sensitive column is never included. For other columns a short excerpt
may be, after neutralising anything a spreadsheet or terminal would interpret (a leading
``= + - @`` is prefixed with an apostrophe; control characters become ``?``).
"""

from __future__ import annotations

from ristra.core.columnmap import ColumnMap
from ristra.core.datasets import Column
from ristra.core.validation_issues import REASONS

_EXCERPT_LENGTH = 40
#: The earliest date any date column accepts (the check is in :mod:`ristra.ingest.expressions`).
EARLIEST_DATE = "1900-01-01"
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252",
                   "latin-1": "Latin-1"}


def encoding_name(encoding: str) -> str:
    """``utf-8-sig`` → ``UTF-8``: the name a person knows an encoding by."""
    return _ENCODING_NAMES.get(encoding, encoding)


def neutralise(text: str) -> str:
    """A short, harmless excerpt of a non-sensitive value for a message."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text.strip())
    if cleaned[:1] in ("=", "+", "-", "@"):
        cleaned = "'" + cleaned
    if len(cleaned) > _EXCERPT_LENGTH:
        cleaned = cleaned[: _EXCERPT_LENGTH - 1] + "…"
    return cleaned


def issue_message(
    code: str,
    column: Column | None,
    *,
    excerpt: str | None = None,
    column_map: ColumnMap | None = None,
    dataset: str | None = None,
    header: str | None = None,
    fields: int | None = None,
    encoding: str | None = None,
) -> str:
    """The message for one issue. ``excerpt`` is used only for non-sensitive columns."""
    shown = ""
    if column is not None and not column.sensitive and excerpt is not None:
        shown = f" (found “{neutralise(excerpt)}”)"
    if code == "unknown_column":
        return (f"column {header!r} is not part of {dataset}; rename it with a column map "
                "or list it under 'ignore'")
    if code in ("ragged_row",):
        return f"this row does not have the header's {fields} fields"
    if code == "malformed_row":
        return "this row cannot be parsed (an unterminated quote or an over-long line)"
    if code == "encoding":
        tried = f" {encoding_name(encoding)}" if encoding else " text in the file's encoding"
        return f"this row contains bytes that are not valid{tried}; save the file as UTF-8 and try again"
    if column is None:
        return REASONS[code]
    name = column.name
    if code == "missing_value":
        return f"{name} is required and is empty"
    if code == "unknown_code":
        allowed = ", ".join(column.allowed_values)
        extra = " (use a column map to translate other spellings)"
        return f"{name}: value is not one of the allowed codes{shown}: {allowed}{extra}"
    if code == "too_long":
        return f"{name}: text is longer than {column.max_length} characters"
    if code == "formula":
        return f"{name}: text begins (after any spaces) with = + - or @ and would run as a spreadsheet formula{shown}"
    if code == "control_character":
        return f"{name}: text contains control characters"
    if code == "bad_date":
        fmt = column_map.date_format if column_map else "%Y-%m-%d"
        return f"{name}: not a valid date in the format {fmt}, or an impossible date{shown}"
    if code == "future_date":
        return f"{name}: lies in the future{shown}"
    if code == "out_of_range" and column.kind == "date":
        return f"{name}: out of range (must be on or after {EARLIEST_DATE}){shown}"
    if code == "out_of_range":
        bounds = []
        if column.minimum is not None:
            bounds.append(f"at least {column.minimum:g}")
        if column.maximum is not None:
            bounds.append(f"at most {column.maximum:g}")
        return f"{name}: out of range (must be {' and '.join(bounds)}){shown}"
    return f"{name}: {REASONS[code]}{shown}"
