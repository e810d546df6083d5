"""Public reference data for New Mexico, shipped inside the package (see ``PROVENANCE.md``).

A small, typed, read-only loader over the CSV files next to this module, one module a source:

* :mod:`.census`: counties with USDA RUCC 2023 codes, 2020 Census counts by county (all ages and
  18+), US and New Mexico totals, the P2 summary;
* :mod:`.zips`: ZIP → RUCA 2010 codes, the HUD ZIP → county crosswalk, ZIP → city/county places;
* :mod:`.acs`: ACS adult sex shares;
* :mod:`.periods`: the census periods (2000, 2010, 2020 and the ACS years) by age band;
* :mod:`.given_names`: given-name variants for record linkage;
* :mod:`.files`: the shipped files and reading them.

Import the module of the source you need (``from ristra.reference import census``); this package
re-exports nothing.

Contract
--------
* Every function reads its file once (``functools.cache``) and returns frozen values: frozen
  dataclasses, tuples, and read-only mappings (:class:`types.MappingProxyType`). Callers cannot
  change what another caller sees.
* ZIP codes and FIPS codes are five-character strings (leading zeros kept).
* This module holds data only. Rules built on it (e.g. the school's own rural rule, which needs a
  county, a city and a ZIP) are category definitions and live elsewhere.
"""

