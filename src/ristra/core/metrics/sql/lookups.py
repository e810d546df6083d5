"""Category rules compiled for speed without changing their meaning.

A rule is a Kleene formula over comparisons, and every comparison reads one column. Columns fall
into *families* read together: ``ethnicity`` (``hispanic``, ``race``), one family per place
(``residence_*`` and ``high_school_*``, with their derived columns; a participant's ``zip``
belongs to ``residence``), and every other column on its own.

:class:`RowCompiler` splits each rule into maximal sub-formulas that read a single *lookup
family* (one holding a list, text, ZIP, FIPS, state or derived column, where per-row evaluation
is expensive). Each such sub-formula is compiled with :func:`~ristra.core.categories.compile_rule`
— the very SQL the category module produces — and evaluated once per **distinct** combination of
the family's columns in a lookup table; derived columns are computed there too, from the
reference tables :data:`REF_ZIP` and :data:`REF_COUNTY` (see ``derived.py`` for the method). Each
row then joins its family's lookup row (``IS NOT DISTINCT FROM`` on every key column, so every
row finds exactly one) and combines the looked-up truth values with SQL ``AND``/``OR``/``NOT``,
which is Kleene's logic. A sub-formula reading one *code* column is compiled to a *value map*
(:func:`value_map`): its truth value for every code of the column's vocabulary, computed once in
Python with the reference evaluator and looked up per row with ``map_extract_value`` — DuckDB
answers that from the Parquet dictionary, where the ``NULLIF``/``CASE`` form of the same test
costs about four times as much per row. Other cheap comparisons (flags, numbers, dates) are
compiled inline. The result is, row for row, the value of ``compile_rule(rule)`` — the property
tests check it — for every snapshot the import wrote, since it stores only vocabulary codes (a
code outside the vocabulary would read as NULL).

Identifiers are generated (``l0``, ``l0_k1``, ``l0_x2``) or come from the dataset's allow-list
and are double-quoted; values are ``?`` parameters, in textual order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ristra.core.categories import DERIVED, Rule, SqlFragment, columns_for, compile_rule, evaluate
from ristra.core.categories.sql import quote_identifier
from ristra.core.categories.syntax import And, Expr, Not, Or
from ristra.core.datasets import dataset
from ristra.core.sql_dialect import Dialect

#: Reference table of ZIP codes: ``zip`` VARCHAR, ``county`` VARCHAR (the county holding most of
#: the ZIP's residential addresses), ``ruca`` INTEGER (primary RUCA 2010 code 1–10, else NULL).
REF_ZIP = "ristra_ref_zip"
#: Reference table of counties: ``fips`` VARCHAR, ``rucc`` INTEGER, ``frontier`` BOOLEAN.
REF_COUNTY = "ristra_ref_county"

PLACES = ("residence", "high_school")
ETHNICITY = ("hispanic", "race", "race_detail")
LOOKUP_KINDS = frozenset({"code_set", "text", "zip", "fips", "state"})


def family_of(dataset_name: str, column: str) -> str:
    """The family of ``column`` in ``dataset_name`` (see the module docstring)."""
    if column in ETHNICITY:
        return "ethnicity"
    for place in PLACES:
        if column.startswith(place + "_"):
            return place
    if dataset_name == "participants" and column == "zip":
        return "residence"
    return column


def _kind(dataset_name: str, column: str) -> str:
    if column in DERIVED:
        return "derived"
    return dataset(dataset_name).column(column).kind


def is_lookup_family(dataset_name: str, family: str, columns: set[str]) -> bool:
    """Whether expressions over ``columns`` of ``family`` are evaluated through a lookup."""
    if family in ("ethnicity", *PLACES):
        return True
    return any(_kind(dataset_name, c) in LOOKUP_KINDS or c in DERIVED for c in columns)


def expr_columns(expr: Expr) -> set[str]:
    """Every column an expression reads."""
    if isinstance(expr, Not):
        return expr_columns(expr.operand)
    if isinstance(expr, And | Or):
        return set().union(*(expr_columns(e) for e in expr.operands))
    return {expr.column}


def raw_inputs(dataset_name: str, column: str) -> tuple[str, ...]:
    """The canonical columns a (possibly derived) column is computed from."""
    if column in DERIVED:
        return DERIVED[column].inputs[dataset_name]
    return (column,)


def value_map(rule: Rule, dialect: Dialect) -> SqlFragment | None:
    """``rule`` (reading a single code column) as a lookup of the column's value in a map from
    each vocabulary code (markers included) to the rule's truth value for it; ``None`` when the
    rule reads anything else or is not NULL for a NULL value (``is unknown``), which a map
    lookup (NULL for NULL) could not express."""
    if len(rule.columns) != 1:
        return None
    info = next(iter(rule.columns.values()))
    if info.kind != "code" or info.derived or evaluate(rule, {}) is not None:
        return None
    codes = [*info.codes, *info.markers]
    truth = [evaluate(rule, {info.name: code}) for code in codes]
    keys = dialect.cast(dialect.list_literal(["?"] * len(codes)), dialect.array_of(dialect.text))
    values = dialect.cast(dialect.list_literal(["NULL" if t is None else "?" for t in truth]),
                          dialect.array_of(dialect.boolean))
    return SqlFragment(dialect.map_lookup(keys, values, dialect.quote(info.name)),
                       (*codes, *(t for t in truth if t is not None)))


#: The most rows a key table built from the vocabulary may have (else the data's own keys are used).
MAX_DOMAIN_ROWS = 20_000


def vocabulary_domain(dataset_name: str, keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...] | None:
    """Per key column, the codes every stored value is made of, when each key column is a code
    column (its values: a code or NULL) or a code set (NULL or a non-empty, sorted list of distinct
    codes, as the import stores it) and the combinations number at most :data:`MAX_DOMAIN_ROWS`;
    else ``None``."""
    columns = columns_for(dataset_name)
    domain: list[tuple[str, ...]] = []
    rows = 1
    for key in keys:
        info = columns.get(key)
        if info is None or info.derived or info.kind not in ("code", "code_set"):
            return None
        codes = tuple(sorted({*info.codes, *info.markers}))
        rows *= (len(codes) + 1) if info.kind == "code" else 2 ** len(codes)
        if rows > MAX_DOMAIN_ROWS:
            return None
        domain.append(codes)
    return tuple(domain)


def stored_key_columns(dataset_name: str) -> dict[str, tuple[str, ...]]:
    """Per place family of the dataset, every canonical column of the family. The import stores
    the distinct combinations of these columns with each snapshot (its *place keys*); a key table
    of the family over any of these columns is then taken from that small file instead of from
    the rows (:attr:`KeyTable.stored`)."""
    found: dict[str, list[str]] = {}
    for column in dataset(dataset_name).columns:
        family = family_of(dataset_name, column.name)
        if family in PLACES:
            found.setdefault(family, []).append(column.name)
    return {family: tuple(columns) for family, columns in found.items()}


def stored_keys_relation(dataset_name: str, family: str) -> str:
    """The (quoted) name under which the engine reads a snapshot's stored place keys of ``family``."""
    return quote_identifier(f"{dataset_name}__stored_keys__{family}")


