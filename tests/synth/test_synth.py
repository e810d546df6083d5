"""The synthetic New Mexico school: valid against the canonical declarations, deterministic, and
realistic enough that the planted facts (funnel, census mix, disparities, links) can be found."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from ristra.core.datasets import DATASETS
from ristra.reference import census, zips
from ristra.synth import LINKS, SchoolConfig, generate
from support.synth_checks import check_file

LAST_CYCLE = 2025
AS_OF = dt.date(LAST_CYCLE, 12, 31)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default-size school (1,700 applications a cycle, 10 cycles)."""
    return generate(tmp_path_factory.mktemp("school"))


@pytest.fixture(scope="module")
def data(school: dict[str, Path]) -> dict[str, list[dict[str, str]]]:
    return {name: rows(path) for name, path in school.items()}


# -- a small checker built from the declarations ------------------------------------------------

def test_writes_every_dataset_and_the_truth(school: dict[str, Path]) -> None:
    assert set(school) == {*DATASETS, "participant_links"}
    assert all(path.name == f"{name}.csv" for name, path in school.items())
    assert all(path.stat().st_size > 0 for name, path in school.items())


@pytest.mark.parametrize("name", [*DATASETS, "participant_links"])
def test_every_value_is_valid(school: dict[str, Path], name: str) -> None:
    dataset = LINKS if name == "participant_links" else DATASETS[name]
    assert check_file(school[name], dataset) == []


def test_checker_catches_problems(tmp_path: Path) -> None:
    bad = tmp_path / "programs.csv"
    bad.write_text(
        "program_id,name,kind,audience_level,start_year\n"
        "X1,=cmd,pipeline_program,k12,2030\n"
        "X1,Fine,nope,k12,2001\n",
        encoding="utf-8",
    )
    problems = check_file(bad, DATASETS["programs"])
    assert any("formula" in p for p in problems)
    assert any("future year" in p for p in problems)
    assert any("unknown code" in p for p in problems)
    assert any("duplicate key" in p for p in problems)


def test_zip_and_fips_keep_leading_zeros(data: dict[str, list[dict[str, str]]]) -> None:
    seen_zips = {r["residence_zip"] for r in data["applications"]} | {r["high_school_zip"] for r in data["applications"]}
    fips = {r["residence_county_fips"] for r in data["applications"]}
    assert any(z.startswith("0") for z in seen_zips)  # e.g. Boston, Hartford, Newark
    assert any(f.startswith("0") for f in fips)  # e.g. Arizona, California, Colorado


# -- determinism ------------------------------------------------------------------------------


def _digests(paths: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=11, applications_per_cycle=400, cycles=4)
    second = generate(tmp_path / "b", seed=11, applications_per_cycle=400, cycles=4)
    other = generate(tmp_path / "c", seed=12, applications_per_cycle=400, cycles=4)
    assert _digests(first) == _digests(second)
    assert _digests(first)["applications"] != _digests(other)["applications"]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate(tmp_path, applications_per_cycle=200, cycles=2, progress=lambda s, d, t: seen.append((s, d, t)))
    steps = {s for s, _, _ in seen}
    assert {"applications", "students", "trainees", "employees", "participants"} <= steps
    assert all(0 <= d <= t for _, d, t in seen)


# -- applications -----------------------------------------------------------------------------


