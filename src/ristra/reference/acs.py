"""American Community Survey 2022: adults (18+) by sex in New Mexico and the US.

Contract: :func:`acs_adult_sex` reads its file once (``functools.cache``) and returns a read-only
mapping of frozen values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .census import STATE_FIPS
from .files import ACS_FILE
from .files import rows as _rows


@dataclass(frozen=True)
class AdultSexShares:
    """Adults (18+) by sex from the ACS (secondary extract; most likely 2018–2022 5-year)."""

    geography: str
    adults: int
    female: int
    male: int

    @property
    def female_share(self) -> float:
        return self.female / self.adults

    @property
    def male_share(self) -> float:
        return self.male / self.adults



@functools.cache
def acs_adult_sex() -> Mapping[str, AdultSexShares]:
    """Adults (18+) by sex, keyed ``"NM"`` and ``"US"``, summed over the ACS age bands."""
    sums: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for r in _rows(ACS_FILE):
        if not r["source_file"].startswith("joint_agesex"):
            continue
        geo = "NM" if r["GEOID"] == STATE_FIPS else "US"
        sums.setdefault(geo, {"female": 0, "male": 0})[r["var1"]] += int(r["estimate"])
        totals[geo] = int(r["summary_est"])
    return MappingProxyType(
        {
            geo: AdultSexShares(geography=geo, adults=totals[geo], female=s["female"], male=s["male"])
            for geo, s in sorted(sums.items())
        }
    )
