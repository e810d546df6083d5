"""Synthetic names and e-mail addresses, and the typos that real rosters carry.

Names are built from lists of common given names and surnames in New Mexico — Hispanic/Nuevomexicano,
Diné (Navajo) and Pueblo, Anglo, and Asian surnames — drawn by each person's true census category
and sex. Any one combination is common enough that it identifies nobody; no real record is used.
E-mail addresses use the reserved ``example.*`` domains (RFC 2606), so none can reach a real inbox.

Typos are precomputed per name as a finite set of variants (nickname, a missing accent or an added
one, a transposition of two neighbouring letters, a dropped letter, a doubled letter, all capitals,
a compound surname), so a roster of any size is built by indexing, not by Python string loops.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ristra.synth import demography as dem
from ristra.synth.randomness import FloatArray, IntArray, Streams, cumulative, pick_rows

# (name, sex "f"/"m", Hispanic-leaning)
FIRST_NAMES: tuple[tuple[str, str, bool], ...] = (
    *((n, "f", False) for n in (
        "Emily", "Ashley", "Jessica", "Sarah", "Hannah", "Madison", "Samantha", "Elizabeth", "Katherine",
        "Rachel", "Megan", "Lauren", "Olivia", "Abigail", "Taylor", "Kayla", "Brianna", "Alyssa",
        "Victoria", "Natalie", "Shandiin", "Nizhoni",
    )),
    *((n, "f", True) for n in (
        "Maria", "Sofia", "Isabella", "Gabriela", "Ana", "Elena", "Valeria", "Daniela", "Andrea",
        "Veronica", "Angelica", "Marisol", "Yesenia", "Adriana", "Araceli", "Alejandra", "Cristina", "Monica",
    )),
    *((n, "m", False) for n in (
        "Michael", "Christopher", "Matthew", "Joshua", "Jacob", "Tyler", "Andrew", "Nathan", "Robert",
        "William", "James", "Joseph", "Benjamin", "Daniel", "Ryan", "Kyle", "Brandon", "Justin", "Ethan",
        "Logan", "Ahiga",
    )),
    *((n, "m", True) for n in (
        "Jose", "Juan", "Carlos", "Miguel", "Luis", "Diego", "Gabriel", "Isaiah", "Adrian", "Antonio",
        "Francisco", "Javier", "Alejandro", "Mateo", "Ricardo", "Fernando", "Santiago", "Joaquin",
    )),
)

HISPANIC_SURNAMES = (
    "Garcia", "Martinez", "Chavez", "Lucero", "Sanchez", "Romero", "Baca", "Trujillo", "Montoya",
    "Gallegos", "Gonzales", "Lopez", "Archuleta", "Vigil", "Valdez", "Apodaca", "Padilla", "Salazar",
    "Sandoval", "Maestas", "Aragon", "Otero", "Tafoya", "Ortiz", "Jaramillo", "Herrera", "Armijo",
    "Duran", "Mora", "Cordova", "Rodriguez", "Hernandez", "Perez", "Ramirez", "Jimenez", "Dominguez",
    "Gomez", "Madrid", "Quintana", "Sisneros",
)
NATIVE_SURNAMES = (
    "Begay", "Yazzie", "Benally", "Tsosie", "Nez", "Chee", "Etsitty", "Tso", "Skeet", "Bitsui",
    "Tsinajinnie", "Manuelito", "Lente", "Cata", "Pecos", "Toya", "Shije", "Yepa", "Naranjo",
)
ANGLO_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young",
    "Allen", "King", "Wright", "Baker", "Nelson", "Carter", "Mitchell", "Campbell", "Roberts", "Turner",
)
BLACK_SURNAMES = ("Washington", "Jackson", "Robinson", "Jefferson", "Coleman", "Brooks")
ASIAN_SURNAMES = ("Nguyen", "Tran", "Kim", "Patel", "Chen", "Wang", "Lee", "Le", "Pham", "Shah", "Singh", "Liu")
SURNAMES: tuple[str, ...] = HISPANIC_SURNAMES + NATIVE_SURNAMES + ANGLO_SURNAMES + BLACK_SURNAMES + ASIAN_SURNAMES

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Elizabeth": ("Liz", "Beth"), "Katherine": ("Kate", "Katie"), "Samantha": ("Sam",), "Victoria": ("Tori",),
    "Abigail": ("Abby",), "Jessica": ("Jess",), "Alejandra": ("Ale",), "Gabriela": ("Gaby",),
    "Isabella": ("Bella",), "Daniela": ("Dani",), "Valeria": ("Vale",), "Michael": ("Mike",),
    "Christopher": ("Chris",), "Matthew": ("Matt",), "Joshua": ("Josh",), "Jacob": ("Jake",),
    "Andrew": ("Andy", "Drew"), "Nathan": ("Nate",), "Robert": ("Rob", "Bobby"), "William": ("Will", "Billy"),
    "James": ("Jim", "Jimmy"), "Joseph": ("Joe",), "Benjamin": ("Ben",), "Daniel": ("Dan", "Danny"),
    "Jose": ("Pepe",), "Francisco": ("Paco", "Frank"), "Antonio": ("Tony",), "Alejandro": ("Alex",),
    "Gabriel": ("Gabe",), "Ricardo": ("Rick",), "Santiago": ("Santi",), "Javier": ("Javi",),
}
ACCENTED: dict[str, str] = {
    "Jose": "José", "Maria": "María", "Joaquin": "Joaquín", "Adrian": "Adrián", "Veronica": "Verónica",
    "Angelica": "Angélica", "Monica": "Mónica", "Martinez": "Martínez", "Sanchez": "Sánchez", "Lopez": "López",
    "Gomez": "Gómez", "Rodriguez": "Rodríguez", "Hernandez": "Hernández", "Perez": "Pérez",
    "Ramirez": "Ramírez", "Jimenez": "Jiménez", "Dominguez": "Domínguez", "Aragon": "Aragón",
    "Duran": "Durán",
}

#: Kinds of name variant, in the column order of :class:`NameVariants`.
VARIANT_KINDS = ("exact", "nickname", "accent", "transposition", "dropped", "doubled", "capitals", "compound")


@dataclass(frozen=True)
class NameVariants:
    """Every spelling of every name: ``values`` (exact spellings first, in list order), and per
    (name, kind) the offset and count of that kind's variants in ``values``."""

    values: tuple[str, ...]
    offset: IntArray
    count: IntArray

    def pick(self, name: IntArray, kind: IntArray, u: FloatArray) -> IntArray:
        """Index into ``values`` of one variant of each name (the exact spelling when the name has
        no variant of that kind)."""
        n = self.count[name, kind]
        chosen = self.offset[name, kind] + np.floor(u * np.maximum(n, 1)).astype(np.int64)
        return np.where(n > 0, chosen, name)


