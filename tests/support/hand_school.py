"""A tiny hand-made school (applications, students, employees) whose metrics the engine tests work out
by hand."""

from __future__ import annotations

from typing import Any


def app(i: int, cycle: int, sex: str, hispanic: str, race: list[str], stages: str, **extra: Any) -> dict[str, Any]:
    """``stages`` lists the flags reached: c(ompleted) i(nterviewed) o(ffered) m(atriculated)."""
    return {"application_id": f"A{i}", "person_id": f"P{i}", "sex": sex, "hispanic": hispanic, "race": race,
            "cycle": cycle, "program": "MD", "in_state": "yes", "completed": "c" in stages,
            "interviewed": "i" in stages, "offered": "o" in stages, "declined": False, "waitlisted": False,
            "matriculated": "m" in stages, **extra}


APPLICATIONS = [
    app(1, 2024, "female", "yes", ["white"], "ciom"),
    app(2, 2024, "female", "no", ["black"], "ci"),
    app(3, 2024, "male", "no", ["white"], "c"),
    app(4, 2024, "male", "unknown", ["unknown"], ""),
    app(5, 2024, "declined", "declined", ["declined"], "cio"),
    app(6, 2025, "female", "yes", ["white"], "c"),
    app(7, 2025, "male", "no", ["asian"], "ciom"),
]


def person(i: int, sex: str, hispanic: str, race: list[str]) -> dict[str, Any]:
    return {"person_id": f"P{i}", "sex": sex, "hispanic": hispanic, "race": race}


STUDENTS = [
    {**person(11, "female", "yes", ["white"]), "program": "MD", "matriculation_year": 2018, "status": "graduated",
     "graduation_date": "2022-05-15", "status_date": "2022-05-15"},
    {**person(12, "female", "no", ["white"]), "program": "MD", "matriculation_year": 2018, "status": "graduated",
     "graduation_date": "2023-05-15", "status_date": "2023-05-15"},
    {**person(13, "male", "no", ["black"]), "program": "MD", "matriculation_year": 2018, "status": "withdrawn",
     "status_date": "2019-03-01"},
    {**person(14, "male", "no", ["white"]), "program": "MD", "matriculation_year": 2018, "status": "enrolled",
     "status_date": "2025-06-01"},
]


def employee(i: int, sex: str, hire: str, separation: str | None = None, reason: str | None = None,
             rank: str = "assistant_professor", cls: str = "faculty") -> dict[str, Any]:
    return {**person(100 + i, sex, "no", ["white"]), "appointment_id": f"H{i}", "employee_class": cls,
            "rank": rank, "department": "Medicine", "senior_administrative": "no", "hire_date": hire,
            "separation_date": separation, "separation_reason": reason}


EMPLOYEES = [
    employee(1, "female", "2010-01-01", "2016-01-01", "retirement"),  # hired before the window
    employee(2, "female", "2015-01-01", "2018-01-01", "resignation_personal"),
    employee(3, "female", "2016-01-01"),
    employee(4, "female", "2005-01-01"),
    employee(5, "male", "2015-06-01"),
    employee(6, "male", "2015-06-01", cls="staff"),
]
