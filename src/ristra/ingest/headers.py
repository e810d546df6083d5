"""Is a file's first line a header? Which header cells may be shown back to the user?

A file without a header row starts with a record: names, a birth date, an e-mail address, a
ZIP code, a race. Listing those cells as "unknown columns" would echo a person's data, so a
first line in which no cell names a column and some cell looks like data is reported once, as
``no_header``, without any of its cells; and an unknown header cell is shown only when it looks
like a column name (never when it looks like a value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ristra.core.datasets import US_STATES, Dataset

#: More columns than this and the header is refused (``too_many_columns``): every dataset has
#: fewer than 50, and a real export with ignored extras a few hundred.
MAX_COLUMNS = 2_000

_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\S+)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMERIC = re.compile(r"[+\-]?[\d\s.,()/:\-]*\d[\d\s.,()/:\-]*")
_COLUMN_NAME = re.compile(r"[^\W\d][\w .\-/()#?&%:']{0,79}")


_CODES: dict[str, frozenset[str]] = {}


def _codes(dataset: Dataset) -> frozenset[str]:
    """Every spelling of the dataset's vocabularies, and the US state codes (lower case)."""
    if dataset.name not in _CODES:
        spellings: set[str] = {s.lower() for s in US_STATES}
        for column in dataset.columns:
            if column.vocabulary is not None:
                spellings.update(s for s in column.vocabulary.spellings() if s)
        _CODES[dataset.name] = frozenset(spellings)
    return _CODES[dataset.name]


def looks_like_data(cell: str, dataset: Dataset) -> bool:
    """Whether a header cell looks like a value rather than a name: a date, an e-mail address,
    a number (a ZIP code, a FIPS code, a year, a telephone number) or a code of one of the
    dataset's vocabularies (``female``, ``yes``, ``white``, ``NM``)."""
    text = cell.strip()
    if not text:
        return False
    return bool(_DATE.fullmatch(text) or _EMAIL.fullmatch(text) or _NUMERIC.fullmatch(text)
                or text.lower() in _codes(dataset))


def looks_like_column_name(cell: str, dataset: Dataset) -> bool:
    """Whether an unknown header cell may be echoed: it reads like a name (a letter first, then
    letters, digits, spaces and a little punctuation; at most 80 characters) and not like data."""
    text = cell.strip()
    return bool(_COLUMN_NAME.fullmatch(text)) and not looks_like_data(text, dataset)


def first_line_is_data(cells: Iterable[str], known: int, dataset: Dataset) -> int:
    """How many cells of a first line look like data, when no cell names a column (``known``
    is 0); 0 when the line is a header (of this dataset or of another)."""
    if known:
        return 0
    return sum(1 for cell in cells if looks_like_data(cell, dataset))
