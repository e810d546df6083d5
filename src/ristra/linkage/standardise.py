"""Standardisation of linkage fields, in SQL (DuckDB), before any comparison.

Rules (each the same for rosters and identity datasets):

* names: lower case, accents stripped (``strip_accents``), everything but letters removed
  (``José`` → ``jose``, ``O'Brien`` → ``obrien``); a surname is also split into *tokens* on spaces
  and hyphens, without the particles de, del, la, las, los, y, van, von (``García-Martínez`` →
  ``[garcia, martinez]``), and an earlier surname (``former_last_name``) adds its tokens;
* first names also get a *canonical* form and a list of *forms* through the packaged nickname and
  diminutive lists (:mod:`ristra.reference.given_names`: ``pepe`` → ``jose``, ``paco`` →
  ``francisco``, ``lupe`` → ``guadalupe``, ``bill`` → ``william``);
* dates of birth: ISO text ``YYYY-MM-DD`` (a DATE, or text that parses as an ISO date; anything else
  becomes NULL), with the birth year apart for blocking;
* e-mail: trimmed, lower case (compared exactly, never fuzzily: usernames are built from names);
* ZIP: the first five digits (ZIP+4 cut), and ZIP3;
* school: lower case, accents stripped, punctuation removed, spaces collapsed; then, between the two
  tables of a run, a school neither table's other side ever holds becomes NULL
  (:func:`keep_comparable`: a roster of high-school students names high schools, an admissions
  dataset undergraduate institutions — such values never agree, for matches and non-matches
  alike, so their disagreement says nothing);
* identifiers (AAMC ID, NPI): digits only.

A field the table does not have becomes NULL, so every standardised table has the same columns.
"""

from __future__ import annotations

import functools

import duckdb

from ristra.core.categories.sql import quote_identifier
from ristra.reference.given_names import canonical_given_name, given_name_forms

GIVEN_NAMES_TABLE = "linkage_given_names"
PARTICLES = ("de", "del", "la", "las", "los", "y", "van", "von", "da", "di")

#: Columns of every standardised table, in order.
STANDARD_COLUMNS = (
    "unique_id", "block_key", "group_key", "first_std", "first_canonical", "first_forms", "last_std", "last_tokens",
    "birth_date", "birth_year", "email_std", "zip5", "zip3", "school_std", "aamc_id", "npi",
)


@functools.cache
def _given_name_rows() -> tuple[tuple[str, str, list[str]], ...]:
    return tuple((name, canonical_given_name(name), list(forms)) for name, forms in given_name_forms().items())


def register_given_names(con: duckdb.DuckDBPyConnection) -> None:
    """Create the nickname table (name, canonical, forms) in ``con`` once."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [GIVEN_NAMES_TABLE]).fetchall()
    if exists[0][0]:
        return
    con.execute(f"CREATE TABLE {GIVEN_NAMES_TABLE} (name VARCHAR PRIMARY KEY, canonical VARCHAR, forms VARCHAR[])")
    con.executemany(f"INSERT INTO {GIVEN_NAMES_TABLE} VALUES (?, ?, ?)", list(_given_name_rows()))


def _letters(expression: str) -> str:
    return f"NULLIF(regexp_replace(lower(strip_accents({expression})), '[^a-z]', '', 'g'), '')"


def _tokens(expression: str) -> str:
    particles = ", ".join(f"'{p}'" for p in PARTICLES)
    split = f"string_split_regex(lower(strip_accents(coalesce({expression}, ''))), '[\\s\\-]+')"
    cleaned = f"list_transform({split}, lambda t: regexp_replace(t, '[^a-z]', '', 'g'))"
    return f"list_filter({cleaned}, lambda t: t <> '' AND NOT list_contains([{particles}], t))"


def standardised_select(source: str, id_column: str, present: tuple[str, ...], block_key: str | None = None,
                        group_key: str | None = None) -> str:
    """The SELECT that standardises ``source`` (a table or view) into :data:`STANDARD_COLUMNS`.
    ``present`` names the linkage fields the source has; ``block_key`` an optional column that
    groups rows of one person (e.g. program and roster id) for one-to-one resolution, ``group_key``
    one within which resolution is one-to-one (e.g. the program)."""

    def col(name: str) -> str:
        return f"s.{quote_identifier(name)}" if name in present else "CAST(NULL AS VARCHAR)"

    first = _letters(col("first_name"))
    birth = (f"CAST(try_cast({col('birth_date')} AS DATE) AS VARCHAR)" if "birth_date" in present
             else "CAST(NULL AS VARCHAR)")
    zip5 = f"CASE WHEN length(regexp_replace(CAST({col('zip')} AS VARCHAR), '[^0-9]', '', 'g')) >= 5 " \
           f"THEN left(regexp_replace(CAST({col('zip')} AS VARCHAR), '[^0-9]', '', 'g'), 5) END"
    former = _tokens(col("former_last_name")) if "former_last_name" in present else "[]::VARCHAR[]"
    key = f"CAST(s.{quote_identifier(block_key)} AS VARCHAR)" if block_key else "CAST(s." + quote_identifier(id_column) + " AS VARCHAR)"
    return f"""
