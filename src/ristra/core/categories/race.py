"""Race and ethnicity reporting schemes, in SQL (for DuckDB) and in Python (same semantics).

Each person has ``hispanic`` (yes/no/unknown/declined) and ``race``, a set of zero or more OMB
codes (possibly ``unknown``/``declined``). Three schemes turn that into reportable groups; in all
of them unknown and declined are groups of their own and are never dropped.

IPEDS-style (:func:`ipeds_sql`, :func:`ipeds_level`) — one group per person:
    Hispanic of any race → ``hispanic``; else exactly one known race → that race alone; else two
    or more known races → ``two_or_more``; else (no known race) ``declined`` when the person
    declined either question, otherwise ``unknown``. A person whose ethnicity is unknown but whose
    race is known is reported by race (the IPEDS practice); the groups sum to the total.
    Reference: NCES, IPEDS "Reporting race and ethnicity" (2007 final guidance), updated for
    the OMB 2024 standard's Middle Eastern or North African category.

Alone or in combination (:func:`alone_or_in_combination_sql`, :func:`alone_or_in_combination`)
— one yes/no indicator per group: ``hispanic`` (of any race) and each race counted for everyone
who reported it, alone or with others, plus ``unknown``/``declined`` for those who reported no
known race. A person can be in several groups, so **the groups sum to more than the total**:
:func:`summarise_alone_or_in_combination` says so and by how much.

School roll-up (:class:`RollUp`) — a configurable mapping from the IPEDS-style groups to the
school's own groups (e.g. Asian and Pacific Islander combined). Every IPEDS group must be mapped,
and unknown and declined must map to groups of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ristra.core.categories.sql import SqlFragment
from ristra.core.categories.syntax import Value
from ristra.core.sql_dialect import DUCKDB, Dialect
from ristra.core.vocabularies import RACE_CODES

HISPANIC = "hispanic"
TWO_OR_MORE = "two_or_more"
UNKNOWN = "unknown"
DECLINED = "declined"
IPEDS_LEVELS: tuple[str, ...] = (HISPANIC, *RACE_CODES, TWO_OR_MORE, UNKNOWN, DECLINED)
AOIC_LEVELS: tuple[str, ...] = (HISPANIC, *RACE_CODES, UNKNOWN, DECLINED)


def _q(dialect: Dialect, n: int) -> str:
    """A list literal of ``n`` parameters."""
    return dialect.list_literal(["?"] * n)


def _known_races(race: object) -> list[str]:
    if race is None:
        return []
    codes = race if isinstance(race, list | tuple) else [race]
    return sorted({str(c) for c in codes if c in RACE_CODES})


def _declined(row: Mapping[str, object]) -> bool:
    race = row.get("race")
    codes = race if isinstance(race, list | tuple) else [race]
    return row.get("hispanic") == DECLINED or DECLINED in codes


# --------------------------------------------------------------------------- IPEDS-style


def ipeds_level(row: Mapping[str, object]) -> str:
    """The IPEDS-style group of one person (a value of :data:`IPEDS_LEVELS`)."""
    if row.get("hispanic") == "yes":
        return HISPANIC
    known = _known_races(row.get("race"))
    if len(known) == 1:
        return known[0]
    if len(known) > 1:
        return TWO_OR_MORE
    return DECLINED if _declined(row) else UNKNOWN


def ipeds_sql(hispanic: str = "hispanic", race: str = "race", *, dialect: Dialect = DUCKDB) -> SqlFragment:
    """A ``CASE`` expression giving each row's IPEDS-style group (see :func:`ipeds_level`)."""
    h, r = dialect.quote(hispanic), dialect.quote(race)
    codes = list(RACE_CODES)
    known = dialect.list_intersect(r, _q(dialect, len(codes)))
    sql = (
        f"CASE WHEN {h} = ? THEN ? "
        f"WHEN {dialect.list_length(known)} = 1 THEN {dialect.list_element(known, 1)} "
        f"WHEN {dialect.list_length(known)} > 1 THEN ? "
        f"WHEN {h} = ? OR {dialect.list_contains(r, '?')} THEN ? "
        f"ELSE ? END"
    )
    params: list[Value] = ["yes", HISPANIC, *codes, *codes, *codes, TWO_OR_MORE, DECLINED, DECLINED, DECLINED, UNKNOWN]
    return SqlFragment(sql, tuple(params))


# --------------------------------------------------------------------------- alone or in combination


def alone_or_in_combination(row: Mapping[str, object]) -> tuple[str, ...]:
    """Every group (of :data:`AOIC_LEVELS`, in that order) the person is counted in."""
    race = row.get("race")
    codes = race if isinstance(race, list | tuple) else [race]
    groups = [HISPANIC] if row.get("hispanic") == "yes" else []
    known = _known_races(race)
    groups.extend(known)
    if not known:
        groups.append(DECLINED if DECLINED in codes else UNKNOWN)
    return tuple(level for level in AOIC_LEVELS if level in groups)


