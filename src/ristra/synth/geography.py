"""Where synthetic people live and went to high school, drawn from the packaged reference data.

In-state places are (ZIP, county) pairs of the HUD crosswalk. A pair's weight is the county's 2020
population times the ZIP's share of the county's residential addresses, so counties appear in
proportion to their population and ZIPs within a county by their share of addresses (post-office
box and single-organisation ZIPs are down-weighted). The city is the ZIP's postal city. Each pair
carries the school's rural rule — rural unless in Bernalillo County, or in Sandoval County in Rio
Rancho or Corrales — as ground truth for the planted disparities; analyses must re-derive it from
the written county, city and ZIP.

Out-of-state places are a fixed list of large US cities with their county FIPS and a three-digit
ZIP prefix; a place's ZIP is the prefix plus two random digits (plausible, not necessarily real).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ristra.reference import census, zips
from ristra.synth.randomness import BoolArray, IntArray, Streams, pick

BERNALILLO = "35001"
SANDOVAL = "35043"
URBAN_CITIES_IN_SANDOVAL = ("rio rancho", "corrales")

_ZIP_TYPE_WEIGHT = {"STANDARD": 1.0, "PO BOX": 0.15, "UNIQUE": 0.02}

#: (state, city, county FIPS, ZIP prefix, weight among out-of-state applicants)
OUT_OF_STATE_CITIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("TX", "Houston", "48201", "770", 5.0),
    ("TX", "Dallas", "48113", "752", 4.0),
    ("TX", "Austin", "48453", "787", 3.5),
    ("TX", "El Paso", "48141", "799", 4.0),
    ("TX", "San Antonio", "48029", "782", 3.0),
    ("TX", "Lubbock", "48303", "794", 1.5),
    ("AZ", "Phoenix", "04013", "850", 6.0),
    ("AZ", "Tucson", "04019", "857", 3.0),
    ("AZ", "Flagstaff", "04005", "860", 1.5),
    ("CO", "Denver", "08031", "802", 4.5),
    ("CO", "Colorado Springs", "08041", "809", 2.5),
    ("CO", "Durango", "08067", "813", 1.0),
    ("CA", "Los Angeles", "06037", "900", 7.0),
    ("CA", "San Diego", "06073", "921", 3.5),
    ("CA", "San Francisco", "06075", "941", 3.0),
    ("CA", "Sacramento", "06067", "958", 2.5),
    ("UT", "Salt Lake City", "49035", "841", 2.0),
    ("OK", "Oklahoma City", "40109", "731", 2.0),
    ("NY", "New York", "36061", "100", 4.0),
    ("IL", "Chicago", "17031", "606", 3.5),
    ("FL", "Miami", "12086", "331", 3.0),
    ("GA", "Atlanta", "13121", "303", 2.5),
    ("WA", "Seattle", "53033", "981", 2.5),
    ("MI", "Detroit", "26163", "482", 1.5),
    ("PA", "Philadelphia", "42101", "191", 2.0),
    ("MA", "Boston", "25025", "021", 2.0),
    ("NJ", "Newark", "34013", "071", 1.5),
    ("NC", "Charlotte", "37119", "282", 1.5),
    ("MN", "Minneapolis", "27053", "554", 1.5),
    ("OH", "Columbus", "39049", "432", 1.5),
    ("NV", "Las Vegas", "32003", "891", 2.0),
    ("OR", "Portland", "41051", "972", 1.5),
    ("LA", "New Orleans", "22071", "701", 1.0),
    ("TN", "Nashville", "47037", "372", 1.0),
    ("MD", "Baltimore", "24510", "212", 1.0),
    ("KS", "Wichita", "20173", "672", 0.7),
    ("MO", "Kansas City", "29095", "641", 1.0),
    ("CT", "Hartford", "09003", "061", 0.7),
)


@dataclass(frozen=True)
class PlaceTable:
    """Every place a synthetic person can come from: the in-state (ZIP, county) pairs first
    (``n_in_state`` rows), then the out-of-state cities. Columns are aligned tuples/arrays; ZIPs
    are addressed through :meth:`zip_index` into :attr:`zip_codes`."""

    state: tuple[str, ...]
    county_fips: tuple[str, ...]
    city: tuple[str, ...]
    in_state: BoolArray
    rural: BoolArray
    county_row: IntArray
    in_state_weight: np.ndarray
    out_of_state_weight: np.ndarray
    n_in_state: int
    place_zip: IntArray
    zip_codes: tuple[str, ...]

    def zip_index(self, place: IntArray, suffix: IntArray) -> IntArray:
        """Index into :attr:`zip_codes` of each place (out-of-state: prefix + ``suffix`` 0..99)."""
        out_of_state = place >= self.n_in_state
        oos_index = self.place_zip[place] + np.where(out_of_state, suffix, 0)
        return np.asarray(oos_index, dtype=np.int64)


def _school_rural(county_fips: str, city: str) -> bool:
    if county_fips == BERNALILLO:
        return False
    return not (county_fips == SANDOVAL and city.lower() in URBAN_CITIES_IN_SANDOVAL)


@functools.cache
def place_table() -> PlaceTable:
    """The place table built from :mod:`ristra.reference` (cached)."""
    counties = census.counties()
    row_of = {c.fips: i for i, c in enumerate(counties)}
    places = zips.zip_places()
    ruca = zips.zip_ruca()
    pairs: list[tuple[str, str, str, float]] = []
    for zip_code, shares in zips.zip_county_crosswalk().items():
        place = places.get(zip_code)
        city = place.city if place else ruca[zip_code].city
        zip_type = place.zip_type if place else "STANDARD"
        for share in shares:
            if share.county_fips in row_of and share.res_ratio > 0:
                pairs.append((zip_code, share.county_fips, city, share.res_ratio * _ZIP_TYPE_WEIGHT[zip_type]))
    county_sum: dict[str, float] = {}
    for _, fips, _, w in pairs:
        county_sum[fips] = county_sum.get(fips, 0.0) + w
    weights = np.array(
        [counties[row_of[fips]].pop_2020 * w / county_sum[fips] for _, fips, _, w in pairs], dtype=np.float64
    )

    nm_zips = sorted({z for z, _, _, _ in pairs})
    zip_codes: list[str] = list(nm_zips)
    zip_pos = {z: i for i, z in enumerate(nm_zips)}
    place_zip = [zip_pos[z] for z, _, _, _ in pairs]
    for _, _, _, prefix, _ in OUT_OF_STATE_CITIES:
        place_zip.append(len(zip_codes))
        zip_codes.extend(f"{prefix}{d:02d}" for d in range(100))

    n = len(pairs)
    return PlaceTable(
        state=("NM",) * n + tuple(c[0] for c in OUT_OF_STATE_CITIES),
        county_fips=tuple(p[1] for p in pairs) + tuple(c[2] for c in OUT_OF_STATE_CITIES),
        city=tuple(p[2] for p in pairs) + tuple(c[1] for c in OUT_OF_STATE_CITIES),
        in_state=np.arange(n + len(OUT_OF_STATE_CITIES)) < n,
        rural=np.array([_school_rural(p[1], p[2]) for p in pairs] + [False] * len(OUT_OF_STATE_CITIES)),
        county_row=np.array([row_of[p[1]] for p in pairs] + [-1] * len(OUT_OF_STATE_CITIES), dtype=np.int64),
        in_state_weight=weights,
        out_of_state_weight=np.array([c[4] for c in OUT_OF_STATE_CITIES], dtype=np.float64),
        n_in_state=n,
        place_zip=np.array(place_zip, dtype=np.int64),
        zip_codes=tuple(zip_codes),
    )


def draw_places(streams: Streams, idx: IntArray, stream: str, in_state: BoolArray) -> tuple[IntArray, IntArray]:
    """One place per entity: an in-state pair where ``in_state``, else an out-of-state city.
    Returns (place index, ZIP suffix 0..99)."""
    table = place_table()
    nm = pick(streams.uniform(idx, stream + ".nm"), table.in_state_weight)
    oos = table.n_in_state + pick(streams.uniform(idx, stream + ".oos"), table.out_of_state_weight)
    suffix = streams.integers(idx, stream + ".zip", 1, 100)
    return np.where(in_state, nm, oos), suffix
