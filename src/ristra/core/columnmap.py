"""Column maps: how another system's export translates to a canonical dataset.

A column map is plain data (the CLI reads it from YAML)::

    name: banner-admissions-2025
    dataset: applications            # optional; checked against the import's dataset
    columns:                         # source header -> canonical column
      Appl ID: application_id
      Gender: sex
      Ethnicity (Hispanic): hispanic
    ignore: [Notes, Internal Flag]   # source headers to drop without complaint
    values:                          # extra spellings, per canonical column
      sex: {W: female, MA: male}
      race: {"Am Ind": american_indian_alaska_native}
    date_format: "%m/%d/%Y"          # strptime format of date columns (default ISO 8601)

Headers are matched ignoring case and spacing (:func:`header_key`): ``App ID``, ``AppID``,
``app_id`` and ``APP-ID`` are one header, both as map entries and against canonical column
names (``BirthYear`` is ``birth_year``). :func:`normalise_header` gives the display form. The built-in spellings of
each vocabulary (``"F"``, ``"Female"``, ``"W"`` → ``female``; ``"Y"``, ``"1"``, ``"true"``
→ ``yes``) always apply; a map adds to them and may not contradict them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ristra.core.datasets import Column, Dataset

ISO_DATE = "%Y-%m-%d"
_ALLOWED_DATE_DIRECTIVES = set("YmdbByj")


class ColumnMapError(ValueError):
    """A column map that cannot be used; the message says which entry and why."""


def normalise_header(text: str) -> str:
    """``"  Ethnicity (Hispanic) "`` → ``"ethnicity_(hispanic)"``; ``"Birth-Year"`` → ``"birth_year"``."""
    cleaned = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-.]+", "_", cleaned)


def header_key(text: str) -> str:
    """What headers are matched by: case, spaces, underscores, hyphens and dots ignored
    (``"App ID"``, ``"AppID"`` and ``"app_id"`` → ``"appid"``)."""
    return re.sub(r"[\s_\-.]+", "", text.replace("\ufeff", "").casefold())


@dataclass(frozen=True)
class ColumnMap:
    """A validated column map. Use :func:`parse_column_map` to build one from plain data."""

    name: str = "identity"
    dataset: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_format: str = ISO_DATE

    def __post_init__(self) -> None:
        object.__setattr__(self, "rename", MappingProxyType({header_key(k): v for k, v in self.rename.items()}))
        object.__setattr__(self, "ignore", frozenset(header_key(h) for h in self.ignore))
        object.__setattr__(
            self, "values", MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.values.items()})
        )

    def canonical_name(self, source_header: str) -> str:
        """The canonical column a source header maps to (itself, normalised, if unmapped)."""
        return self.rename.get(header_key(source_header), normalise_header(source_header))

    def is_ignored(self, source_header: str) -> bool:
        return header_key(source_header) in self.ignore

    def spellings(self, column: Column) -> dict[str, str]:
        """All accepted spellings (lower case) of a coded column → canonical code."""
        if column.vocabulary is None:
            return {}
        table = column.vocabulary.spellings()
        for source, canonical in self.values.get(column.name, {}).items():
            table[source.strip().lower()] = canonical
        return table


IDENTITY = ColumnMap()


def parse_column_map(data: Any, dataset: Dataset) -> ColumnMap:
    """Validate plain data (as loaded from YAML) into a :class:`ColumnMap` for ``dataset``.

    Raises :class:`ColumnMapError` naming the offending entry: an unknown top-level key, a
    target that is not a canonical column of the dataset, two sources mapped to one column,
    a value mapped to a code outside the column's vocabulary, or an unusable date format.
    """
    if data is None:
        return IDENTITY
    if not isinstance(data, Mapping):
        raise ColumnMapError("a column map must be a mapping with keys such as 'columns', 'values', 'ignore'")
    allowed = {"name", "dataset", "columns", "ignore", "values", "date_format"}
    extra = sorted(set(map(str, data)) - allowed)
    if extra:
        raise ColumnMapError(f"unknown key(s) in column map: {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")
    declared = data.get("dataset")
    if declared is not None and declared != dataset.name:
        raise ColumnMapError(f"this column map is for dataset {declared!r}, not {dataset.name!r}")

    canonical = set(dataset.column_names)
    rename: dict[str, str] = {}
    targets: dict[str, str] = {}
    sources: dict[str, str] = {}
    for source, target in _mapping(data, "columns").items():
        key = header_key(str(source))
        if key in sources:
            raise ColumnMapError(f"columns: {sources[key]!r} and {source!r} are the same header "
                                 "(headers match ignoring case and spacing)")
        sources[key] = str(source)
        target_name = str(target).strip()
        if target_name not in canonical:
            raise ColumnMapError(
                f"columns: {source!r} maps to {target_name!r}, which is not a column of {dataset.name}"
            )
        if target_name in targets:
            raise ColumnMapError(f"columns: both {targets[target_name]!r} and {source!r} map to {target_name!r}")
        targets[target_name] = str(source)
        rename[key] = target_name

    ignore_raw = data.get("ignore") or []
    if not isinstance(ignore_raw, list):
        raise ColumnMapError("ignore: must be a list of source headers")
    ignore = frozenset(header_key(str(h)) for h in ignore_raw)

    values: dict[str, dict[str, str]] = {}
    for column_name, mapping in _mapping(data, "values").items():
        if column_name not in canonical:
            raise ColumnMapError(f"values: {column_name!r} is not a column of {dataset.name}")
        column = dataset.column(column_name)
        if column.vocabulary is None:
            raise ColumnMapError(f"values: {column_name!r} is not a coded column; only coded columns take value maps")
        if not isinstance(mapping, Mapping):
            raise ColumnMapError(f"values: {column_name!r} must map source values to canonical codes")
        codes = set(column.vocabulary.codes)
        column_values: dict[str, str] = {}
        for source, code in mapping.items():
            if str(code) not in codes:
                raise ColumnMapError(
                    f"values: {column_name!r} maps a value to {code!r}, which is not one of: {', '.join(sorted(codes))}"
                )
            column_values[str(source)] = str(code)
        values[column_name] = column_values

    date_format = str(data.get("date_format") or ISO_DATE)
    directives = set(re.findall(r"%(.)", date_format))
    if not directives or not directives <= _ALLOWED_DATE_DIRECTIVES or not {"Y", "y"} & directives:
        raise ColumnMapError(f"date_format {date_format!r} must be a strptime date format with a year, e.g. %m/%d/%Y")

    return ColumnMap(
        name=str(data.get("name") or "unnamed map"),
        dataset=dataset.name,
        rename=rename,
        ignore=ignore,
        values=values,
        date_format=date_format,
    )


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise ColumnMapError(f"{key}: must be a mapping")
    return value
