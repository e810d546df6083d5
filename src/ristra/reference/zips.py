"""New Mexico ZIP codes: their RUCA 2010 codes, the HUD ZIP → county crosswalk (2020 Q4) and
ZIP → city and county places.

Contract: every function reads its file once (``functools.cache``) and returns frozen values
(frozen dataclasses, tuples, read-only mappings); ZIP and FIPS codes are five-character strings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .census import county_fips_by_name
from .files import HUD_CROSSWALK_FILE, ZIP_PLACES_FILE, ZIP_RUCA_FILE
from .files import rows as _rows


@dataclass(frozen=True)
class ZipRuca:
    """USDA ERS 2010 RUCA codes of one ZIP code (``ruca1`` primary 1..10, ``ruca2`` secondary,
    e.g. 10.1; 99 means no code), with the county name and city from the ``zipcodes`` package and a
    first guess (``"urban"``/``"rural"``/``"unknown"``) at the school's urban rule."""

    zip: str
    state: str
    zip_type: str
    ruca1: int
    ruca2: float
    county_name: str
    city: str
    school_urban_guess: str

    @property
    def metropolitan(self) -> bool:
        """RUCA 1–3: metropolitan core, high or low commuting."""
        return 1 <= self.ruca1 <= 3



@dataclass(frozen=True)
class ZipCountyShare:
    """One row of the HUD USPS ZIP → county crosswalk (Q4 2020): the share of the ZIP's
    residential (``res_ratio``) and all (``tot_ratio``) addresses that lie in ``county_fips``."""

    zip: str
    county_fips: str
    county_name: str
    res_ratio: float
    tot_ratio: float



@dataclass(frozen=True)
class ZipPlace:
    """A ZIP code's place from the ``zipcodes`` 3.0.0 table: type (``STANDARD``, ``PO BOX``,
    ``UNIQUE``), active flag, city, county name and FIPS (empty where the table has no county),
    and an approximate centre."""

    zip: str
    zip_type: str
    active: bool
    city: str
    county_name: str
    county_fips: str
    latitude: float
    longitude: float



@functools.cache
def zip_ruca() -> Mapping[str, ZipRuca]:
    """NM ZIP code → its RUCA 2010 codes (429 ZIPs)."""
    return MappingProxyType(
        {
            r["zip_code"].zfill(5): ZipRuca(
                zip=r["zip_code"].zfill(5),
                state=r["state"],
                zip_type=r["zip_type"],
                ruca1=int(float(r["ruca1"])),
                ruca2=float(r["ruca2"]),
                county_name=r["county_from_zipcodes_pkg"],
                city=r["city_from_zipcodes_pkg"],
                school_urban_guess=r["seed_urban_guess"],
            )
            for r in _rows(ZIP_RUCA_FILE)
        }
    )


@functools.cache
def zip_county_crosswalk() -> Mapping[str, tuple[ZipCountyShare, ...]]:
    """NM ZIP code → the counties its addresses lie in (HUD, Q4 2020), largest residential share
    first. 50 ZIPs lie in more than one county."""
    grouped: dict[str, list[ZipCountyShare]] = {}
    for r in _rows(HUD_CROSSWALK_FILE):
        share = ZipCountyShare(
            zip=r["zip"].zfill(5),
            county_fips=r["county_fips"].zfill(5),
            county_name=r["county_name"],
            res_ratio=float(r["res_ratio"]),
            tot_ratio=float(r["tot_ratio"]),
        )
        grouped.setdefault(share.zip, []).append(share)
    return MappingProxyType(
        {
            z: tuple(sorted(shares, key=lambda s: (-s.res_ratio, s.county_fips)))
            for z, shares in sorted(grouped.items())
        }
    )


@functools.cache
def zip_places() -> Mapping[str, ZipPlace]:
    """NM ZIP code → city and county from the ``zipcodes`` 3.0.0 table (428 ZIPs). County names
    are matched case-insensitively to FIPS (the table spells ``Mckinley County``); a ZIP without a
    county (87654) has ``county_fips == ""``."""
    by_name = county_fips_by_name()
    return MappingProxyType(
        {
            r["zip_code"].zfill(5): ZipPlace(
                zip=r["zip_code"].zfill(5),
                zip_type=r["zip_code_type"],
                active=r["active"] == "True",
                city=r["city"],
                county_name=r["county"],
                county_fips=by_name.get(r["county"].lower(), ""),
                latitude=float(r["lat"]),
                longitude=float(r["long"]),
            )
            for r in _rows(ZIP_PLACES_FILE)
        }
    )