@dataclass(frozen=True)
class KeyTable:
    """The rows of a lookup: every value of some key columns. The engine keeps it as a temporary
    table (:meth:`create_sql`), shared by every query over the dataset that needs the same keys.

    By default it holds the distinct values found in the dataset (a superset of any query's rows'
    values, which is all a lookup needs: each row still finds its own key). With ``vocabulary``
    it is built from the columns' vocabularies instead (:func:`vocabulary_domain`) without reading
    the data: every code, or every sorted set of codes, and NULL. A stored value outside it would
    find no lookup row, which the query counts (:meth:`RowCompiler.misses_sql`) so that the engine
    can run it again over the data's own keys. With ``stored`` (a place family) it is taken from
    the place keys the import stored with the snapshot (:func:`stored_key_columns`), read under
    :func:`stored_keys_relation`; a row whose key is not there is counted the same way.
    """

    dataset: str
    keys: tuple[str, ...]
    vocabulary: bool = False
    stored: str | None = None

    @property
    def name(self) -> str:
        prefix = "__codes_" if self.vocabulary else "__stored_" if self.stored else "__keys_"
        return quote_identifier(prefix + self.dataset + "__" + "__".join(self.keys))

    def create_sql(self, dialect: Dialect) -> SqlFragment:
        """The statement making this table, in ``dialect``."""
        columns = ", ".join(dialect.quote(k) for k in self.keys)
        if self.stored is not None:
            return SqlFragment(dialect.create_temp_table(
                self.name, f"SELECT DISTINCT {columns} FROM {stored_keys_relation(self.dataset, self.stored)}"))
        domain = vocabulary_domain(self.dataset, self.keys) if self.vocabulary else None
        if domain is None:
            return SqlFragment(dialect.create_temp_table(
                self.name, f"SELECT DISTINCT {columns} FROM {dialect.quote(self.dataset)}"))
        kinds = columns_for(self.dataset)
        parts: list[str] = []
        params: list[str] = []
        for i, (key, codes) in enumerate(zip(self.keys, domain, strict=True)):
            marks = dialect.cast(dialect.list_literal(["?"] * len(codes)), dialect.array_of(dialect.text))
            if kinds[key].kind == "code":
                values = f"SELECT {dialect.unnest(marks)} AS v"
            else:  # every non-empty subset of the sorted codes, as a sorted list: bit j of m picks code j
                values = (f"SELECT {dialect.list_filter_by_bits(marks, 'm')} "
                          f"AS v FROM {dialect.integer_range(1, 2 ** len(codes), 't', 'm')}")
            parts.append(f"({values} UNION ALL SELECT NULL) AS c{i}")
            params.extend(codes)
        select = ", ".join(f"c{i}.v AS {dialect.quote(k)}" for i, k in enumerate(self.keys))
        return SqlFragment(dialect.create_temp_table(self.name, f"SELECT {select} FROM {', '.join(parts)}"),
                           tuple(params))


