"""Given-name equivalences: English nicknames, Spanish diminutives and a short New Mexico supplement.

Three packaged lists (see ``PROVENANCE.md``) give pairs (formal name, nickname or equivalent):

* ``first_name_nicknames_en_pypi_nicknames_1.0.1.csv`` — ``name1 has_nickname name2`` (Apache-2.0);
* ``first_name_variants_es_pypi_delfuzz_1.0.0.csv`` — ``name_a`` (diminutive) → ``name_b`` (formal),
  direct pairs only (cost 0.15), without the equivalences the README calls doubtful (MIT);
* ``first_name_variants_nm_ristra.csv`` — diminutives common in New Mexico that neither list has
  (written for this project; each pair is a widely used Spanish or English short form).

Contract
--------
* Names are keyed in their *standard* form: lower case, accents removed, letters only
  (:func:`standard_name`; the linkage SQL applies the same rule), so ``José`` and ``jose`` are one key.
* :func:`given_name_forms` maps a standard name to its *forms*: itself plus every formal name it is a
  nickname of; two names are nickname-equivalent when their forms intersect (``bob`` and ``bobby``
  share ``robert``). :func:`canonical_given_name` is one representative: the name itself when it is a
  formal name in any list, otherwise its first formal name — Spanish direct pairs first, then the
  supplement, then English (``pepe`` → ``jose``, ``paco`` → ``francisco``, ``lupe`` → ``guadalupe``).
* Read once (``functools.cache``); returned mappings are read-only.
"""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from collections.abc import Iterator, Mapping
from importlib import resources
from types import MappingProxyType

ENGLISH_FILE = "first_name_nicknames_en_pypi_nicknames_1.0.1.csv"
SPANISH_FILE = "first_name_variants_es_pypi_delfuzz_1.0.0.csv"
SUPPLEMENT_FILE = "first_name_variants_nm_ristra.csv"

#: Spanish-list equivalences the reference README marks as doubtful; left out.
_DOUBTFUL = {("gloria", "geoffrey"), ("dorothy", "donato"), ("bruno", "brown"), ("alba", "dawn"), ("dawn", "aurora")}


def standard_name(text: str) -> str:
    """Lower case, accents removed (NFKD, combining marks dropped), letters only."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch))


def _rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files(__package__).joinpath(name).open("rb") as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


@functools.cache
def given_name_pairs() -> tuple[tuple[str, str], ...]:
    """(formal, nickname) pairs in standard form, in preference order (Spanish, supplement, English)."""
    pairs: list[tuple[str, str]] = []
    for row in _rows(SPANISH_FILE):
        if row["delfuzz_cost"] != "0.15" or (row["name_a"], row["name_b"]) in _DOUBTFUL:
            continue
        formal, short = standard_name(row["name_b"]), standard_name(row["name_a"])
        if " " not in row["name_b"] and formal and short:
            pairs.append((formal, short))
    for row in _rows(SUPPLEMENT_FILE):
        pairs.append((standard_name(row["formal"]), standard_name(row["nickname"])))
    for row in _rows(ENGLISH_FILE):
        if row["relationship"] == "has_nickname":
            pairs.append((standard_name(row["name1"]), standard_name(row["name2"])))
    return tuple(dict.fromkeys(p for p in pairs if p[0] != p[1]))


@functools.cache
def given_name_forms() -> Mapping[str, tuple[str, ...]]:
    """Standard name → (the name itself, then the formal names it is a nickname of)."""
    formals = {formal for formal, _ in given_name_pairs()}
    forms: dict[str, list[str]] = {}
    for formal, short in given_name_pairs():
        forms.setdefault(formal, [formal])
        entry = forms.setdefault(short, [short])
        if formal not in entry:
            entry.append(formal)
    ordered = {
        name: tuple(entry) if name in formals else (name, *entry[1:])
        for name, entry in forms.items()
    }
    return MappingProxyType(ordered)


def canonical_given_name(text: str) -> str:
    """The canonical form of a given name (see the module contract); unknown names stand for themselves."""
    name = standard_name(text)
    formals = _formal_names()
    if name in formals:
        return name
    entry = given_name_forms().get(name)
    return entry[1] if entry and len(entry) > 1 else name


@functools.cache
def _formal_names() -> frozenset[str]:
    return frozenset(formal for formal, _ in given_name_pairs())


@functools.cache
def nicknames_of(text: str) -> tuple[str, ...]:
    """The nicknames (standard form) the lists give for a formal name, in list order."""
    name = standard_name(text)
    return tuple(short for formal, short in given_name_pairs() if formal == name)
