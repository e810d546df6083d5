"""What a metric splits people by: a category (yes / no / unknown), two categories crossed (nine
levels), or a race reporting scheme (IPEDS-style, the school's roll-up, or alone or in
combination).

Contract
--------
* :func:`resolve_grouping` turns the name in a specification into a :class:`Grouping` using the
  category version in use: a category id (``urm_nm``), two ids crossed with ``*``
  (``women*urm_nm``), or a race scheme (``race:ipeds``, ``race:nm_school``, ``race:aoic``). Unknown
  names raise :class:`UnknownCategory` naming the nearest ones.
* A grouping is computed from one or two *dimensions* per row (:class:`RuleDimension`: the rule's
  TRUE / FALSE / NULL; :class:`SchemeDimension`: the scheme's group) and :meth:`Grouping.level`
  maps their values to a level label. Every level is always reported, with zero counts where
  nobody is in it; *unknown* (and, in race schemes, *declined*) are levels of their own.
* ``race:aoic`` (alone or in combination) is **overlapping**: a person is in every group they
  reported, so its dimensions are one yes/no indicator per group and :meth:`Grouping.memberships`
  gives every level of a row (:meth:`Grouping.level` gives the single level of the other
  groupings). Its groups sum to more than the total; metrics that compare groups with each
  other (selection ratio, retention, promotion) call :meth:`Grouping.require_disjoint` and refuse
  it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ristra.core.categories import (
    AOIC_LEVELS,
    IPEDS_LEVELS,
    MEMBERSHIP_LEVELS,
    NM_SCHOOL_ROLLUP,
    CategoryDefinition,
    CategorySet,
    Rule,
    SqlFragment,
    alone_or_in_combination,
    alone_or_in_combination_sql,
    evaluate,
    ipeds_level,
    ipeds_sql,
)
from ristra.core.categories.crossing import SEPARATOR
from ristra.core.datasets import dataset
from ristra.core.metrics.errors import CategoryNotApplicable, InvalidSpecification, UnknownCategory
from ristra.core.sql_dialect import Dialect

YES, NO, UNKNOWN = MEMBERSHIP_LEVELS
AOIC = "race:aoic"
RACE_SCHEMES = ("race:ipeds", "race:nm_school", AOIC)
AOIC_NOTE = ("alone or in combination: each person is counted in every group they reported (Hispanic of any race "
             "as well), so the groups sum to more than the total")
_RACE_DATASETS = ("applications", "students", "trainees", "employees", "participants")


@dataclass(frozen=True, eq=False)
class RuleDimension:
    """A category rule over one dataset: TRUE, FALSE or NULL (unknown) per row."""

    key: str
    rule: Rule

    def value(self, row: Mapping[str, object]) -> object:
        return evaluate(self.rule, row)


@dataclass(frozen=True, eq=False)
class SchemeDimension:
    """A race scheme's group per row, or (alone or in combination) one group's yes/no indicator:
    ``sql`` (SQL over ``hispanic`` and ``race`` in a dialect) and ``python`` (the same in Python)."""

    key: str
    sql: Callable[[Dialect], SqlFragment]
    python: Callable[[Mapping[str, object]], str | bool]
    columns: tuple[str, ...] = ("hispanic", "race")

    def value(self, row: Mapping[str, object]) -> object:
        return self.python(row)


Dimension = RuleDimension | SchemeDimension


def truth_level(value: object, unknown_as_no: bool = False) -> str:
    """The level of a rule value: TRUE → yes, FALSE → no, NULL → unknown (→ no when
    ``unknown_as_no``)."""
    if value is None:
        return NO if unknown_as_no else UNKNOWN
    return YES if value else NO


@dataclass(frozen=True, eq=False)
class Grouping:
    """A way of splitting people into levels; see the module docstring.

    ``benchmark_key`` names the state benchmark of the ``yes`` level (categories only).
    ``positive`` is the level whose share is the headline (``yes`` for categories).
    """

    id: str
    label: str
    kind: str
    levels: tuple[str, ...]
    datasets: tuple[str, ...]
    benchmark_key: str | None = None
    positive: str | None = YES
    definitions: tuple[CategoryDefinition, ...] = field(default=())
    #: unknown membership counted with ``no`` ("not in category or unknown"): a recoding for
    #: public output decided by the audience, never by the counts (see :meth:`with_unknown_merged`)
    unknown_merged: bool = False

    def with_unknown_merged(self) -> Grouping:
        """The same grouping with unknown membership counted with "not in category" (categories
        and crossings; race schemes keep their unknown and declined groups). A data-independent
        recoding: public tables then never show a small "unknown" group that would otherwise have
        to be suppressed together with the large "not in category" group beside it."""
        if self.kind == "category":
            levels: tuple[str, ...] = (YES, NO)
        elif self.kind == "crossed":
            levels = tuple(f"{x}{SEPARATOR}{y}" for x in (YES, NO) for y in (YES, NO))
        else:
            return self
        return Grouping(self.id, self.label, self.kind, levels, self.datasets, self.benchmark_key, self.positive,
                        self.definitions, unknown_merged=True)

    @property
    def overlapping(self) -> bool:
        """Whether a person can be in more than one level (alone or in combination)."""
        return self.kind == "overlapping_scheme"

    def require_disjoint(self, metric: str) -> None:
        """Raise :class:`InvalidSpecification` for an overlapping grouping: ``metric`` compares
        levels with each other, which needs each person in exactly one of them."""
        if self.overlapping:
            raise InvalidSpecification(
                f"{metric} compares groups with each other, which needs every person in exactly one group; "
                f"{self.id} counts a person in every group they reported. Use race:ipeds or race:nm_school")

    def is_unknown(self, level: str) -> bool:
        """Whether ``level`` says membership is not known (unknown, or declined in race schemes)."""
        if self.kind in ("race_scheme", "overlapping_scheme"):
            return level in ("unknown", "declined")
        return UNKNOWN in level.split(SEPARATOR)

    def applies_to(self, dataset_name: str) -> bool:
        return dataset_name in self.datasets

    def require(self, dataset_name: str) -> None:
        """Raise :class:`CategoryNotApplicable` unless the grouping applies to ``dataset_name``."""
        dataset(dataset_name)
        if not self.applies_to(dataset_name):
            raise CategoryNotApplicable(self.id, dataset_name, self.datasets)

    def dimensions(self, dataset_name: str) -> tuple[Dimension, ...]:
        """The per-row dimensions the level is computed from."""
        self.require(dataset_name)
        if self.overlapping:
            return tuple(SchemeDimension(f"scheme:{self.id}:{level}", _indicator_sql(level), _member(level))
                         for level in AOIC_LEVELS)
        if self.kind == "race_scheme":
            sql, python = _scheme(self.id)
            return (SchemeDimension(f"scheme:{self.id}", sql, python),)
        return tuple(
            RuleDimension(f"rule:{dataset_name}:{d.id}:{d.rule}", d.checked(dataset_name)) for d in self.definitions
        )

    def level(self, values: Sequence[object]) -> str:
        """The level label of one row (or group) from its dimension values (disjoint groupings)."""
        if self.overlapping:
            raise ValueError(f"{self.id} is overlapping: a row has several levels (use memberships)")
        if self.kind == "race_scheme":
            return str(values[0])
        merged = self.unknown_merged
        if self.kind == "crossed":
            return f"{truth_level(values[0], merged)}{SEPARATOR}{truth_level(values[1], merged)}"
        return truth_level(values[0], merged)

    def memberships(self, values: Sequence[object]) -> tuple[str, ...]:
        """Every level of one row (or group): one for disjoint groupings, any number of
        indicators that are true for an overlapping one."""
        if self.overlapping:
            return tuple(level for level, v in zip(self.levels, values, strict=True) if v)
        return (self.level(values),)

    def is_known(self, values: Sequence[object]) -> bool:
        """Whether the row is in at least one level that is not unknown or declined."""
        return any(not self.is_unknown(level) for level in self.memberships(values))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "levels": list(self.levels),
            "datasets": list(self.datasets),
            "benchmark_key": self.benchmark_key,
            "unknown_merged": self.unknown_merged,
        }


def _ipeds_sql(dialect: Dialect) -> SqlFragment:
    return ipeds_sql(dialect=dialect)


def _nm_school_sql(dialect: Dialect) -> SqlFragment:
    return NM_SCHOOL_ROLLUP.sql(dialect=dialect)


def _scheme(name: str) -> tuple[Callable[[Dialect], SqlFragment], Callable[[Mapping[str, object]], str]]:
    if name == "race:ipeds":
        return _ipeds_sql, ipeds_level
    return _nm_school_sql, NM_SCHOOL_ROLLUP.level


def _indicator_sql(level: str) -> Callable[[Dialect], SqlFragment]:
    """The SQL of one alone-or-in-combination group's indicator, in a dialect."""
    def sql(dialect: Dialect) -> SqlFragment:
        return dict(alone_or_in_combination_sql(dialect=dialect))[level]
    return sql


