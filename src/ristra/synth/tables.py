"""From numpy codes to Arrow columns to canonical CSV files.

Every coded column is built as an Arrow dictionary array (int32 indices into the canonical codes),
dates as ``date32`` (written ISO ``YYYY-MM-DD``), flags as booleans (written ``true``/``false``),
years as integers, blanks as nulls (written empty). :class:`DatasetCsvWriter` checks the columns
against the declarations in :mod:`ristra.core.datasets` (canonical names, required columns
present, canonical order) and appends record batches with ``pyarrow.csv.CSVWriter``, so a
dataset of any size is written chunk by chunk.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ristra.core import vocabularies as v
from ristra.core.datasets import DATASETS, Dataset
from ristra.synth import demography as dem
from ristra.synth.geography import place_table
from ristra.synth.people import GEO_NO_CITY, GEO_NO_COUNTY, GEO_UNKNOWN, People
from ristra.synth.randomness import BoolArray, IntArray

EPOCH = dt.date(1970, 1, 1)


def day_number(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (dt.date(year, month, day) - EPOCH).days


def year_start_days(years: npt.ArrayLike) -> IntArray:
    """Days since 1970-01-01 of 1 January of each year."""
    y = np.asarray(years, dtype=np.int64)
    return ((y - 1970).astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)


def years_of(days: IntArray) -> IntArray:
    """Calendar year of each day number."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def coded(indices: npt.ArrayLike, dictionary: Sequence[str]) -> pa.DictionaryArray:
    """A dictionary-encoded string column; negative indices are blanks."""
    idx = np.asarray(indices, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(
        pa.array(idx, mask=idx < 0, type=pa.int32()), pa.array(list(dictionary), type=pa.string())
    )


def vocab(indices: npt.ArrayLike, vocabulary: v.Vocabulary) -> pa.DictionaryArray:
    """A coded column over a vocabulary's canonical codes."""
    return coded(indices, vocabulary.codes)


def dates(days: npt.ArrayLike, present: BoolArray | None = None) -> pa.Array:
    """A date column from day numbers; ``present`` False means blank."""
    d = np.asarray(days, dtype=np.int32)
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    return pa.array(d, mask=mask, type=pa.int32()).cast(pa.date32())


def integers(values: npt.ArrayLike, present: BoolArray | None = None, type_: pa.DataType | None = None) -> pa.Array:
    """An integer column (``int16`` for years by default); ``present`` False means blank."""
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    return pa.array(np.asarray(values), mask=mask, type=type_ or pa.int16())


def flags(values: npt.ArrayLike) -> pa.Array:
    """A true/false column."""
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def identifiers(prefix: str, numbers: npt.ArrayLike, width: int, present: BoolArray | None = None) -> pa.Array:
    """Identifiers like ``P000001234``: ``prefix`` then the number zero-padded to ``width``."""
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64), mask=mask), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def identifiers_by_cycle(cycles: npt.ArrayLike, numbers: npt.ArrayLike, width: int) -> pa.Array:
    """Application identifiers like ``A2021-0000123``: cycle, then the number within the cycle."""
    cycle_text = pc.cast(pa.array(np.asarray(cycles, dtype=np.int64)), pa.string())
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise("A", cycle_text, "-", digits, "")


PERSON_ID_WIDTH = 9


def person_ids(idx: npt.ArrayLike) -> pa.Array:
    """The pseudonymous person identifier of each person index."""
    return identifiers("P", idx, PERSON_ID_WIDTH)


@dataclass(frozen=True)
class _GeoDictionaries:
    """Sorted distinct states, counties and cities of the place table, and each place's position."""

    states: list[str]
    counties: list[str]
    cities: list[str]
    state_of_place: IntArray
    county_of_place: IntArray
    city_of_place: IntArray


def _dictionary(column: Sequence[str]) -> tuple[list[str], IntArray]:
    values = sorted(set(column))
    position = {value: i for i, value in enumerate(values)}
    return values, np.array([position[x] for x in column], dtype=np.int64)


@functools.cache
def _geo_dictionaries() -> _GeoDictionaries:
    table = place_table()
    states, state_of = _dictionary(table.state)
    counties, county_of = _dictionary(table.county_fips)
    cities, city_of = _dictionary(table.city)
    return _GeoDictionaries(states, counties, cities, state_of, county_of, city_of)


