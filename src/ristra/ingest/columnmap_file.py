"""Reading a column map from a YAML file (the rules themselves live in :mod:`ristra.core.columnmap`).

The YAML is read with a loader that refuses anchors and aliases (a few hundred bytes of nested
aliases — "billion laughs" — would otherwise expand to gigabytes), and caps the number and
nesting of its nodes; the file must be a regular file of at most :data:`MAX_MAP_BYTES`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ristra.core.columnmap import IDENTITY, ColumnMap, ColumnMapError, parse_column_map
from ristra.core.datasets import Dataset

MAX_MAP_BYTES = 1_000_000
#: No real column map comes near these: a few hundred entries, three levels deep.
MAX_MAP_NODES = 50_000
MAX_MAP_DEPTH = 20


class _MapLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases, and with a cap on nodes and depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = getattr(event, "start_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ColumnMapError(f"uses a YAML anchor or alias{where}; column maps may not (write entries out)")
        self._nodes += 1
        if self._nodes > MAX_MAP_NODES:
            raise ColumnMapError(f"has more than {MAX_MAP_NODES:,} entries; that is not a plausible column map")
        self._depth += 1
        try:
            if self._depth > MAX_MAP_DEPTH:
                raise ColumnMapError(f"is nested more than {MAX_MAP_DEPTH} levels deep{where}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_yaml(text: str) -> Any:
    """Plain data from YAML ``text`` (raises :class:`ColumnMapError` or ``yaml.YAMLError``)."""
    loader = _MapLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_column_map(path: Path | None, dataset: Dataset) -> ColumnMap:
    """The column map in ``path`` (YAML) for ``dataset``; the identity map when ``path`` is None.

    Raises :class:`ColumnMapError` with the file name and the problem.
    """
    if path is None:
        return IDENTITY
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ColumnMapError(f"column map {path.name} is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ColumnMapError(f"column map {path.name} is not a regular file (a named pipe or a device)")
        if info.st_size > MAX_MAP_BYTES:
            raise ColumnMapError(f"{path.name}: a column map larger than 1 MB is not plausible")
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise ColumnMapError(f"column map {path.name} not found") from None
    except UnicodeDecodeError:
        raise ColumnMapError(f"column map {path.name} is not UTF-8 text") from None
    except OSError as error:
        raise ColumnMapError(f"cannot read column map {path.name}: {error.strerror}") from None
    try:
        data = read_yaml(text)
    except ColumnMapError as error:
        raise ColumnMapError(f"{path.name} {error}") from None
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