def _member(level: str) -> Callable[[Mapping[str, object]], bool]:
    def python(row: Mapping[str, object]) -> bool:
        return level in alone_or_in_combination(row)
    return python


def _category(d: CategoryDefinition) -> Grouping:
    return Grouping(d.id, d.label, "category", MEMBERSHIP_LEVELS, d.datasets, d.benchmark_key, YES, (d,))


def resolve_grouping(categories: CategorySet, name: str) -> Grouping:
    """The grouping called ``name`` in ``categories`` (see the module docstring)."""
    name = name.strip()
    if name == "race:ipeds":
        return Grouping(name, "Race and ethnicity (IPEDS-style)", "race_scheme", IPEDS_LEVELS, _RACE_DATASETS,
                        None, None)
    if name == "race:nm_school":
        return Grouping(name, "Race and ethnicity (school roll-up)", "race_scheme", NM_SCHOOL_ROLLUP.levels,
                        _RACE_DATASETS, None, None)
    if name == AOIC:
        return Grouping(name, "Race and ethnicity (alone or in combination)", "overlapping_scheme", AOIC_LEVELS,
                        _RACE_DATASETS, None, None)
    choices = (*categories.ids, *RACE_SCHEMES)
    parts = [p.strip() for p in name.split("*")]
    if len(parts) > 2 or not all(parts):
        raise UnknownCategory(name, categories.version, choices)
    found = []
    for part in parts:
        try:
            found.append(categories.get(part))
        except KeyError:
            raise UnknownCategory(part, categories.version, choices) from None
    if len(found) == 1:
        return _category(found[0])
    a, b = found
    if a.id == b.id:
        raise UnknownCategory(name, categories.version, choices)
    datasets = tuple(d for d in a.datasets if d in b.datasets)
    if not datasets:
        raise CategoryNotApplicable(name, "any dataset", ("none: the two categories share no dataset",))
    levels = tuple(f"{x}{SEPARATOR}{y}" for x in MEMBERSHIP_LEVELS for y in MEMBERSHIP_LEVELS)
    return Grouping(f"{a.id}*{b.id}", f"{a.label} × {b.label}", "crossed", levels, datasets, None,
                    f"{YES}{SEPARATOR}{YES}", (a, b))