def _geography(prefix: str, place: IntArray, zip_index: IntArray, missing: IntArray) -> dict[str, pa.Array]:
    geo = _geo_dictionaries()
    unknown = missing == GEO_UNKNOWN
    no_county = unknown | (missing == GEO_NO_COUNTY)
    no_city = no_county | (missing == GEO_NO_CITY)
    return {
        f"{prefix}_state": coded(np.where(unknown, -1, geo.state_of_place[place]), geo.states),
        f"{prefix}_county_fips": coded(np.where(no_county, -1, geo.county_of_place[place]), geo.counties),
        f"{prefix}_city": coded(np.where(no_city, -1, geo.city_of_place[place]), geo.cities),
        f"{prefix}_zip": coded(np.where(unknown, -1, zip_index), place_table().zip_codes),
    }


def demographic_columns(people: People, *, geography: bool = True, ses: bool = True) -> dict[str, pa.Array]:
    """The shared demographic columns of :func:`ristra.core.datasets._demographics` for ``people``
    (``person_id`` included), optionally without geography or socioeconomic columns."""
    columns: dict[str, pa.Array] = {
        "person_id": person_ids(people.idx),
        "sex": vocab(people.sex, v.SEX),
        "gender_identity": vocab(people.gender_identity, v.GENDER_IDENTITY),
        "hispanic": vocab(people.hispanic, v.YES_NO_UNKNOWN),
        "race": coded(people.race, dem.RACE_VALUES),
        "race_detail": coded(people.race_detail, dem.RACE_DETAILS),
        "citizenship": vocab(people.citizenship, v.CITIZENSHIP),
        "birth_year": integers(people.birth_year),
    }
    if geography:
        columns.update(
            _geography("residence", people.residence_place, people.residence_zip, people.residence_missing)
        )
        columns.update(
            _geography("high_school", people.high_school_place, people.high_school_zip, people.high_school_missing)
        )
    if ses:
        columns.update(
            {
                "first_generation": vocab(people.first_generation, v.YES_NO_UNKNOWN),
                "pell_recipient": vocab(people.pell_recipient, v.YES_NO_UNKNOWN),
                "fee_assistance": vocab(people.fee_assistance, v.YES_NO_UNKNOWN),
                "ses_indicator": vocab(people.ses_indicator, v.SES_INDICATOR),
                "self_disadvantaged": vocab(people.self_disadvantaged, v.YES_NO_UNKNOWN),
                "veteran": vocab(people.veteran, v.YES_NO_UNKNOWN),
                "disability": vocab(people.disability, v.YES_NO_UNKNOWN),
            }
        )
    return columns


class DatasetCsvWriter:
    """Writes one canonical dataset as CSV, batch by batch.

    The first batch fixes the columns: every name must be a canonical column of ``dataset``,
    every required column must be present, and the file's column order is the declaration order.
    Later batches must carry the same columns. ``quoting="none"`` writes no quotes (and refuses a
    value that would need them); ``"needed"`` quotes text values.
    """

    def __init__(self, path: Path, dataset: str | Dataset, *, quoting: str = "none") -> None:
        self.path = path
        self.dataset = DATASETS[dataset] if isinstance(dataset, str) else dataset
        self.quoting = quoting
        self.rows = 0
        self._writer: pacsv.CSVWriter | None = None
        self._sink: pa.NativeFile | None = None
        self._closed = False
        self._names: list[str] = []

    def _open(self, columns: Mapping[str, pa.Array]) -> None:
        declared = self.dataset.column_names
        unknown = set(columns) - set(declared)
        if unknown:
            raise ValueError(f"{self.dataset.name}: not canonical columns: {sorted(unknown)}")
        missing = set(self.dataset.required_columns) - set(columns)
        if missing:
            raise ValueError(f"{self.dataset.name}: required columns missing: {sorted(missing)}")
        self._names = [name for name in declared if name in columns]
        schema = pa.schema([(name, columns[name].type) for name in self._names])
        options = pacsv.WriteOptions(quoting_style=self.quoting, include_header=False)
        self._sink = pa.OSFile(str(self.path), "wb")
        self._sink.write((",".join(self._names) + "\n").encode("utf-8"))  # canonical names need no quotes
        self._writer = pacsv.CSVWriter(self._sink, schema, write_options=options)

    def write(self, columns: Mapping[str, pa.Array]) -> None:
        """Append one batch (all columns of equal length)."""
        if self._writer is None:
            self._open(columns)
        if set(columns) != set(self._names):
            raise ValueError(f"{self.dataset.name}: a batch must carry the same columns as the first")
        assert self._writer is not None
        batch = pa.record_batch([columns[name] for name in self._names], names=self._names)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file. A dataset that received no batch gets a header of its required columns."""
        if self._closed:
            return
        self._closed = True
        if self._writer is None and self._sink is None:
            self.path.write_text(",".join(self.dataset.required_columns) + "\n", encoding="utf-8")
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def __enter__(self) -> DatasetCsvWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
