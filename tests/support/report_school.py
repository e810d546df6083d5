"""A small hand-made school for the report tests, imported through the ordinary import service.

Five kinds of synthetic person (every demographic value chosen so each category is easy to
count by hand):

====  ======  ========  =====  ==============  ========  ==========  ==========
type  sex     hispanic  race   county          women     urm_nm      rural_school
====  ======  ========  =====  ==============  ========  ==========  ==========
A     female  yes       white  35045 (rural)   yes       yes         yes
B     male    no        white  35001 (urban)   no        no          no
C     female  no        black  35001 (urban)   yes       yes         no
D     unknown unknown   unknown (none)         unknown   unknown     unknown
E     male    yes       white  35045 (rural)   no        yes         yes
====  ======  ========  =====  ==============  ========  ==========  ==========

Economic disadvantage and first generation: A yes; B, C, E no; D unknown.

Application outcomes: M matriculated (offered, not declined); X offered and declined; I
interviewed only; C completed only; N not completed. MD cycles 2023, 2024 and 2025 each hold
A: M6 X2 I3 C4 N1, B: M5 X3 I4 C5 N2, C: M2 X1 I1 C2, D: M1 I1 C1; cycle 2025 adds E: M3 X1 I2
and two PA applications of type A (M); cycle 2022 holds one MD application of type B (M).
The expected numbers in the tests are worked out by hand from these lists.

The employees extract declares its first day (``EXTRACT_STARTS``): 1 January 2024, the year of the
earliest separation, so the data window is the one the reports used to guess.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from ristra.services.imports import import_file
from ristra.services.workspace import Settings, Workspace

PEOPLE = {
    "A": {"sex": "female", "hispanic": "yes", "race": "white", "residence_county_fips": "35045",
          "first_generation": "yes", "pell_recipient": "yes", "fee_assistance": "no", "ses_indicator": "EO-1",
          "self_disadvantaged": "no"},
    "B": {"sex": "male", "hispanic": "no", "race": "white", "residence_county_fips": "35001",
          "first_generation": "no", "pell_recipient": "no", "fee_assistance": "no", "ses_indicator": "EO-4",
          "self_disadvantaged": "no"},
    "C": {"sex": "female", "hispanic": "no", "race": "black", "residence_county_fips": "35001",
          "first_generation": "no", "pell_recipient": "no", "fee_assistance": "no", "ses_indicator": "EO-4",
          "self_disadvantaged": "no"},
    "D": {"sex": "unknown", "hispanic": "unknown", "race": "unknown", "residence_county_fips": "",
          "first_generation": "unknown", "pell_recipient": "unknown", "fee_assistance": "unknown",
          "ses_indicator": "", "self_disadvantaged": "unknown"},
    "E": {"sex": "male", "hispanic": "yes", "race": "white", "residence_county_fips": "35045",
          "first_generation": "no", "pell_recipient": "no", "fee_assistance": "no", "ses_indicator": "EO-4",
          "self_disadvantaged": "no"},
}
DEMOGRAPHICS = list(PEOPLE["A"])
OUTCOMES = {  # completed, interviewed, offered, declined, matriculated
    "M": (True, True, True, False, True), "X": (True, True, True, True, False),
    "I": (True, True, False, False, False), "C": (True, False, False, False, False),
    "N": (False, False, False, False, False),
}
BASE_CYCLE = {"A": {"M": 6, "X": 2, "I": 3, "C": 4, "N": 1}, "B": {"M": 5, "X": 3, "I": 4, "C": 5, "N": 2},
              "C": {"M": 2, "X": 1, "I": 1, "C": 2}, "D": {"M": 1, "I": 1, "C": 1}}


def _applications() -> Iterator[dict[str, object]]:
    plan: list[tuple[int, str, str, str, int]] = [(2022, "MD", "B", "M", 1)]
    for cycle in (2023, 2024, 2025):
        plan += [(cycle, "MD", kind, outcome, n) for kind, outcomes in BASE_CYCLE.items() for outcome, n in outcomes.items()]
    plan += [(2025, "MD", "E", "M", 3), (2025, "MD", "E", "X", 1), (2025, "MD", "E", "I", 2), (2025, "PA", "A", "M", 2)]
    for cycle, program, kind, outcome, n in plan:
        for _ in range(n):
            completed, interviewed, offered, declined, matriculated = OUTCOMES[outcome]
            yield {**PEOPLE[kind], "cycle": cycle, "program": program, "in_state": "yes", "completed": completed,
                   "interviewed": interviewed, "offered": offered, "declined": declined, "waitlisted": False,
                   "matriculated": matriculated}


def _students() -> Iterator[dict[str, object]]:
    plan = [(2019, "MD", "A", "graduated", 3), (2019, "MD", "B", "graduated", 2), (2022, "MD", "B", "graduated", 1)]
    for year in (2023, 2024, 2025):
        plan += [(year, "MD", "A", "enrolled", 3), (year, "MD", "B", "enrolled", 4), (year, "MD", "C", "enrolled", 1),
                 (year, "MD", "D", "enrolled", 1)]
    plan += [(2025, "MD", "E", "enrolled", 2), (2025, "PA", "A", "enrolled", 2)]
    for year, program, kind, status, n in plan:
        for _ in range(n):
            yield {**PEOPLE[kind], "program": program, "matriculation_year": year, "status": status}


EMPLOYEES = [  # kind, class, rank, department, senior, hired, separated, count
    ("A", "faculty", "assistant_professor", "Internal Medicine", "no", "2024-03-01", "", 4),
    ("A", "faculty", "professor", "Internal Medicine", "no", "2010-07-01", "", 2),
    ("B", "faculty", "assistant_professor", "Surgery", "no", "2025-01-15", "", 3),
    ("B", "faculty", "associate_professor", "Internal Medicine", "no", "2015-07-01", "", 5),
    ("B", "faculty", "professor", "Surgery", "no", "2005-07-01", "", 6),
    ("C", "faculty", "instructor", "Internal Medicine", "no", "2023-08-01", "", 1),
    ("D", "faculty", "associate_professor", "Surgery", "no", "2023-02-01", "", 1),
    ("B", "faculty", "assistant_professor", "Surgery", "no", "2023-07-01", "2024-06-30", 2),
    ("B", "staff", "none", "Office of the Dean", "no", "2020-01-06", "", 3),
    ("A", "staff", "none", "Office of the Dean", "yes", "2024-05-01", "", 2),
    ("B", "staff", "none", "Office of the Dean", "yes", "2019-09-01", "", 1),
]
TRAINEES = [  # kind, program, specialty, residency/fellowship, status, start, count
    ("A", "Internal Medicine Residency", "Internal Medicine", "residency", "active", "2024-07-01", 5),
    ("B", "Internal Medicine Residency", "Internal Medicine", "residency", "active", "2024-07-01", 6),
    ("C", "Internal Medicine Residency", "Internal Medicine", "residency", "completed", "2018-07-01", 2),
    ("B", "Internal Medicine Residency", "Internal Medicine", "residency", "withdrawn", "2023-07-01", 1),
    ("D", "Internal Medicine Residency", "Internal Medicine", "residency", "active", "2024-07-01", 1),
    ("B", "Cardiology Fellowship", "Cardiology", "fellowship", "active", "2024-07-01", 2),
    ("A", "Cardiology Fellowship", "Cardiology", "fellowship", "dismissed", "2023-07-01", 1),
    ("C", "Cardiology Fellowship", "Cardiology", "fellowship", "transferred", "2023-07-01", 1),
]
PROGRAMS = [
    {"program_id": "P1", "name": "Health Careers Academy", "kind": "pipeline_program",
     "partners": "Albuquerque Public Schools", "audience_level": "high_school", "start_year": 2010, "end_year": ""},
    {"program_id": "P2", "name": "Rural Scholars", "kind": "partnership", "partners": "",
     "audience_level": "undergraduate", "start_year": 2015, "end_year": 2022},
]
PARTICIPANTS = [  # program, year, sex, hispanic, completed, count
    ("P1", 2023, "female", "no", "yes", 10), ("P1", 2023, "female", "no", "no", 2),
    ("P1", 2024, "male", "no", "yes", 15),
    ("P1", 2025, "female", "yes", "yes", 10), ("P1", 2025, "male", "yes", "yes", 8),
    ("P1", 2025, "male", "yes", "unknown", 2),
    ("P2", 2021, "female", "no", "yes", 5),
    ("P3", 2024, "male", "no", "yes", 1), ("P3", 2024, "male", "no", "no", 2),
]


def _write(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
    return path


def school_files(directory: Path) -> dict[str, Path]:
    """The fixture school's CSV files (see the module docstring)."""
    directory.mkdir(parents=True, exist_ok=True)
    apps = [{"application_id": f"A{i:04d}", "person_id": f"P{i:04d}", **row} for i, row in enumerate(_applications())]
    students = [{"person_id": f"S{i:04d}", **row} for i, row in enumerate(_students())]
    employees = [{"appointment_id": f"E{i:04d}", "person_id": f"E{i:04d}", **PEOPLE[kind], "employee_class": cls,
                  "rank": rank, "department": dept, "senior_administrative": senior, "hire_date": hired,
                  "separation_date": left, "separation_reason": "resignation_personal" if left else ""}
                 for i, (kind, cls, rank, dept, senior, hired, left, n) in
                 enumerate([e for e in EMPLOYEES for _ in range(e[-1])])]
    trainees = [{"appointment_id": f"T{i:04d}", "person_id": f"T{i:04d}", **PEOPLE[kind], "program": program,
                 "specialty": specialty, "kind": kind_of, "start_date": start, "status": status}
                for i, (kind, program, specialty, kind_of, status, start, n) in
                enumerate([t for t in TRAINEES for _ in range(t[-1])])]
    participants = [{"participant_id": f"R{i:04d}", "program_id": pid, "year": year, "roster_id": f"R{i:04d}",
                     "sex": sex, "hispanic": hispanic, "race": "white", "completed": completed}
                    for i, (pid, year, sex, hispanic, completed, n) in
                    enumerate([p for p in PARTICIPANTS for _ in range(p[-1])])]
    return {"applications": _write(directory / "applications.csv", apps),
            "students": _write(directory / "students.csv", students),
            "employees": _write(directory / "employees.csv", employees),
            "trainees": _write(directory / "trainees.csv", trainees),
            "programs": _write(directory / "programs.csv", PROGRAMS),
            "participants": _write(directory / "participants.csv", participants)}


#: the first day each windowed extract covers, as its import declares it
EXTRACT_STARTS = {"employees": "2024-01-01"}


def import_school(workspace: Workspace, directory: Path) -> None:
    """Import the fixture school into ``workspace`` (every file must be valid), declaring the
    extracts' first days (``EXTRACT_STARTS``)."""
    for name, path in school_files(directory).items():
        result = import_file(workspace, name, path, extract_start=EXTRACT_STARTS.get(name))
        assert result.imported, (name, [i.to_dict() for i in result.report.issues[:5]])


_SHARED: dict[str, Path] = {}


def shared_school(factory: pytest.TempPathFactory) -> Workspace:
    """The fixture school, imported once per test process (tests must not change it)."""
    if "root" not in _SHARED:
        root = factory.mktemp("report-school")
        import_school(Workspace(Settings(data_dir=root / "data")), root / "source")
        _SHARED["root"] = root
    return Workspace(Settings(data_dir=_SHARED["root"] / "data"))