def test_applications_volume_and_funnel(data: dict[str, list[dict[str, str]]]) -> None:
    apps = data["applications"]
    per_cycle = Counter(int(r["cycle"]) for r in apps)
    assert sorted(per_cycle) == list(range(2016, 2026))
    assert all(1500 <= n <= 1900 for n in per_cycle.values())
    completed = [r for r in apps if r["completed"] == "true"]
    interviewed = [r for r in completed if r["interviewed"] == "true"]
    offered = [r for r in apps if r["offered"] == "true"]
    matriculated = [r for r in apps if r["matriculated"] == "true"]
    assert 0.87 <= len(completed) / len(apps) <= 0.93
    assert 0.12 <= len(interviewed) / len(completed) <= 0.18
    assert 0.42 <= len(offered) / len(interviewed) <= 0.58
    assert 85 <= len(matriculated) / 10 <= 115
    assert all(r["interviewed"] == "true" for r in offered)
    assert all(r["offered"] == "true" for r in matriculated)
    assert all(r["declined"] == "false" for r in matriculated)
    assert any(r["declined"] == "true" for r in offered)
    assert any(r["waitlisted"] == "true" and r["offered"] == "true" for r in apps)
    in_state = [r for r in apps if r["in_state"] == "yes"]
    assert 0.36 <= len(in_state) / len(apps) <= 0.44
    rate_in = sum(r["interviewed"] == "true" for r in in_state) / len(in_state)
    out = [r for r in apps if r["in_state"] == "no"]
    assert rate_in > 4 * sum(r["interviewed"] == "true" for r in out) / len(out)


def test_dates_follow_the_funnel(data: dict[str, list[dict[str, str]]]) -> None:
    for r in data["applications"]:
        cycle = int(r["cycle"])
        applied = dt.date.fromisoformat(r["application_date"])
        assert applied.year == cycle - 1
        if r["interviewed"] == "true":
            assert applied < dt.date.fromisoformat(r["interview_date"])
        else:
            assert r["interview_date"] == ""
        if r["offered"] == "true":
            assert dt.date.fromisoformat(r["interview_date"]) < dt.date.fromisoformat(r["offer_date"])
            assert dt.date.fromisoformat(r["offer_date"]) <= dt.date(cycle, 7, 31)
        else:
            assert r["offer_date"] == ""


def test_people_reapply_with_the_same_demographics(data: dict[str, list[dict[str, str]]]) -> None:
    by_person: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in data["applications"]:
        by_person[r["person_id"]].append(r)
    repeaters = [apps for apps in by_person.values() if len(apps) > 1]
    assert 0.05 <= len(repeaters) / len(by_person) <= 0.2
    for apps in repeaters:
        assert len({a["cycle"] for a in apps}) == len(apps)
        for field in ("sex", "race", "hispanic", "birth_year", "residence_zip"):
            assert len({a[field] for a in apps}) == 1


def test_sex_mix(data: dict[str, list[dict[str, str]]]) -> None:
    apps = data["applications"]
    assert 0.52 <= sum(r["sex"] == "female" for r in apps) / len(apps) <= 0.58
    faculty = [r for r in data["employees"] if r["employee_class"] == "faculty"]
    assert 0.45 <= sum(r["sex"] == "female" for r in faculty) / len(faculty) <= 0.55