def alone_or_in_combination_sql(hispanic: str = "hispanic", race: str = "race", *,
                                dialect: Dialect = DUCKDB) -> tuple[tuple[str, SqlFragment], ...]:
    """One never-NULL boolean expression per group of :data:`AOIC_LEVELS`.

    ``unknown``/``declined`` here mean *no known race* (ethnicity is its own indicator).
    """
    h, r = dialect.quote(hispanic), dialect.quote(race)
    codes = list(RACE_CODES)
    no_known = f"coalesce({dialect.list_length(dialect.list_intersect(r, _q(dialect, len(codes))))}, 0) = 0"
    declined = f"coalesce({dialect.list_contains(r, '?')}, FALSE)"
    result: list[tuple[str, SqlFragment]] = [(HISPANIC, SqlFragment(f"coalesce({h} = ?, FALSE)", ("yes",)))]
    for code in codes:
        result.append((code, SqlFragment(f"coalesce({dialect.list_contains(r, '?')}, FALSE)", (code,))))
    result.append((UNKNOWN, SqlFragment(f"({no_known} AND NOT {declined})", (*codes, DECLINED))))
    result.append((DECLINED, SqlFragment(f"({no_known} AND {declined})", (*codes, DECLINED))))
    return tuple(result)


@dataclass(frozen=True)
class AloneOrInCombinationSummary:
    """Counts per alone-or-in-combination group. ``excess`` is how far the groups' sum exceeds
    ``total`` (people counted more than once); ``note`` says so in words."""

    counts: Mapping[str, int]
    total: int
    sum_of_groups: int
    excess: int
    note: str

    def to_dict(self) -> dict[str, object]:
        return {
            "counts": dict(self.counts),
            "total": self.total,
            "sum_of_groups": self.sum_of_groups,
            "excess": self.excess,
            "sums_exceed_total": self.excess > 0,
            "note": self.note,
        }


def summarise_alone_or_in_combination(counts: Mapping[str, int], total: int) -> AloneOrInCombinationSummary:
    """Counts per group with the statement that the groups overlap (raises if a count is
    negative, a group is unknown, or the groups sum to less than the total)."""
    unknown = set(counts) - set(AOIC_LEVELS)
    if unknown:
        raise ValueError(f"unknown alone-or-in-combination groups: {sorted(unknown)}")
    if any(c < 0 for c in counts.values()) or total < 0:
        raise ValueError("counts must not be negative")
    ordered = {level: int(counts.get(level, 0)) for level in AOIC_LEVELS}
    race_sum = sum(v for k, v in ordered.items() if k != HISPANIC)
    if race_sum < total:
        raise ValueError(f"race groups sum to {race_sum}, fewer than the {total} people: a person is missing")
    total_sum = sum(ordered.values())
    excess = total_sum - total
    note = (
        f"Alone or in combination: each person is counted in every group they reported (Hispanic of any "
        f"race is counted as well), so the groups sum to {total_sum}, {excess} more than the {total} people."
    )
    return AloneOrInCombinationSummary(MappingProxyType(ordered), total, total_sum, excess, note)


# --------------------------------------------------------------------------- school roll-up


@dataclass(frozen=True)
class RollUp:
    """A school's own grouping: ``groups`` maps every IPEDS-style level to a group id, and
    ``labels`` gives each group id its display label."""

    name: str
    groups: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        missing = [lvl for lvl in IPEDS_LEVELS if lvl not in self.groups]
        extra = sorted(set(self.groups) - set(IPEDS_LEVELS))
        if missing or extra:
            raise ValueError(f"roll-up {self.name}: unmapped groups {missing}, unknown groups {extra}")
        known_targets = {g for lvl, g in self.groups.items() if lvl not in (UNKNOWN, DECLINED)}
        for marker in (UNKNOWN, DECLINED):
            if self.groups[marker] in known_targets:
                raise ValueError(f"roll-up {self.name}: {marker} must map to a group of its own, not to a race")

    @property
    def levels(self) -> tuple[str, ...]:
        """The roll-up's groups, in the order of their first IPEDS level."""
        return tuple(dict.fromkeys(self.groups[lvl] for lvl in IPEDS_LEVELS))

    def level(self, row: Mapping[str, object]) -> str:
        return self.groups[ipeds_level(row)]

    def sql(self, hispanic: str = "hispanic", race: str = "race", *, dialect: Dialect = DUCKDB) -> SqlFragment:
        inner = ipeds_sql(hispanic, race, dialect=dialect)
        whens = " ".join("WHEN ? THEN ?" for _ in IPEDS_LEVELS)
        params: list[Value] = list(inner.params)
        for lvl in IPEDS_LEVELS:
            params.extend((lvl, self.groups[lvl]))
        return SqlFragment(f"CASE ({inner.sql}) {whens} END", tuple(params))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "groups": dict(self.groups), "labels": dict(self.labels)}


NM_SCHOOL_ROLLUP = RollUp(
    "nm_school",
    {
        HISPANIC: "hispanic",
        "american_indian_alaska_native": "american_indian_alaska_native",
        "black": "black",
        "asian": "asian_pacific_islander",
        "native_hawaiian_pacific_islander": "asian_pacific_islander",
        "white": "white",
        "middle_eastern_north_african": "other",
        "other": "other",
        TWO_OR_MORE: TWO_OR_MORE,
        UNKNOWN: UNKNOWN,
        DECLINED: DECLINED,
    },
    {
        "hispanic": "Hispanic or Latino",
        "american_indian_alaska_native": "American Indian or Alaska Native",
        "black": "Black or African American",
        "asian_pacific_islander": "Asian, Native Hawaiian or Pacific Islander",
        "white": "White",
        "other": "Another race (incl. Middle Eastern or North African)",
        TWO_OR_MORE: "Two or more races",
        UNKNOWN: "Unknown",
        DECLINED: "Declined to state",
    },
)
"""An example roll-up in the shape many New Mexico reports use."""
