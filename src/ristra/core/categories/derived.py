"""Derived columns: values that category rules may use although no source system records them.

Each declaration says what the column means, its kind (one of the canonical column kinds, so the
rule checker treats it like any other column), and for each dataset which canonical columns it is
computed from. The engine provides the values as extra columns of the dataset's view, named
exactly as here; this module only declares them (it computes nothing and reads no file).

Methods (the engine must follow them; the reference tables are in :mod:`ristra.reference`):

``*_county_resolved``
    The five-digit county FIPS: the record's own ``*_county_fips`` when present, else the county
    of its ``*_zip`` from the HUD USPS ZIP→county crosswalk (2020 Q4) — the county with the
    largest residential ratio (ties: the lower FIPS). NULL when neither is known or the ZIP is not
    in the crosswalk.
``*_ruca``
    The primary USDA ERS RUCA 2010 code (1–10) of the record's ZIP; NULL without a ZIP, for a ZIP
    not in the RUCA table, or for code 99 (no code).
``*_rucc``
    The USDA ERS Rural-Urban Continuum Code 2023 (1–9) of the resolved county; NULL when the county
    is unresolved or outside the table.
``*_frontier``
    True when the resolved county has fewer than 6 persons per square mile (2020 Census population
    over TIGER land area); NULL when the county is unresolved or outside the table.

Participants have no residence columns, only a home ``zip``: their ``residence_*`` derived
columns are computed from that ZIP alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ristra.core.datasets import ColumnKind

PERSON_DATASETS = ("applications", "students", "trainees", "employees")


@dataclass(frozen=True)
class DerivedColumn:
    """One derived column: ``inputs`` maps each dataset that has it to the canonical columns it is
    computed from. ``minimum``/``maximum`` bound numeric values (for documentation and checks)."""

    name: str
    kind: ColumnKind
    description: str
    inputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(self.inputs)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "datasets": list(self.datasets),
            "inputs": {d: list(cols) for d, cols in self.inputs.items()},
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


def _place(prefix: str, where: str) -> tuple[DerivedColumn, ...]:
    county_inputs: dict[str, tuple[str, ...]] = {d: (f"{prefix}_county_fips", f"{prefix}_zip") for d in PERSON_DATASETS}
    zip_inputs: dict[str, tuple[str, ...]] = {d: (f"{prefix}_zip",) for d in PERSON_DATASETS}
    if prefix == "residence":
        county_inputs["participants"] = ("zip",)
        zip_inputs["participants"] = ("zip",)
    return (
        DerivedColumn(
            f"{prefix}_county_resolved",
            "fips",
            f"County (FIPS) of the {where}: the recorded county, else the county holding most of the "
            "ZIP's residential addresses (HUD ZIP-county crosswalk, 2020 Q4).",
            county_inputs,
        ),
        DerivedColumn(
            f"{prefix}_ruca",
            "integer",
            f"Primary USDA RUCA 2010 code (1-10) of the {where} ZIP; 4 and above is micropolitan, "
            "small town or rural.",
            zip_inputs,
            minimum=1,
            maximum=10,
        ),
        DerivedColumn(
            f"{prefix}_rucc",
            "integer",
            f"USDA Rural-Urban Continuum Code 2023 (1-9) of the {where} county (resolved).",
            county_inputs,
            minimum=1,
            maximum=9,
        ),
        DerivedColumn(
            f"{prefix}_frontier",
            "flag",
            f"The {where} county (resolved) has fewer than 6 persons per square mile (2020).",
            county_inputs,
        ),
    )


DERIVED_COLUMNS: tuple[DerivedColumn, ...] = (
    *_place("residence", "legal residence"),
    *_place("high_school", "high school attended"),
)

DERIVED: Mapping[str, DerivedColumn] = MappingProxyType({d.name: d for d in DERIVED_COLUMNS})


def derived_columns(dataset: str) -> tuple[DerivedColumn, ...]:
    """The derived columns available in ``dataset`` (possibly none)."""
    return tuple(d for d in DERIVED_COLUMNS if dataset in d.inputs)