@dataclass
class FamilyLookup:
    """One lookup table under construction: its key columns, derived columns, and the
    expressions and derived values it provides."""

    index: int
    family: str
    keys: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    expressions: list[SqlFragment] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def alias(self) -> str:
        return f"l{self.index}"

    def need(self, dataset_name: str, columns: set[str]) -> None:
        for column in sorted(columns):
            if column in DERIVED and column not in self.derived:
                self.derived.append(column)
            for raw in raw_inputs(dataset_name, column):
                if raw not in self.keys:
                    self.keys.append(raw)

    def expression(self, fragment: SqlFragment) -> str:
        """The per-row SQL reading the looked-up value of ``fragment``."""
        for i, existing in enumerate(self.expressions):
            if existing == fragment:
                return f'"{self.alias}"."{self.alias}_x{i}"'
        self.expressions.append(fragment)
        return f'"{self.alias}"."{self.alias}_x{len(self.expressions) - 1}"'

    def output(self, column: str) -> str:
        if column not in self.outputs:
            self.outputs.append(column)
        return f'"{self.alias}"."{self.alias}_v{self.outputs.index(column)}"'


class RowCompiler:
    """Per-row SQL for rules, race schemes and derived columns of one dataset, with the lookup
    CTEs they need. Use the expression methods first, then :meth:`ctes` and :meth:`joins`.
    ``stored`` names the place families whose keys the dataset's snapshot stores (the engine
    reads them under :func:`stored_keys_relation`)."""

    def __init__(self, dataset_name: str, dialect: Dialect, stored: frozenset[str] = frozenset()) -> None:
        self.dataset = dataset_name
        self.dialect = dialect
        self.stored = stored
        self.lookups: dict[str, FamilyLookup] = {}

    def _lookup(self, family: str) -> FamilyLookup:
        if family not in self.lookups:
            self.lookups[family] = FamilyLookup(len(self.lookups), family)
        return self.lookups[family]

    # ------------------------------------------------------------------ expressions

    def boolean(self, rule: Rule) -> SqlFragment:
        """TRUE / FALSE / NULL per row: the value of ``compile_rule(rule)``."""
        return self._split(rule.expr, rule)

    def in_family(self, family: str, fragment: SqlFragment, columns: set[str]) -> SqlFragment:
        """``fragment`` (over ``columns`` of ``family``) evaluated through the family's lookup."""
        lookup = self._lookup(family)
        lookup.need(self.dataset, columns)
        return SqlFragment(lookup.expression(fragment))

    def derived(self, column: str) -> SqlFragment:
        """A derived column's value per row (computed in its family's lookup)."""
        lookup = self._lookup(family_of(self.dataset, column))
        lookup.need(self.dataset, {column})
        return SqlFragment(lookup.output(column))

    def _split(self, expr: Expr, rule: Rule) -> SqlFragment:
        columns = expr_columns(expr)
        families = {family_of(self.dataset, c) for c in columns}
        if len(families) == 1:
            only = next(iter(families))
            single = Rule(rule.text, rule.dataset, expr, {c: rule.columns[c] for c in columns})
            fragment = compile_rule(single, dialect=self.dialect)
            if is_lookup_family(self.dataset, only, columns):
                return self.in_family(only, fragment, columns)
            return value_map(single, self.dialect) or fragment
        if isinstance(expr, Not):
            inner = self._split(expr.operand, rule)
            return SqlFragment(f"(NOT {inner.sql})", inner.params)
        assert isinstance(expr, And | Or)
        # Operands reading one lookup family are merged into one sub-formula of that family.
        grouped: dict[str, list[Expr]] = {}
        order: list[str | Expr] = []
        for operand in expr.operands:
            cols = expr_columns(operand)
            fams = {family_of(self.dataset, c) for c in cols}
            family = next(iter(fams)) if len(fams) == 1 else None
            if family is not None and is_lookup_family(self.dataset, family, cols):
                if family not in grouped:
                    grouped[family] = []
                    order.append(family)
                grouped[family].append(operand)
            else:
                order.append(operand)
        parts: list[SqlFragment] = []
        for item in order:
            if isinstance(item, str):
                members = grouped[item]
                sub = members[0] if len(members) == 1 else type(expr)(tuple(members), expr.position)
                parts.append(self._split(sub, rule))
            else:
                parts.append(self._split(item, rule))
        joiner = " AND " if isinstance(expr, And) else " OR "
        return SqlFragment("(" + joiner.join(p.sql for p in parts) + ")", tuple(v for p in parts for v in p.params))

    # ------------------------------------------------------------------ lookup tables and joins

    def _keys(self, lookup: FamilyLookup, qualifier: str) -> list[str]:
        return [f"{qualifier}{self.dialect.quote(k)}" for k in lookup.keys]

    def _derived_sql(self, lookup: FamilyLookup) -> str:
        """A SELECT over the family's distinct values adding its derived columns."""
        distinct = f'"f{lookup.index}"'
        if not lookup.derived:
            return f"SELECT * FROM {distinct}"
        place = lookup.family
        zip_col = "zip" if self.dataset == "participants" else f"{place}_zip"
        county_col = None if self.dataset == "participants" else f"{place}_county_fips"
        q = self.dialect.quote
        zip_ref = f"f.{q(zip_col)}" if zip_col in lookup.keys else "NULL"
        if county_col is not None and county_col in lookup.keys:
            resolved = f"coalesce(NULLIF(trim(f.{q(county_col)}), ''), z.\"county\")"
        else:
            resolved = 'z."county"'
        values = {
            f"{place}_county_resolved": resolved,
            f"{place}_ruca": 'z."ruca"',
            f"{place}_rucc": 'c."rucc"',
            f"{place}_frontier": 'c."frontier"',
        }
        select = ", ".join(f"{values[d]} AS {q(d)}" for d in lookup.derived)
        return (f"SELECT f.*, {select} FROM {distinct} AS f "
                f'LEFT JOIN "{REF_ZIP}" AS z ON z."zip" = {zip_ref} '
                f'LEFT JOIN "{REF_COUNTY}" AS c ON c."fips" = {resolved}')

    def _from_vocabulary(self, lookup: FamilyLookup, exact: bool) -> bool:
        return not exact and not lookup.derived and vocabulary_domain(self.dataset, tuple(lookup.keys)) is not None

    def _from_stored(self, lookup: FamilyLookup, exact: bool) -> str | None:
        if exact or lookup.family not in self.stored:
            return None
        return lookup.family if set(lookup.keys) <= set(stored_key_columns(self.dataset)[lookup.family]) else None

    def key_tables(self, exact: bool = False) -> list[KeyTable]:
        """The key tables the lookups read (the caller creates any that do not exist yet): built
        from the vocabularies where the keys are codes, taken from the snapshot's stored place
        keys where it has them, else the data's distinct keys (always so with ``exact``)."""
        return [KeyTable(self.dataset, tuple(lookup.keys), self._from_vocabulary(lookup, exact),
                         self._from_stored(lookup, exact))
                for lookup in self.lookups.values()]

    def misses_sql(self, exact: bool = False) -> str | None:
        """A per-row boolean: the row found no row in a key table built from the vocabularies or
        from stored place keys (``None`` when there is no such table)."""
        tests = [f'("{lk.alias}"."{lk.alias}_h" IS NULL)' for lk in self.lookups.values()
                 if self._from_vocabulary(lk, exact) or self._from_stored(lk, exact)]
        return " OR ".join(tests) if tests else None

    def ctes(self, exact: bool = False) -> list[SqlFragment]:
        """``"f<i>" AS (SELECT * FROM <key table>)`` and ``"l<i>" AS (...)`` for every lookup, in
        order (see :meth:`key_tables`).

        Each lookup row carries ``hash()`` of its key columns (``l<i>_h``); with ``exact`` it also
        carries the key columns themselves (``l<i>_k<j>``) for an exact join.
        """
        out: list[SqlFragment] = []
        for lookup, table in zip(self.lookups.values(), self.key_tables(exact), strict=True):
            keys = self._keys(lookup, "")
            out.append(SqlFragment(f'"f{lookup.index}" AS (SELECT * FROM {table.name})'))
            alias = lookup.alias
            columns = [f'{self.dialect.hash(keys)} AS "{alias}_h"']
            if exact:
                columns += [f'{k} AS "{alias}_k{i}"' for i, k in enumerate(self._keys(lookup, ""))]
            columns += [f'({e.sql}) AS "{alias}_x{i}"' for i, e in enumerate(lookup.expressions)]
            columns += [f'{self.dialect.quote(v)} AS "{alias}_v{i}"' for i, v in enumerate(lookup.outputs)]
            params = tuple(v for e in lookup.expressions for v in e.params)
            out.append(SqlFragment(f'"{alias}" AS (SELECT {", ".join(columns)} FROM ({self._derived_sql(lookup)}) AS d)',
                                   params))
        return out

    def joins(self, exact: bool = False) -> str:
        """The ``LEFT JOIN`` clauses attaching every lookup to the source rows (alias ``src``).

        By default a row joins the lookup row with the same ``hash()`` of the key columns; that is
        exact whenever no two lookup rows share a hash, which :meth:`collisions_sql` counts (the
        engine re-runs the query with ``exact`` if it is ever nonzero). With ``exact`` every key
        column is compared with ``IS NOT DISTINCT FROM``.
        """
        clauses = []
        for lookup in self.lookups.values():
            alias = lookup.alias
            src = self._keys(lookup, '"src".')
            if exact:
                on = " AND ".join(f'"{alias}"."{alias}_k{i}" IS NOT DISTINCT FROM {k}' for i, k in enumerate(src))
            else:
                on = f'"{alias}"."{alias}_h" = {self.dialect.hash(src)}'
            clauses.append(f'LEFT JOIN "{alias}" ON {on}')
        return " ".join(clauses)

    def collisions_sql(self) -> str:
        """A scalar expression: how many lookup rows share a hash with another (0: hash joins are exact)."""
        parts = [f'(SELECT count(*) - count(DISTINCT "{lk.alias}_h") FROM "{lk.alias}")' for lk in self.lookups.values()]
        return " + ".join(parts) if parts else "0"
