"""The canonical datasets: every column declared once, with its type, allowed values,
whether it is required, whether it is sensitive, and what it means.

These declarations drive validation (:mod:`ristra.ingest.validation`), the synthetic school
(:mod:`ristra.synth`), the snapshot schema and the generated data dictionary
(``docs/data-dictionary.md``). Change a dataset here and bump :data:`SCHEMA_VERSION`.

Kinds of column
---------------
``text``      free text (formula-looking text is refused: it would execute in a spreadsheet)
``id``        an identifier (text, no formula check needed beyond the text rule)
``code``      one value from a :class:`~ristra.core.vocabularies.Vocabulary`
``code_set``  zero or more values from a vocabulary (e.g. race), stored as a list
``flag``      true/false (stage flags), stored as a boolean
``integer``   a whole number within ``minimum``..``maximum``
``year``      a calendar year, not in the future beyond ``future_years``
``date``      a calendar date, ISO 8601 (``YYYY-MM-DD``) by default, not in the future
``number``    a decimal number within ``minimum``..``maximum``
``fips``      a five-digit county FIPS code
``zip``       a five-digit ZIP code (ZIP+4 is cut to five digits)
``state``     a two-letter USPS state or territory code

Restricted identity datasets
----------------------------
The analytic datasets hold a pseudonymous ``person_id`` only. Names, birth dates, e-mail
addresses and identifiers (AAMC ID, NPI) live in one *identity* dataset per source system
(:data:`IDENTITY_DATASETS`: admissions/registrar, graduate medical education, human resources),
``person_id`` → linkage fields. They are imported like any dataset (:func:`dataset` finds them,
so column maps, validation and snapshots apply), but they are ``restricted``: they are not in
:data:`DATASETS`, so no metric, report, dashboard or page can name them, and the metrics engine
refuses to open them; only the linkage service (:mod:`ristra.linkage`) reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ristra.core import vocabularies as v
from ristra.core.vocabularies import Vocabulary

SCHEMA_VERSION = 1

ColumnKind = Literal[
    "text", "id", "code", "code_set", "flag", "integer", "year", "date", "number", "fips", "zip", "state"
]

#: Storage type of each kind, as a DuckDB/Parquet logical type.
STORAGE_TYPE: dict[str, str] = {
    "text": "VARCHAR",
    "id": "VARCHAR",
    "code": "VARCHAR",
    "code_set": "VARCHAR[]",
    "flag": "BOOLEAN",
    "integer": "INTEGER",
    "year": "SMALLINT",
    "date": "DATE",
    "number": "DOUBLE",
    "fips": "VARCHAR",
    "zip": "VARCHAR",
    "state": "VARCHAR",
}

US_STATES: tuple[str, ...] = tuple(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM FM MH PW AA AE AP".split()
)


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``sensitive`` columns are never echoed back in messages, logs or errors: a validation
    issue names the row and column and the reason, not the value.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = False
    sensitive: bool = False
    vocabulary: Vocabulary | None = None
    minimum: float | None = None
    maximum: float | None = None
    future_years: int = 0
    max_length: int = 500

    def __post_init__(self) -> None:
        if self.kind in ("code", "code_set") and self.vocabulary is None:
            raise ValueError(f"column {self.name}: a {self.kind} column needs a vocabulary")
        if self.kind not in STORAGE_TYPE:
            raise ValueError(f"column {self.name}: unknown kind {self.kind}")

    @property
    def storage_type(self) -> str:
        return STORAGE_TYPE[self.kind]

    @property
    def allowed_values(self) -> tuple[str, ...]:
        return self.vocabulary.codes if self.vocabulary else ()


@dataclass(frozen=True)
class Dataset:
    """A canonical dataset: its columns, its key and what one row is.

    ``restricted`` datasets (the identity datasets) are read only by the linkage service;
    ``source_system`` names the office whose system an identity dataset comes from.
    """

    name: str
    row_is: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    unique_together: tuple[tuple[str, ...], ...] = ()
    restricted: bool = False
    source_system: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"dataset {self.name}: columns declared twice: {sorted(dupes)}")
        for k in self.key:
            if k not in names:
                raise ValueError(f"dataset {self.name}: key column {k} is not declared")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"dataset {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)


def _geography(prefix: str, where: str) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_state", "state", f"State of the {where} (USPS code).", sensitive=True),
        Column(f"{prefix}_county_fips", "fips", f"County of the {where} (5-digit FIPS).", sensitive=True),
        Column(f"{prefix}_city", "text", f"City or place of the {where}.", sensitive=True, max_length=100),
        Column(f"{prefix}_zip", "zip", f"ZIP code of the {where} (5 digits).", sensitive=True),
    )


def _demographics(person_required: bool = True) -> tuple[Column, ...]:
    return (
        Column(
            "person_id",
            "id",
            "Pseudonymous person identifier, stable within its source system.",
            required=person_required,
            max_length=64,
        ),
        Column("sex", "code", "Sex as recorded by the source.", required=True, sensitive=True, vocabulary=v.SEX),
        Column("gender_identity", "code", "Gender identity, where collected.", sensitive=True, vocabulary=v.GENDER_IDENTITY),
        Column(
            "hispanic",
            "code",
            "Hispanic or Latino ethnicity (OMB).",
            required=True,
            sensitive=True,
            vocabulary=v.YES_NO_UNKNOWN,
        ),
        Column(
            "race",
            "code_set",
            "Race: zero or more OMB categories, separated by ';', ',' or '|' in files.",
            required=True,
            sensitive=True,
            vocabulary=v.RACE,
        ),
        Column("race_detail", "text", "Detailed origin, e.g. a tribal nation.", sensitive=True, max_length=200),
        Column("citizenship", "code", "Citizenship or visa status.", sensitive=True, vocabulary=v.CITIZENSHIP),
        Column("birth_year", "year", "Year of birth.", sensitive=True, minimum=1900),
        *_geography("residence", "legal residence"),
        *_geography("high_school", "high school attended"),
        Column("first_generation", "code", "First in family to earn a bachelor's degree.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("pell_recipient", "code", "Received a Pell grant as an undergraduate.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("fee_assistance", "code", "Received AAMC fee assistance.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("ses_indicator", "code", "AAMC socioeconomic indicator EO-1..EO-5.", sensitive=True, vocabulary=v.SES_INDICATOR),
        Column("self_disadvantaged", "code", "Self-identified as disadvantaged.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("veteran", "code", "Military veteran.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("disability", "code", "Self-reported disability.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
    )


def _flag(name: str, description: str) -> Column:
    return Column(name, "flag", description, required=True, vocabulary=v.FLAG)


APPLICATIONS = Dataset(
    name="applications",
    row_is="one application in one cycle",
    key=("application_id",),
    unique_together=(("person_id", "cycle", "program"),),
    columns=(
        Column("application_id", "id", "Application identifier, unique in the dataset.", required=True, max_length=64),
        *_demographics(),
        Column("cycle", "year", "Application cycle, named by its entering year.", required=True, minimum=1950, future_years=2),
        Column("program", "text", "Degree program applied to (e.g. MD, BS/MD, PA).", required=True, max_length=50),
        Column("in_state", "code", "New Mexico resident for tuition purposes.", required=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("application_date", "date", "Date the application was submitted."),
        _flag("completed", "The application was completed (all parts received)."),
        _flag("interviewed", "The applicant was interviewed."),
        Column("interview_date", "date", "Date of the (first) interview."),
        _flag("offered", "The applicant was offered a place."),
        Column("offer_date", "date", "Date of the first offer."),
        _flag("declined", "The applicant declined an offer."),
        _flag("waitlisted", "The applicant was placed on the wait list."),
        _flag("matriculated", "The applicant matriculated."),
    ),
)

STUDENTS = Dataset(
    name="students",
    row_is="one student in one degree program",
    key=("person_id", "program"),
    columns=(
        *_demographics(),
        Column("program", "text", "Degree program (e.g. MD).", required=True, max_length=50),
        Column("application_id", "id", "The application that led to this enrolment, where known.", max_length=64),
        Column("matriculation_year", "year", "Year the student matriculated.", required=True, minimum=1950),
        Column("status", "code", "Current status.", required=True, vocabulary=v.STUDENT_STATUS),
        Column("status_date", "date", "Date the current status took effect."),
        Column("graduation_date", "date", "Date the degree was conferred."),
    ),
)

TRAINEES = Dataset(
    name="trainees",
    row_is="one resident or fellow appointment",
    key=("appointment_id",),
    columns=(
        Column("appointment_id", "id", "Training appointment identifier.", required=True, max_length=64),
        *_demographics(),
        Column("program", "text", "Accredited program (e.g. Internal Medicine Residency).", required=True, max_length=100),
        Column("specialty", "text", "Specialty of the program.", required=True, max_length=100),
        Column("kind", "code", "Residency or fellowship.", required=True, vocabulary=v.TRAINEE_KIND),
        Column("start_date", "date", "Appointment start.", required=True),
        Column("end_date", "date", "Appointment end (completion or exit); empty while active.", future_years=8),
        Column("status", "code", "Status of the appointment.", required=True, vocabulary=v.TRAINEE_STATUS),
        Column("medical_school", "text", "Medical school the trainee graduated from.", max_length=200),
        Column("medical_school_state", "state", "State of that medical school."),
    ),
)

EMPLOYEES = Dataset(
    name="employees",
    row_is="one faculty or staff appointment",
    key=("appointment_id",),
    columns=(
        Column("appointment_id", "id", "Appointment identifier.", required=True, max_length=64),
        *_demographics(),
        Column("employee_class", "code", "Faculty or staff.", required=True, vocabulary=v.EMPLOYEE_CLASS),
        Column("rank", "code", "Academic rank at the end of the record (staff: none).", required=True, vocabulary=v.RANK),
        Column("track", "code", "Faculty track.", vocabulary=v.TRACK),
        Column("department", "text", "Department or unit.", required=True, max_length=100),
        Column("leadership_role", "code", "Leadership role held, if any.", vocabulary=v.LEADERSHIP_ROLE),
        Column(
            "senior_administrative",
            "code",
            "Senior administrative staff (e.g. dean's office leadership).",
            required=True,
            vocabulary=v.YES_NO_UNKNOWN,
        ),
        Column("hire_date", "date", "Date of hire into this appointment.", required=True),
        Column("separation_date", "date", "Date of separation; empty while employed."),
        Column("separation_reason", "code", "Why the person left.", sensitive=True, vocabulary=v.SEPARATION_REASON),
        Column("fte", "number", "Full-time equivalent.", minimum=0.0, maximum=1.5),
    ),
)

EMPLOYEE_EVENTS = Dataset(
    name="employee_events",
    row_is="one promotion, appointment or separation",
    key=("event_id",),
    columns=(
        Column("event_id", "id", "Event identifier.", required=True, max_length=64),
        Column("person_id", "id", "The employee's person identifier.", required=True, max_length=64),
        Column("appointment_id", "id", "The appointment the event belongs to.", max_length=64),
        Column("event", "code", "What happened.", required=True, vocabulary=v.EMPLOYEE_EVENT),
        Column("date", "date", "When it took effect.", required=True),
        Column("from_rank", "code", "Rank before a promotion.", vocabulary=v.RANK),
        Column("to_rank", "code", "Rank after a promotion.", vocabulary=v.RANK),
        Column("role", "code", "Leadership role of an appointment event.", vocabulary=v.LEADERSHIP_ROLE),
    ),
)

PROGRAMS = Dataset(
    name="programs",
    row_is="one pipeline program or partnership",
    key=("program_id",),
    columns=(
        Column("program_id", "id", "Program identifier.", required=True, max_length=64),
        Column("name", "text", "Program name.", required=True, max_length=200),
        Column("kind", "code", "Kind of program.", required=True, vocabulary=v.PROGRAM_KIND),
        Column("partners", "text", "Partner organisations, separated by ';'.", max_length=1000),
        Column("audience_level", "code", "Who the program serves.", required=True, vocabulary=v.AUDIENCE_LEVEL),
        Column("start_year", "year", "First program year.", required=True, minimum=1950),
        Column("end_year", "year", "Last program year; empty while running.", minimum=1950, future_years=10),
        Column("goals", "text", "Stated goals.", max_length=2000),
    ),
)

PARTICIPANTS = Dataset(
    name="participants",
    row_is="one person in one program year",
    key=("participant_id",),
    unique_together=(("program_id", "year", "roster_id"),),
    columns=(
        Column("participant_id", "id", "Row identifier of this roster entry.", required=True, max_length=64),
        Column("program_id", "id", "The program (see programs).", required=True, max_length=64),
        Column("year", "year", "Program year.", required=True, minimum=1950),
        Column("roster_id", "id", "The person's identifier on the program's own roster.", required=True, max_length=64),
        Column("first_name", "text", "Given name as entered on the roster.", sensitive=True, max_length=100),
        Column("last_name", "text", "Family name as entered on the roster.", sensitive=True, max_length=100),
        Column("birth_date", "date", "Date of birth.", sensitive=True),
        Column("email", "text", "E-mail address.", sensitive=True, max_length=200),
        Column("school", "text", "School or college attended.", max_length=200),
        Column("zip", "zip", "Home ZIP code.", sensitive=True),
        Column("aamc_id", "id", "AAMC ID, where the program collects it (post-baccalaureate programs).",
               sensitive=True, max_length=16),
        Column("sex", "code", "Sex as recorded by the program.", sensitive=True, vocabulary=v.SEX),
        Column("hispanic", "code", "Hispanic or Latino ethnicity.", sensitive=True, vocabulary=v.YES_NO_UNKNOWN),
        Column("race", "code_set", "Race (OMB categories).", sensitive=True, vocabulary=v.RACE),
        Column("completed", "code", "Completed the program that year.", required=True, vocabulary=v.YES_NO_UNKNOWN),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (APPLICATIONS, STUDENTS, TRAINEES, EMPLOYEES, EMPLOYEE_EVENTS, PROGRAMS, PARTICIPANTS)
}




def _identity_columns(*, aamc_id: bool, npi: bool, school: str) -> tuple[Column, ...]:
    """``person_id`` and the linkage fields of one source system's identity dataset."""
    columns = [
        Column("person_id", "id", "The person's identifier in the analytic datasets of this source.",
               required=True, max_length=64),
        Column("first_name", "text", "Given name as held by the source system.", sensitive=True, max_length=100),
        Column("last_name", "text", "Family name (or names) as held by the source system.", sensitive=True,
               max_length=100),
        Column("former_last_name", "text", "An earlier family name the source recorded (e.g. before marriage).",
               sensitive=True, max_length=100),
        Column("birth_date", "date", "Date of birth.", sensitive=True),
        Column("email", "text", "E-mail address on file.", sensitive=True, max_length=200),
        Column("zip", "zip", "ZIP code of the address on file.", sensitive=True),
        Column("school", "text", school, max_length=200),
    ]
    if aamc_id:
        columns.append(Column("aamc_id", "id", "AAMC ID (AMCAS and ERAS applicants).", sensitive=True, max_length=16))
    if npi:
        columns.append(Column("npi", "id", "National Provider Identifier (10 digits), for clinicians.",
                              sensitive=True, max_length=16))
    return tuple(columns)


