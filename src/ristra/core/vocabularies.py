"""Controlled vocabularies: the allowed canonical values of every coded column, and the
spellings other systems use for them.

A vocabulary maps each canonical value to the spellings that mean it. Matching is done on
the trimmed, lower-cased source text, so ``"F"``, ``"f "`` and ``"Female"`` all map to
``female``. A school's column map may add spellings for one column (see
:mod:`ristra.core.columnmap`); it may not invent canonical values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Vocabulary:
    """A closed set of canonical codes with their accepted spellings.

    ``synonyms`` maps a canonical code to the extra spellings (lower case) that mean it;
    every canonical code also matches itself.
    """

    name: str
    codes: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.synonyms) - set(self.codes)
        if unknown:
            raise ValueError(f"vocabulary {self.name}: synonyms for unknown codes {sorted(unknown)}")
        object.__setattr__(self, "synonyms", MappingProxyType(dict(self.synonyms)))

    def spellings(self) -> dict[str, str]:
        """Every accepted spelling (lower case) → canonical code."""
        table: dict[str, str] = {}
        for code in self.codes:
            table[code.lower()] = code
            for spelling in self.synonyms.get(code, ()):
                key = spelling.strip().lower()
                previous = table.get(key)
                if previous is not None and previous != code:
                    raise ValueError(f"vocabulary {self.name}: {key!r} means both {previous} and {code}")
                table[key] = code
        return table


YES_NO_UNKNOWN = Vocabulary(
    "yes_no_unknown",
    ("yes", "no", "unknown", "declined"),
    {
        "yes": ("y", "1", "true", "t", "si", "sí"),
        "no": ("n", "0", "false", "f"),
        "unknown": ("u", "unk", "?", "not reported", "missing", "na", "n/a"),
        "declined": ("decline", "declined to state", "prefer not to say", "refused"),
    },
    "A yes/no answer that may be unknown or declined.",
)

FLAG = Vocabulary(
    "flag",
    ("true", "false"),
    {"true": ("y", "yes", "1", "t", "x"), "false": ("n", "no", "0", "f")},
    "A stage or state that either happened or did not; stored as a boolean.",
)

SEX = Vocabulary(
    "sex",
    ("female", "male", "another", "unknown", "declined"),
    {
        "female": ("f", "female", "w", "woman", "women", "femenino", "mujer"),
        "male": ("m", "male", "man", "men", "masculino", "hombre"),
        "another": ("x", "other", "nonbinary", "non-binary", "intersex"),
        "unknown": ("u", "unk", "not reported", "missing", "na", "n/a"),
        "declined": ("decline", "declined to state", "prefer not to say"),
    },
    "Sex as recorded by the source system (OMB: female or male; others kept as reported).",
)

GENDER_IDENTITY = Vocabulary(
    "gender_identity",
    ("woman", "man", "nonbinary", "another", "unknown", "declined"),
    {
        "woman": ("w", "female", "f"),
        "man": ("m", "male"),
        "nonbinary": ("non-binary", "nb", "genderqueer"),
        "another": ("other", "x"),
        "unknown": ("u", "unk", "not reported"),
        "declined": ("decline", "prefer not to say"),
    },
)

RACE_CODES = (
    "american_indian_alaska_native",
    "asian",
    "black",
    "middle_eastern_north_african",
    "native_hawaiian_pacific_islander",
    "white",
    "other",
)

RACE = Vocabulary(
    "race",
    (*RACE_CODES, "unknown", "declined"),
    {
        "american_indian_alaska_native": (
            "aian",
            "ai/an",
            "american indian",
            "american indian or alaska native",
            "american indian/alaska native",
            "native american",
            "i",
        ),
        "asian": ("a", "as"),
        "black": ("b", "black or african american", "african american", "black/african american"),
        "middle_eastern_north_african": ("mena", "middle eastern or north african", "middle eastern"),
        "native_hawaiian_pacific_islander": (
            "nhpi",
            "p",
            "native hawaiian or other pacific islander",
            "native hawaiian/pacific islander",
            "pacific islander",
        ),
        "white": ("w", "wh", "caucasian"),
        "other": ("o", "some other race", "other race"),
        "unknown": ("u", "unk", "not reported", "missing"),
        "declined": ("decline", "declined to state", "prefer not to say"),
    },
    "OMB race categories (2024 standard, combined question allowed); several may be reported.",
)

CITIZENSHIP = Vocabulary(
    "citizenship",
    ("us_citizen", "permanent_resident", "daca", "other_visa", "unknown", "declined"),
    {
        "us_citizen": ("us", "u.s. citizen", "citizen", "usc", "us citizen"),
        "permanent_resident": ("pr", "lpr", "permanent resident", "green card"),
        "daca": ("deferred action",),
        "other_visa": ("visa", "international", "non-resident alien", "nra", "other"),
        "unknown": ("u", "unk"),
        "declined": ("decline",),
    },
)

SES_INDICATOR = Vocabulary(
    "ses_indicator",
    ("EO-1", "EO-2", "EO-3", "EO-4", "EO-5", "unknown"),
    {
        "EO-1": ("eo1", "eo 1", "1"),
        "EO-2": ("eo2", "eo 2", "2"),
        "EO-3": ("eo3", "eo 3", "3"),
        "EO-4": ("eo4", "eo 4", "4"),
        "EO-5": ("eo5", "eo 5", "5"),
        "unknown": ("u", "unk", "na", "n/a"),
    },
    "AAMC socioeconomic status indicator: EO-1 and EO-2 are the least advantaged.",
)

STUDENT_STATUS = Vocabulary(
    "student_status",
    ("enrolled", "graduated", "withdrawn", "dismissed", "leave"),
    {
        "enrolled": ("active", "e", "current"),
        "graduated": ("g", "grad", "completed", "conferred"),
        "withdrawn": ("w", "withdrew", "withdraw"),
        "dismissed": ("d", "dismissal"),
        "leave": ("l", "loa", "leave of absence"),
    },
)

TRAINEE_KIND = Vocabulary("trainee_kind", ("residency", "fellowship"), {"residency": ("resident",), "fellowship": ("fellow",)})

TRAINEE_STATUS = Vocabulary(
    "trainee_status",
    ("active", "completed", "withdrawn", "dismissed", "transferred", "leave"),
    {
        "active": ("enrolled", "current", "in training"),
        "completed": ("graduated", "finished", "complete"),
        "withdrawn": ("resigned", "withdrew"),
        "dismissed": ("terminated",),
        "transferred": ("transfer",),
        "leave": ("loa", "leave of absence"),
    },
)

EMPLOYEE_CLASS = Vocabulary("employee_class", ("faculty", "staff"), {"faculty": ("fac",), "staff": ("stf",)})

RANK = Vocabulary(
    "rank",
    ("instructor", "assistant_professor", "associate_professor", "professor", "lecturer", "none"),
    {
        "instructor": ("instr",),
        "assistant_professor": ("assistant professor", "asst prof", "asst. prof.", "assistant"),
        "associate_professor": ("associate professor", "assoc prof", "assoc. prof.", "associate"),
        "professor": ("full professor", "prof", "full"),
        "lecturer": ("lect",),
        "none": ("n/a", "na", "staff"),
    },
    "Academic rank; staff carry ``none``.",
)

TRACK = Vocabulary(
    "track",
    ("tenure", "clinician_educator", "research", "none"),
    {
        "tenure": ("tenure track", "tenured", "tt"),
        "clinician_educator": ("clinician educator", "clinical", "ce", "non-tenure clinical"),
        "research": ("research track", "r"),
        "none": ("n/a", "na"),
    },
)

LEADERSHIP_ROLE = Vocabulary(
    "leadership_role",
    ("none", "dean", "associate_dean", "assistant_dean", "chair", "vice_chair", "division_chief", "director"),
    {
        "none": ("", "n/a", "na"),
        "associate_dean": ("associate dean", "assoc dean"),
        "assistant_dean": ("assistant dean", "asst dean"),
        "vice_chair": ("vice chair",),
        "division_chief": ("division chief", "chief"),
    },
)

SEPARATION_REASON = Vocabulary(
    "separation_reason",
    (
        "retirement",
        "resignation_other_institution",
        "resignation_personal",
        "non_renewal",
        "termination",
        "death",
        "other",
        "unknown",
    ),
    {
        "retirement": ("retired", "retire"),
        "resignation_other_institution": ("left for another institution", "recruited away", "other institution"),
        "resignation_personal": ("personal", "family", "resigned"),
        "non_renewal": ("contract not renewed", "nonrenewal", "non-renewal"),
        "termination": ("terminated", "dismissed"),
        "death": ("deceased",),
    },
)

EMPLOYEE_EVENT = Vocabulary(
    "employee_event",
    ("hire", "promotion", "appointment", "separation"),
    {"hire": ("hired", "new hire"), "promotion": ("promoted",), "appointment": ("appointed", "role")},
)

PROGRAM_KIND = Vocabulary(
    "program_kind",
    ("pipeline_program", "partnership", "pathway", "outreach"),
    {"pipeline_program": ("pipeline", "program"), "partnership": ("partner",)},
)

AUDIENCE_LEVEL = Vocabulary(
    "audience_level",
    (
        "k12",
        "high_school",
        "undergraduate",
        "post_baccalaureate",
        "medical_student",
        "resident",
        "faculty",
        "community",
    ),
    {
        "k12": ("k-12", "elementary", "middle school"),
        "high_school": ("high school", "hs"),
        "undergraduate": ("college", "ug"),
        "post_baccalaureate": ("post-bacc", "postbacc", "post baccalaureate"),
        "medical_student": ("medical student", "md student"),
    },
)

ALL: tuple[Vocabulary, ...] = (
    YES_NO_UNKNOWN,
    FLAG,
    SEX,
    GENDER_IDENTITY,
    RACE,
    CITIZENSHIP,
    SES_INDICATOR,
    STUDENT_STATUS,
    TRAINEE_KIND,
    TRAINEE_STATUS,
    EMPLOYEE_CLASS,
    RANK,
    TRACK,
    LEADERSHIP_ROLE,
    SEPARATION_REASON,
    EMPLOYEE_EVENT,
    PROGRAM_KIND,
    AUDIENCE_LEVEL,
)