def _first_applications(apps: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for r in apps:
        seen.setdefault(r["person_id"], r)
    return list(seen.values())


def test_race_and_ethnicity_near_census(data: dict[str, list[dict[str, str]]]) -> None:
    people = _first_applications(data["applications"])
    in_state = [r for r in people if r["in_state"] == "yes"]
    out_state = [r for r in people if r["in_state"] == "no"]
    nm, _ = census.nm_totals()
    us = census.us_totals()
    hispanic_in = sum(r["hispanic"] == "yes" for r in in_state) / len(in_state)
    hispanic_out = sum(r["hispanic"] == "yes" for r in out_state) / len(out_state)
    assert abs(hispanic_in - nm.share("hispanic")) < 0.03
    assert abs(hispanic_out - us.share("hispanic")) < 0.03
    aian_alone = sum(r["hispanic"] == "no" and r["race"] == "american_indian_alaska_native" for r in in_state)
    assert abs(aian_alone / len(in_state) - nm.share("aian")) < 0.02
    assert any(";" in r["race"] for r in people)
    unknown = sum(r["race"] in ("unknown", "declined") for r in people) / len(people)
    assert 0.01 < unknown < 0.15


def _school_rural(county: str, city: str, zip_code: str) -> bool | None:
    """The school's rule, applied to written geography (ZIP fallback when county is missing)."""
    if not county and zip_code in zips.zip_county_crosswalk():
        county = zips.zip_county_crosswalk()[zip_code][0].county_fips
        city = zips.zip_places().get(zip_code, zips.zip_places()["87101"]).city
    if not county.startswith("35"):
        return None if not county else False
    return not (county == "35001" or (county == "35043" and city.lower() in ("rio rancho", "corrales")))


def _is_rural(r: dict[str, str]) -> bool:
    home = _school_rural(r["residence_county_fips"], r["residence_city"], r["residence_zip"])
    school = _school_rural(r["high_school_county_fips"], r["high_school_city"], r["high_school_zip"])
    return bool(home) or bool(school)


def _rate_ratio(apps: list[dict[str, str]], group: str) -> float:
    def rate(rs: list[dict[str, str]]) -> float:
        return sum(r["interviewed"] == "true" for r in rs) / len(rs)

    completed = [r for r in apps if r["completed"] == "true"]
    if group == "rural":
        pool = [r for r in completed if r["in_state"] == "yes"]
        return rate([r for r in pool if _is_rural(r)]) / rate([r for r in pool if not _is_rural(r)])
    return rate([r for r in completed if r["sex"] == "female"]) / rate([r for r in completed if r["sex"] == "male"])


def test_geography_from_reference(data: dict[str, list[dict[str, str]]]) -> None:
    apps = data["applications"]
    nm_zips = set(zips.zip_county_crosswalk())
    in_state = [r for r in apps if r["residence_state"] == "NM"]
    assert all(r["residence_zip"] in nm_zips for r in in_state)
    assert all(r["residence_county_fips"].startswith("35") for r in in_state if r["residence_county_fips"])
    out = [r for r in apps if r["residence_state"] not in ("NM", "")]
    assert all(not r["residence_county_fips"].startswith("35") for r in out)
    assert all(r["residence_zip"] not in nm_zips for r in out)
    assert any(r["residence_city"] in ("Rio Rancho", "Corrales") for r in in_state)
    zip_only = [r for r in apps if r["residence_zip"] and not r["residence_county_fips"]]
    assert 0.03 < len(zip_only) / len(apps) < 0.12
    assert any(r["residence_state"] == "" for r in apps)
    rural_share = sum(_is_rural(r) for r in in_state) / len(in_state)
    assert 0.5 < rural_share < 0.85


def test_default_disparity_shows_up(data: dict[str, list[dict[str, str]]]) -> None:
    assert _rate_ratio(data["applications"], "rural") == pytest.approx(1.3, abs=0.15)


def test_configured_disparity_shows_up(tmp_path: Path) -> None:
    config = SchoolConfig(disparities={"interview": {"female": 0.5}})
    paths = generate(tmp_path, config=config, cycles=6)
    apps = rows(paths["applications"])
    assert _rate_ratio(apps, "female") == pytest.approx(0.5, abs=0.08)
    completed = [r for r in apps if r["completed"] == "true"]
    overall = sum(r["interviewed"] == "true" for r in completed) / len(completed)
    assert 0.12 <= overall <= 0.18  # normalised: the class size does not move


def test_config_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown group"):
        SchoolConfig(disparities={"interview": {"martian": 2.0}})
    with pytest.raises(ValueError, match="unknown disparity stage"):
        SchoolConfig(disparities={"graduation": {"rural": 2.0}})
    with pytest.raises(ValueError, match="positive"):
        SchoolConfig(faculty_retention={"urm": 0})
    with pytest.raises(ValueError, match="probability"):
        SchoolConfig(offer_rate=1.5)


# -- students, trainees ----------------------------------------------------------------------------


def test_students_are_the_matriculants(data: dict[str, list[dict[str, str]]]) -> None:
    matriculated = {
        (r["person_id"], r["application_id"]): r for r in data["applications"] if r["matriculated"] == "true"
    }
    students = data["students"]
    assert {(s["person_id"], s["application_id"]) for s in students} == set(matriculated)
    for s in students:
        application = matriculated[(s["person_id"], s["application_id"])]
        assert s["matriculation_year"] == application["cycle"]
        assert s["program"] == application["program"]
        for field in ("sex", "race", "hispanic", "birth_year", "residence_zip", "first_generation"):
            assert s[field] == application[field]
        assert (s["graduation_date"] != "") == (s["status"] == "graduated")
        if s["status"] == "graduated":
            assert s["status_date"] == s["graduation_date"]
    status = Counter(s["status"] for s in students)
    assert 0.02 <= (status["withdrawn"] + status["dismissed"]) / len(students) <= 0.06
    assert status["graduated"] > status["enrolled"] > 0
    md_grads = [s for s in students if s["status"] == "graduated" and s["program"] == "MD"]
    years = Counter(int(s["graduation_date"][:4]) - int(s["matriculation_year"]) for s in md_grads)
    assert years[4] > 0.75 * len(md_grads)
    assert years[5] > 0


def test_trainees(data: dict[str, list[dict[str, str]]]) -> None:
    trainees = data["trainees"]
    active_2020 = [
        t for t in trainees if t["start_date"] <= "2020-10-01" and (t["end_date"] == "" or t["end_date"] > "2020-10-01")
    ]
    assert 400 <= len(active_2020) <= 620
    graduates = {s["person_id"] for s in data["students"] if s["status"] == "graduated"}
    own = [t for t in trainees if t["person_id"] in graduates]
    assert 0 < len(own) < 0.25 * len(trainees)
    assert {t["kind"] for t in trainees} == {"residency", "fellowship"}
    assert {"Internal Medicine", "Family Medicine", "Pediatrics", "Psychiatry"} <= {t["specialty"] for t in trainees}
    assert all((t["end_date"] == "") == (t["status"] in ("active", "leave")) for t in trainees)
    assert all(t["end_date"] == "" or t["start_date"] < t["end_date"] for t in trainees)
    assert Counter(t["status"] for t in trainees)["withdrawn"] > 0


# -- workforce --------------------------------------------------------------------------------------


def test_faculty_headcount_and_history(data: dict[str, list[dict[str, str]]]) -> None:
    employees = data["employees"]
    faculty = [e for e in employees if e["employee_class"] == "faculty"]
    on_day = [e for e in faculty if e["hire_date"] <= "2020-07-01" and (e["separation_date"] == "" or e["separation_date"] > "2020-07-01")]
    assert 1000 <= len(on_day) <= 1400
    assert any(e["hire_date"] < "2011-01-01" for e in faculty)  # left truncation
    assert all(e["separation_date"] == "" or e["separation_date"] >= "2011-01-01" for e in employees)
    assert all((e["separation_date"] == "") == (e["separation_reason"] == "") for e in employees)
    assert all(e["rank"] == "none" for e in employees if e["employee_class"] == "staff")
    assert any(e["senior_administrative"] == "yes" for e in employees if e["employee_class"] == "staff")
    assert any(e["leadership_role"] == "chair" for e in faculty)


def test_employee_events_match_employees(data: dict[str, list[dict[str, str]]]) -> None:
    events: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in data["employee_events"]:
        events[e["appointment_id"]].append(e)
    assert set(events) == {e["appointment_id"] for e in data["employees"]}
    for employee in data["employees"]:
        history = events[employee["appointment_id"]]
        assert all(h["person_id"] == employee["person_id"] for h in history)
        assert [h["date"] for h in history] == sorted(h["date"] for h in history)
        hires = [h for h in history if h["event"] == "hire"]
        assert len(hires) == 1
        assert hires[0]["date"] == employee["hire_date"]
        assert history[0] is hires[0]
        rank = hires[0]["to_rank"]
        for h in history:
            if h["event"] == "promotion":
                assert h["from_rank"] == rank
                rank = h["to_rank"]
        assert rank == employee["rank"]
        separations = [h for h in history if h["event"] == "separation"]
        assert [s["date"] for s in separations] == ([employee["separation_date"]] if employee["separation_date"] else [])
        if separations:
            assert history[-1] is separations[0]
        roles = [h["role"] for h in history if h["event"] == "appointment"]
        assert roles == ([] if employee["leadership_role"] == "none" else [employee["leadership_role"]])


def test_some_own_trainees_join_the_faculty(data: dict[str, list[dict[str, str]]]) -> None:
    trainees = {t["person_id"] for t in data["trainees"]}
    faculty = {e["person_id"] for e in data["employees"] if e["employee_class"] == "faculty"}
    assert trainees & faculty


# -- pipeline programs ------------------------------------------------------------------------------


def test_programs(data: dict[str, list[dict[str, str]]]) -> None:
    programs = data["programs"]
    assert 6 <= len(programs) <= 10
    assert {p["audience_level"] for p in programs} >= {"high_school", "undergraduate", "post_baccalaureate"}
    assert any(p["end_year"] for p in programs)
    assert any(not p["end_year"] for p in programs)
    ids = {p["program_id"] for p in programs}
    assert {r["program_id"] for r in data["participants"]} <= ids


def test_participant_links_point_to_applicants(data: dict[str, list[dict[str, str]]]) -> None:
    applications = {r["person_id"]: r for r in _first_applications(data["applications"])}
    links = data["participant_links"]
    participants = {p["participant_id"]: p for p in data["participants"]}
    assert [link["participant_id"] for link in links] == list(participants)
    linked = [link for link in links if link["person_id"]]
    assert 0.04 < len(linked) / len(links) < 0.3
    for link in linked:
        assert link["person_id"] in applications
        assert link["identity_id"] == link["person_id"]
        p = participants[link["participant_id"]]
        application = applications[link["person_id"]]
        assert link["true_birth_date"][:4] == application["birth_year"]
        if p["sex"]:
            assert p["sex"] == application["sex"]
        assert int(p["year"]) < int(application["cycle"])
    own_ids = [p for p in participants.values() if p["roster_id"].startswith("P")]
    assert any(participants[link["participant_id"]]["roster_id"] == link["person_id"] for link in linked)
    assert own_ids


def test_typos_present_but_links_recoverable(data: dict[str, list[dict[str, str]]]) -> None:
    participants = {p["participant_id"]: p for p in data["participants"]}
    links = data["participant_links"]
    damaged = [link for link in links if link["errors"]]
    assert 0.22 < len(damaged) / len(links) < 0.38
    kinds = Counter(kind for link in damaged for kind in link["errors"].split(";"))
    assert len(kinds) >= 8
    shown_differs = 0
    recoverable = 0
    for link in links:
        p = participants[link["participant_id"]]
        true_name = f"{link['true_first_name']} {link['true_last_name']}"
        shown_name = f"{p['first_name']} {p['last_name']}"
        if (shown_name, p["birth_date"], p["email"]) != (true_name, link["true_birth_date"], link["true_email"]):
            shown_differs += 1
        name_close = difflib.SequenceMatcher(None, shown_name.lower(), true_name.lower()).ratio() >= 0.7
        same_birth = p["birth_date"] == link["true_birth_date"]
        same_email = p["email"] == link["true_email"]
        if name_close and (same_birth or same_email):
            recoverable += 1
        if not link["errors"]:
            assert p["birth_date"] == link["true_birth_date"]
            assert p["email"] == link["true_email"]
            assert p["first_name"] == link["true_first_name"]
            assert p["last_name"] == link["true_last_name"]
    assert shown_differs == sum(link["errors"] != "zip_different" for link in damaged)
    assert recoverable / len(links) > 0.95
    swapped = [link for link in damaged if "birth_date_day_month_swapped" in link["errors"]]
    assert any(
        participants[link["participant_id"]]["birth_date"][5:] == link["true_birth_date"][8:] + "-" + link["true_birth_date"][5:7]
        for link in swapped
    )
    assert any("@example." in p["email"] for p in participants.values())


def test_refuses_impossible_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(tmp_path, applications_per_cycle=0)
    with pytest.raises(ValueError, match="at least 1"):
        generate(tmp_path, cycles=0)
    with pytest.raises(ValueError, match="too large"):
        generate(tmp_path, applications_per_cycle=100_000_000)


def test_tiny_school_is_still_valid(tmp_path: Path) -> None:
    paths = generate(tmp_path, applications_per_cycle=20, cycles=1)
    for name, path in paths.items():
        dataset = LINKS if name == "participant_links" else DATASETS[name]
        assert check_file(path, dataset) == []