ADMISSIONS_IDENTITIES = Dataset(
    name="admissions_identities",
    row_is="one person known to admissions and the registrar (applications and students)",
    key=("person_id",),
    columns=_identity_columns(aamc_id=True, npi=False, school="Undergraduate institution (or high school) attended."),
    restricted=True,
    source_system="admissions and registrar",
)

GME_IDENTITIES = Dataset(
    name="gme_identities",
    row_is="one resident or fellow known to the graduate medical education office (trainees)",
    key=("person_id",),
    columns=_identity_columns(aamc_id=True, npi=True, school="Medical school the trainee graduated from."),
    restricted=True,
    source_system="graduate medical education",
)

HR_IDENTITIES = Dataset(
    name="hr_identities",
    row_is="one faculty or staff member known to human resources (employees)",
    key=("person_id",),
    columns=_identity_columns(aamc_id=False, npi=True, school="Highest degree's institution, where recorded."),
    restricted=True,
    source_system="human resources",
)

#: Restricted identity datasets by name (read only by the linkage service; see the module docstring).
IDENTITY_DATASETS: dict[str, Dataset] = {d.name: d for d in (ADMISSIONS_IDENTITIES, GME_IDENTITIES, HR_IDENTITIES)}

#: Which analytic datasets each identity dataset holds the linkage fields of.
IDENTITY_OF: dict[str, tuple[str, ...]] = {
    "admissions_identities": ("applications", "students"),
    "gme_identities": ("trainees",),
    "hr_identities": ("employees", "employee_events"),
}


class UnknownDataset(KeyError):
    """Raised for a dataset name that is not one of :data:`DATASETS`."""


def dataset(name: str) -> Dataset:
    """The canonical or identity dataset called ``name``; :class:`UnknownDataset` names the
    choices otherwise. Callers that must not read identities check :attr:`Dataset.restricted`."""
    found = DATASETS.get(name) or IDENTITY_DATASETS.get(name)
    if found is None:
        choices = ", ".join([*DATASETS, *IDENTITY_DATASETS])
        raise UnknownDataset(f"unknown dataset {name!r}; choose one of: {choices}")
    return found
