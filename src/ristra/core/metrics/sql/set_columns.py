"""One grouping set's result as columns: the values of its dimensions (masked where NULL) and its
counts as an integer matrix, from a query (:mod:`.cube`) or from a table of counts (the Python
evaluator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def concatenate(parts: Sequence[np.ma.MaskedArray[Any, Any]]) -> np.ma.MaskedArray[Any, Any]:
    """The masked arrays ``parts`` one after the other."""
    if not parts:
        return masked([])
    data = np.concatenate([np.ma.getdata(p) for p in parts])
    return np.ma.MaskedArray(data, mask=np.concatenate([np.ma.getmaskarray(p) for p in parts]))


def masked(values: Sequence[object]) -> np.ma.MaskedArray[Any, Any]:
    """Python values as a masked array (None masked): integers and booleans keep a numeric type."""
    mask = np.array([v is None for v in values], dtype=bool)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        data: np.ndarray[Any, Any] = np.array([bool(v) if v is not None else False for v in values], dtype=bool)
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        data = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    else:
        data = np.empty(len(values), dtype=object)
        data[:] = list(values)
    return np.ma.MaskedArray(data, mask=mask)


@dataclass(frozen=True)
class SetColumns:
    """One grouping set's result, column by column: the dimension values (masked where NULL) and
    the counts (``n`` then each measure) as an integer matrix."""

    values: tuple[np.ma.MaskedArray[Any, Any], ...]
    counts: np.ndarray[Any, np.dtype[np.int64]]

    @classmethod
    def from_table(cls, table: Mapping[tuple[object, ...], Sequence[int]], width: int, n_dims: int) -> SetColumns:
        keys = list(table)
        values = tuple(masked([k[i] for k in keys]) for i in range(n_dims))
        counts = np.array([list(table[k]) for k in keys], dtype=np.int64).reshape(len(keys), width)
        return cls(values, counts)

    def table(self, index: Sequence[int]) -> dict[tuple[object, ...], tuple[int, ...]]:
        keys = zip(*(v.tolist() for v in self.values), strict=True) if self.values else iter([()] * len(self.counts))
        chosen = self.counts[:, list(index)].tolist()
        return {key: tuple(c) for key, c in zip(keys, chosen, strict=True)}
