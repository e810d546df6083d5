"""Reading a column map from a YAML file (the rules themselves live in :mod:`ristra.core.columnmap`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ristra.core.columnmap import IDENTITY, ColumnMap, ColumnMapError, parse_column_map
from ristra.core.datasets import Dataset

MAX_MAP_BYTES = 1_000_000


def load_column_map(path: Path | None, dataset: Dataset) -> ColumnMap:
    """The column map in ``path`` (YAML) for ``dataset``; the identity map when ``path`` is None.

    Raises :class:`ColumnMapError` with the file name and the problem.
    """
    if path is None:
        return IDENTITY
    try:
        if path.stat().st_size > MAX_MAP_BYTES:
            raise ColumnMapError(f"{path.name}: a column map larger than 1 MB is not plausible")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ColumnMapError(f"column map {path.name} not found") from None
    except UnicodeDecodeError:
        raise ColumnMapError(f"column map {path.name} is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ColumnMapError(f"{path.name} is not valid YAML{where}") from None
    try:
        column_map = parse_column_map(data, dataset)
    except ColumnMapError as error:
        raise ColumnMapError(f"{path.name}: {error}") from None
    if column_map.name == "unnamed map":
        column_map = ColumnMap(name=path.stem, dataset=column_map.dataset, rename=column_map.rename,
                               ignore=column_map.ignore, values=column_map.values,
                               date_format=column_map.date_format)
    return column_map