def _variants(name: str, kind: str) -> list[str]:
    if kind == "nickname":
        return list(NICKNAMES.get(name, ()))
    if kind == "accent":
        return [ACCENTED[name]] if name in ACCENTED else []
    if kind == "transposition":
        return [name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(1, len(name) - 1) if name[i] != name[i + 1]]
    if kind == "dropped":
        return sorted({name[:i] + name[i + 1 :] for i in range(1, len(name))} - {name})
    if kind == "doubled":
        return [name[: i + 1] + name[i] + name[i + 1 :] for i in range(1, len(name)) if name[i].isalpha()][:4]
    if kind == "capitals":
        return [name.upper()]
    if kind == "compound":
        if name in HISPANIC_SURNAMES:
            partners = [p for p in HISPANIC_SURNAMES[:6] if p != name][:3]
            return [f"{name}-{p}" for p in partners] + [f"{name} {p}" for p in partners[:1]]
        return []
    return []


@functools.cache
def variant_table(which: str) -> NameVariants:
    """The variants of the first names (``"first"``) or surnames (``"last"``)."""
    base = [n for n, _, _ in FIRST_NAMES] if which == "first" else list(SURNAMES)
    values = list(base)
    offset = np.zeros((len(base), len(VARIANT_KINDS)), dtype=np.int64)
    count = np.zeros_like(offset)
    for i, name in enumerate(base):
        offset[i, 0], count[i, 0] = i, 1
        for k, kind in enumerate(VARIANT_KINDS[1:], start=1):
            extra = [x for x in _variants(name, kind) if x != name]
            offset[i, k], count[i, k] = len(values), len(extra)
            values.extend(extra)
    return NameVariants(tuple(values), offset, count)


def _surname_weights(category: int) -> dict[tuple[str, ...], float]:
    table = {
        dem.HISPANIC: {HISPANIC_SURNAMES: 0.9, ANGLO_SURNAMES: 0.1},
        dem.WHITE: {ANGLO_SURNAMES: 0.85, HISPANIC_SURNAMES: 0.15},
        dem.BLACK: {BLACK_SURNAMES: 0.4, ANGLO_SURNAMES: 0.6},
        dem.AIAN: {NATIVE_SURNAMES: 0.65, HISPANIC_SURNAMES: 0.35},
        dem.ASIAN: {ASIAN_SURNAMES: 0.85, ANGLO_SURNAMES: 0.15},
        dem.NHPI: {ASIAN_SURNAMES: 0.3, ANGLO_SURNAMES: 0.7},
        dem.OTHER: {HISPANIC_SURNAMES: 0.5, ANGLO_SURNAMES: 0.5},
        dem.TWO: {ANGLO_SURNAMES: 0.5, HISPANIC_SURNAMES: 0.3, NATIVE_SURNAMES: 0.1, BLACK_SURNAMES: 0.1},
    }
    return table[category]


@functools.cache
def surname_table() -> FloatArray:
    """Cumulative surname weights, one row per true census category."""
    rows = []
    for category in range(len(dem.CATEGORIES)):
        w = np.zeros(len(SURNAMES))
        for group, share in _surname_weights(category).items():
            for name in group:
                w[SURNAMES.index(name)] += share / len(group)
        rows.append(w)
    return cumulative(np.array(rows))


@functools.cache
def first_name_table() -> FloatArray:
    """Cumulative given-name weights; rows: (female, not Hispanic), (female, Hispanic),
    (male, not Hispanic), (male, Hispanic)."""
    rows = []
    for sex in ("f", "m"):
        for hispanic in (False, True):
            lean = 0.65 if hispanic else 0.08
            w = np.array(
                [(lean if h else 1 - lean) / sum(1 for _, s2, h2 in FIRST_NAMES if s2 == sex and h2 == h) if s == sex else 0.0 for _, s, h in FIRST_NAMES]
            )
            rows.append(w)
    return cumulative(np.array(rows))


def true_names(streams: Streams, idx: IntArray, category: IntArray, female: np.ndarray) -> tuple[IntArray, IntArray]:
    """Each person's true given name and surname (indices into the base lists)."""
    row = np.where(female, 0, 2) + (category == dem.HISPANIC)
    first = pick_rows(streams.uniform(idx, "name.first"), first_name_table(), row)
    last = pick_rows(streams.uniform(idx, "name.last"), surname_table(), category)
    return first, last


EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net", "mail.example.com", "students.example.edu")


def ascii_lower(names: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case e-mail-safe forms of names (accents removed, spaces and hyphens dropped)."""
    table = str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN", " -'")
    return tuple(n.translate(table).lower() for n in names)