SELECT
  CAST(s.{quote_identifier(id_column)} AS VARCHAR) AS unique_id,
  {key} AS block_key,
  {f"CAST(s.{quote_identifier(group_key)} AS VARCHAR)" if group_key else "CAST(NULL AS VARCHAR)"} AS group_key,
  f.first_std,
  coalesce(g.canonical, f.first_std) AS first_canonical,
  CASE WHEN f.first_std IS NULL THEN NULL ELSE coalesce(g.forms, [f.first_std]) END AS first_forms,
  {_letters(col('last_name'))} AS last_std,
  NULLIF(list_distinct(list_concat({_tokens(col('last_name'))}, {former})), []) AS last_tokens,
  f.birth_date,
  CAST(left(f.birth_date, 4) AS INTEGER) AS birth_year,
  NULLIF(lower(trim(CAST({col('email')} AS VARCHAR))), '') AS email_std,
  {zip5} AS zip5,
  left({zip5}, 3) AS zip3,
  NULLIF(trim(regexp_replace(regexp_replace(lower(strip_accents(CAST({col('school')} AS VARCHAR))), '[^a-z0-9 ]', ' ', 'g'), '\\s+', ' ', 'g')), '') AS school_std,
  NULLIF(regexp_replace(CAST({col('aamc_id')} AS VARCHAR), '[^0-9]', '', 'g'), '') AS aamc_id,
  NULLIF(regexp_replace(CAST({col('npi')} AS VARCHAR), '[^0-9]', '', 'g'), '') AS npi
FROM {source} AS s
CROSS JOIN LATERAL (SELECT {first} AS first_std, {birth} AS birth_date) AS f
LEFT JOIN {GIVEN_NAMES_TABLE} AS g ON g.name = f.first_std
"""


def standardise(con: duckdb.DuckDBPyConnection, source: str, target: str, id_column: str,
                present: tuple[str, ...], block_key: str | None = None, group_key: str | None = None) -> None:
    """Create table ``target`` holding the standardised rows of ``source``."""
    register_given_names(con)
    select = standardised_select(source, id_column, present, block_key, group_key)
    con.execute(f"CREATE OR REPLACE TABLE {target} AS {select}")


def keep_comparable(con: duckdb.DuckDBPyConnection, left: str, right: str, column: str) -> None:
    """Set ``column`` to NULL in each of the standardised tables ``left`` and ``right`` where its
    value never occurs in the other table (a value with no counterpart is not comparable, so it
    counts as missing rather than as a disagreement)."""
    c = quote_identifier(column)
    for this, other in ((left, right), (right, left)):
        con.execute(f"UPDATE {this} SET {c} = NULL WHERE {c} IS NOT NULL "
                    f"AND {c} NOT IN (SELECT {c} FROM {other} WHERE {c} IS NOT NULL)")
