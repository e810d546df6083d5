"""What a section of a report is before release: its tables of counts (plain
:class:`~ristra.core.tables.Table` values, never shown as they are), what each count cell means,
how each derived column is formatted, and the section's notes and chart.

The service releases the tables of every section together (:func:`ristra.core.disclosure.release`)
and only the released tables reach the renderers (:mod:`ristra.reports.document`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ristra.core.categories.crossing import SEPARATOR
from ristra.core.metrics.groupings import Grouping
from ristra.core.tables import Table
from ristra.reports.measures import Meaning
from ristra.reports.templates import Section

Cell = tuple[int, int]

#: How a derived column is shown: a share or rate (percent), a ratio, a p-value, an interval of a
#: share (percent) or of a ratio.
FORMATS = ("percent", "ratio", "pvalue", "interval_percent", "interval_ratio")

_LEVEL_LABELS = {"yes": "In category", "no": "Not in category", "unknown": "Unknown"}
TOTAL_LEVEL = "All"


@dataclass(frozen=True)
class SectionTable:
    """One table of a computed section, unreleased. ``meanings`` maps count cells to what they count (cells
    without a meaning are never linked to other tables); ``formats`` maps derived column labels to
    one of :data:`FORMATS`; ``category`` names the category the table is about, if one."""

    table: Table
    meanings: Mapping[Cell, Meaning] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    category: str = ""
    category_label: str = ""


@dataclass(frozen=True)
class ComputedSection:
    """A template section computed: its unreleased tables (none for a text section) and notes."""

    section: Section
    tables: tuple[SectionTable, ...] = ()
    notes: tuple[str, ...] = ()


_MERGED_LABELS = {**_LEVEL_LABELS, "no": "Not in category or unknown"}
#: the headline share of a category: of known membership, or of everyone when unknown is merged
SHARE_OF_KNOWN = "Share in category (of known)"
SHARE_OF_ALL = "Share in category"


def level_label(grouping: Grouping, level: str) -> str:
    """How a level of a grouping is shown (``yes`` → "In category"; crossings name both parts;
    with unknown merged, ``no`` → "Not in category or unknown")."""
    labels = _MERGED_LABELS if grouping.unknown_merged else _LEVEL_LABELS
    if grouping.kind == "category":
        return labels.get(level, level)
    if grouping.kind == "crossed":
        parts = level.split(SEPARATOR)
        names = [d.label for d in grouping.definitions]
        return "; ".join(f"{n}: {labels.get(p, p).lower()}" for n, p in zip(names, parts, strict=False))
    return code_label(level)


def share_label(grouping: Grouping) -> str:
    """The column label of the headline share of ``grouping``."""
    return SHARE_OF_ALL if grouping.unknown_merged else SHARE_OF_KNOWN


def merged_note(grouping: Grouping) -> tuple[str, ...]:
    """The note a table with unknown merged carries (none otherwise)."""
    if not grouping.unknown_merged:
        return ()
    return ("People whose category membership is not recorded are counted with \"not in category\" (a fixed "
            "rule, so no small group of unknown membership is shown or has to be hidden); shares are of everyone.",)


def code_label(value: object) -> str:
    """A code shown to people: ``assistant_professor`` → "Assistant professor"; None → "Not recorded"."""
    if value is None:
        return "Not recorded"
    text = str(value)
    if text.isdigit():
        return text
    return (text[:1].upper() + text[1:]).replace("_", " ")


def known_levels(grouping: Grouping) -> tuple[str, ...]:
    """The levels whose membership is known (every level but unknown and declined)."""
    return tuple(level for level in grouping.levels if not grouping.is_unknown(level))


def ordered(values: Sequence[object], vocabulary: Sequence[str] = ()) -> list[object]:
    """Values in vocabulary order, then naturally (numbers as numbers), None last."""
    def key(v: object) -> tuple[int, float, str]:
        if v is None:
            return (3, 0.0, "")
        if v in vocabulary:
            return (0, float(list(vocabulary).index(v)), "")  # type: ignore[arg-type]
        if isinstance(v, int | float):
            return (1, float(v), "")
        return (2, 0.0, str(v))
    return sorted(dict.fromkeys(values), key=key)
