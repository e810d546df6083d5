"""Counter-based randomness: every random number is a pure function of (seed, entity, stream).

The synthetic school draws a person's attributes, and each application's funnel outcome, from a
hash of the seed, the entity's integer index and a named stream (SplitMix64 finaliser, Steele et
al. 2014). Nothing depends on the order in which entities are generated, so:

* the same person has the same attributes wherever they appear (an application in 2019, a
  reapplication in 2020, a student record, a pipeline-program roster);
* the generator can work in chunks of any size and still write byte-identical files;
* no state is carried from one chunk to the next, so memory stays bounded.

All functions are vectorised over a ``numpy`` array of indices.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_MASK64 = (1 << 64) - 1


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64 finaliser: a bijective avalanche of 64-bit words (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


class Streams:
    """Named random streams for one seed.

    ``uniform(idx, "interview")`` returns one U[0, 1) number per index, the same every time for the
    same seed, index and stream name; different names give independent-looking numbers.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def _key(self, stream: str) -> np.uint64:
        crc = zlib.crc32(stream.encode("utf-8"))
        return np.uint64(((self.seed * 0x2545F4914F6CDD1D) ^ (crc << 20) ^ crc) & _MASK64)

    def bits(self, idx: npt.ArrayLike, stream: str) -> npt.NDArray[np.uint64]:
        """64 random bits per index."""
        x = np.asarray(idx).astype(np.uint64, copy=False)
        return _mix(_mix(x * _GOLDEN + self._key(stream)) ^ self._key(stream + "#"))

    def uniform(self, idx: npt.ArrayLike, stream: str) -> FloatArray:
        """U[0, 1) per index."""
        return (self.bits(idx, stream) >> _S11).astype(np.float64) * (2.0**-53)

    def normal(self, idx: npt.ArrayLike, stream: str) -> FloatArray:
        """Standard normal per index (inverse CDF of a uniform kept away from 0)."""
        u = self.uniform(idx, stream)
        return np.asarray(ndtri(np.clip(u, 1e-12, 1 - 1e-12)), dtype=np.float64)

    def chance(self, idx: npt.ArrayLike, stream: str, p: npt.ArrayLike) -> BoolArray:
        """True with probability ``p`` (a scalar or one probability per index)."""
        return self.uniform(idx, stream) < np.asarray(p)

    def integers(self, idx: npt.ArrayLike, stream: str, low: int, high: npt.ArrayLike) -> IntArray:
        """Integers in ``[low, high)`` per index (``high`` may be an array)."""
        span = np.asarray(high, dtype=np.int64) - low
        return low + np.floor(self.uniform(idx, stream) * span).astype(np.int64)

    def categorical(self, idx: npt.ArrayLike, stream: str, weights: npt.ArrayLike) -> IntArray:
        """An index into ``weights`` (1-D, any positive scale) per entity."""
        return pick(self.uniform(idx, stream), weights)


def cumulative(weights: npt.ArrayLike) -> FloatArray:
    """Normalised cumulative weights along the last axis (the last value is exactly 1)."""
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w, axis=-1)
    c = c / c[..., -1:]
    c[..., -1] = 1.0
    return c


def pick(u: FloatArray, weights: npt.ArrayLike) -> IntArray:
    """Map uniforms to categories with the given weights (1-D)."""
    return np.searchsorted(cumulative(weights), u, side="right").astype(np.int64)


def pick_rows(u: FloatArray, cum_table: FloatArray, rows: IntArray) -> IntArray:
    """Map uniforms to categories, each entity using its own row of a cumulative table
    (e.g. race/ethnicity given the county)."""
    n_rows, width = cum_table.shape
    # Shift row r of the table into (r, r + 1] and search all rows at once.
    shifted = (cum_table + np.arange(n_rows)[:, None]).ravel()
    position = np.searchsorted(shifted, u + rows, side="right") - rows * width
    result: IntArray = np.minimum(position, width - 1).astype(np.int64)
    return result
