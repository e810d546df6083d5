"""Every table of the shipped templates against numbers worked out by hand from the fixture school
(``tests/support/report_school.py``). Released with threshold 1, so nothing is suppressed and every count
can be compared; the disclosure tests are in ``test_reports_attacks``."""

from __future__ import annotations

import pytest

from ristra.core.disclosure import ReleasedTable
from ristra.reports.document import ReportDocument
from ristra.services import reports
from support.report_school import shared_school

PACK = ("lcme-3.3", "acgme-recruitment-retention", "annual-outcomes")
#: every shipped template: a report is released jointly with all of them (one publication)
SHIPPED = (*PACK, "lcme-3.3-pipeline", "program-outcomes")
W, U, R, E, F = ("Women", "Underrepresented in medicine (New Mexico)", "Rural background (school definition)",
                 "Economically disadvantaged", "First generation to college")
IN, OUT, ALL = "In category", "Not in category or unknown", "All"


def merged(levels: list[list[int]]) -> list[list[int]]:
    """Hand-computed rows by membership (in, not in, unknown[, all]) as published: unknown membership
    is counted with "not in category" by rule (docs/disclosure.md §10)."""
    out = [levels[0], [a + b for a, b in zip(levels[1], levels[2], strict=True)]]
    return out + levels[3:]


def merged_row(v: list[int]) -> list[int]:
    """One hand-computed row of (in, not in, unknown, all) columns as published (unknown merged)."""
    return [v[0], v[1] + v[2], v[3]]


def merged_columns(found: dict[tuple[str, ...], list[int]]) -> dict[tuple[str, ...], list[int]]:
    return {k: merged_row(v) for k, v in found.items()}


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportDocument]:
    return reports.documents(shared_school(tmp_path_factory), PACK, "internal", threshold=1)


def table(docs: dict[str, ReportDocument], template: str, key: str) -> ReleasedTable:
    for view in docs[template].tables:
        if view.released.key == f"{template}/{key}":
            return view.released
    raise KeyError(key)


def rows(t: ReleasedTable) -> dict[tuple[str, ...], list[int | None]]:
    return {labels: list(cells) for labels, cells in zip(t.row_labels, t.cells, strict=True)}


def block(t: ReleasedTable, category: str) -> list[list[int | None]]:
    found = rows(t)
    return [found[(category, level)] for level in (IN, OUT, ALL)]


def derived(t: ReleasedTable, column: str) -> dict[tuple[str, ...], object]:
    return {t.row_labels[d.row]: d.value for d in t.derived if d.column == column}


def test_nothing_is_suppressed_at_threshold_one(docs: dict[str, ReportDocument]) -> None:
    summary = docs["lcme-3.3"].summary
    assert summary.primary == 0
    assert summary.secondary == 0
    assert summary.passed


def test_lcme_offers_three_recent_md_cycles_with_declinations(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "lcme-3.3", "offers")
    assert t.col_labels == tuple(f"{y}: {m}" for y in (2023, 2024, 2025)
                                 for m in ("Declinations", "Offers not declined", "Offers made"))
    same, total = [3, 8, 11], [6, 14, 20]
    assert block(t, W) == merged([same * 3, [3, 5, 8, 3, 5, 8, 4, 8, 12], [0, 1, 1] * 3, [*total, *total, 7, 17, 24]])
    assert block(t, U) == merged([[*same, *same, 4, 11, 15], [3, 5, 8] * 3, [0, 1, 1] * 3, [*total, *total, 7, 17, 24]])
    assert block(t, R) == merged([[2, 6, 8, 2, 6, 8, 3, 9, 12], [4, 7, 11] * 3, [0, 1, 1] * 3, [*total, *total, 7, 17, 24]])
    for category in (E, F):
        assert block(t, category)[:2] == merged([[2, 6, 8] * 3, [4, 7, 11, 4, 7, 11, 5, 10, 15], [0, 1, 1] * 3])


def test_lcme_first_year_enrollment(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "lcme-3.3", "enrollment")
    assert t.col_labels == ("2023: First-year students", "2024: First-year students", "2025: First-year students")
    assert block(t, W) == merged([[4, 4, 4], [4, 4, 6], [1, 1, 1], [9, 9, 11]])
    assert block(t, U) == merged([[4, 4, 6], [4, 4, 4], [1, 1, 1], [9, 9, 11]])


def test_lcme_faculty_hires_total_and_rank(docs: dict[str, ReportDocument]) -> None:
    hires = table(docs, "lcme-3.3", "faculty")
    assert hires.col_labels == ("2023: New hires", "2024: New hires", "2025: New hires", "Total faculty (current)")
    assert block(hires, W) == merged([[1, 4, 0, 7], [2, 0, 3, 14], [1, 0, 0, 1], [4, 4, 3, 22]])
    ranks = table(docs, "lcme-3.3", "faculty_rank")
    assert ranks.col_labels == ("Rank: Instructor", "Rank: Assistant professor", "Rank: Associate professor",
                                "Rank: Professor", "All ranks")
    assert block(ranks, W) == merged([[1, 4, 0, 2, 7], [0, 3, 5, 6, 14], [0, 0, 1, 0, 1], [1, 7, 6, 8, 22]])
    assert block(ranks, U)[:2] == merged([[1, 4, 0, 2, 7], [0, 3, 5, 6, 14], [0, 0, 1, 0, 1]])
    assert block(ranks, R)[:2] == merged([[0, 4, 0, 2, 6], [1, 3, 5, 6, 15], [0, 0, 1, 0, 1]])


def test_lcme_senior_administrative_staff(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "lcme-3.3", "senior_administrative")
    assert block(t, W) == merged([[0, 2, 0, 2], [0, 0, 0, 1], [0, 0, 0, 0], [0, 2, 0, 3]])


def test_lcme_pipeline_programs(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "lcme-3.3", "programs")
    assert t.col_labels == ("2023: participants", "2024: participants", "2025: participants", "All years: participants",
                            "All years: completed", "All years: not completed or unknown")
    assert rows(t) == {
        ("Health Careers Academy", "Pipeline program", "Albuquerque Public Schools", "High school", "2010–present"):
            [12, 15, 20, 47, 43, 4],
        ("Rural Scholars", "Partnership", "None listed", "Undergraduate", "2015–2022"): [0, 0, 0, 5, 5, 0],
        ("Programs not in the registry", "", "", "", ""): [0, 3, 0, 3, 1, 2],
        ("All programs", "", "", "", ""): [12, 18, 20, 55, 49, 6],
    }
    participants = table(docs, "lcme-3.3", "participants")
    assert block(participants, W) == merged([[12, 10, 0, 0, 10, 10], [0, 0, 18, 16, 10, 8], [0] * 6, [12, 10, 18, 16, 20, 18]])
    assert block(participants, U)[:2] == merged([[0, 0, 0, 0, 20, 18], [12, 10, 18, 16, 0, 0], [0] * 6])


def test_acgme_trainees_by_program_and_institution(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "acgme-recruitment-retention", "trainees_by_program.women")
    assert t.col_labels == (IN, OUT, ALL)
    assert rows(t) == merged_columns({("Cardiology Fellowship",): [0, 2, 0, 2],
                                      ("Internal Medicine Residency",): [5, 6, 1, 12], ("Institution",): [5, 8, 1, 14]})
    assert derived(t, "Share in category") == {  # of everyone: unknown is counted with "not in category"
        ("Cardiology Fellowship",): 0.0, ("Internal Medicine Residency",): 5 / 12, ("Institution",): 5 / 14}
    kinds = table(docs, "acgme-recruitment-retention", "trainees_institution")
    assert block(kinds, W) == merged([[5, 0, 5], [6, 2, 8], [1, 0, 1], [12, 2, 14]])


def test_acgme_faculty_entering_attrition_retention(docs: dict[str, ReportDocument]) -> None:
    departments = table(docs, "acgme-recruitment-retention", "faculty_by_department.women")
    assert rows(departments) == merged_columns({("Internal Medicine",): [7, 5, 0, 12], ("Surgery",): [0, 9, 1, 10],
                                                ("All departments",): [7, 14, 1, 22]})
    entering = table(docs, "acgme-recruitment-retention", "entering")
    assert block(entering, W) == merged([[2, 2, 5], [0, 1, 8], [0, 0, 1], [2, 3, 14]])
    attrition = table(docs, "acgme-recruitment-retention", "attrition")
    assert attrition.col_labels == ("Appointments: Active", "Appointments: Completed", "Appointments: Withdrawn",
                                    "Appointments: Dismissed", "Appointments: Transferred", "All appointments")
    assert block(attrition, W) == merged([[5, 2, 0, 1, 1, 9], [8, 0, 1, 0, 0, 9], [1, 0, 0, 0, 0, 1], [14, 2, 1, 1, 1, 19]])
    rates = derived(attrition, "Attrition (withdrawn or dismissed)")
    assert rates[(W, IN)] == pytest.approx(1 / 9)
    assert rates[(W, ALL)] == pytest.approx(2 / 19)
    retention = table(docs, "acgme-recruitment-retention", "faculty_retention.women")
    # The three men hired on 2025-01-15, the last date in the data (the data's end by default), have no
    # time at risk and are left out (the metric's note says so): 16 - 3 followed among men.
    # Columns: followed, separations, then separations within 1, 3, 5 and 10 years (the estimates
    # derive from those). The two men who left were hired 2023-07-01 and left 2024-06-30: within a year.
    assert rows(retention) == {(IN,): [7, 0, 0, 0, 0, 0], (OUT,): [13 + 1, 2, 2, 2, 2, 2],
                               (ALL,): [21, 2, 2, 2, 2, 2]}


def test_annual_path(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "annual-outcomes", "path.women")
    found = rows(t)
    assert found[("Applicants",)] == merged_row([68, 64, 9, 141])
    assert found[("Interviewed",)] == merged_row([47, 43, 6, 96])
    assert found[("Offered a place",)] == merged_row([35, 29, 3, 67])
    assert found[("Matriculated",)] == merged_row([26, 19, 3, 48])
    assert found[("Graduates",)] == merged_row([3, 3, 0, 6])
    assert found[("Residents and fellows",)] == merged_row([9, 9, 1, 19])
    assert [found[(f"Faculty: {r}",)] for r in ("instructor", "assistant professor", "associate professor",
                                                "professor")] == [merged_row(v) for v in ([1, 0, 0, 1], [4, 3, 0, 7], [0, 5, 1, 6], [2, 6, 0, 8])]
    assert found[("Senior administrative staff",)] == merged_row([2, 1, 0, 3])
    assert t.row_labels[0][0].startswith("State population")
    assert derived(t, "Share in category")[("Applicants",)] == pytest.approx(68 / 141)


def test_annual_funnel_with_selection_rate_ratios(docs: dict[str, ReportDocument]) -> None:
    t = table(docs, "annual-outcomes", "funnel.women")
    found = rows(t)
    assert [found[(stage, level)][0] for stage in ("Applied", "Completed") for level in (IN, OUT, ALL)] == \
        [68, 64 + 9, 141, 65, 58 + 9, 132]
    rate = derived(t, "Rate from the stage before")
    assert rate[("Interviewed", IN)] == pytest.approx(47 / 65)
    ratio = derived(t, "Selection-rate ratio")
    # the reference group is the highest rate: not in category or unknown, (43 + 6) / (58 + 9)
    assert ratio[("Interviewed", IN)] == pytest.approx((47 / 65) / ((43 + 6) / (58 + 9)))
    assert ("Interviewed", OUT) not in ratio  # the reference group is compared with no one


def test_annual_trends(docs: dict[str, ReportDocument]) -> None:
    applicants = table(docs, "annual-outcomes", "applicant_trend.women")
    assert rows(applicants) == merged_columns({("2022",): [0, 1, 0, 1], ("2023",): [22, 19, 3, 44],
                                               ("2024",): [22, 19, 3, 44], ("2025",): [24, 25, 3, 52],
                                               ("All cycles",): [68, 64, 9, 141]})
    enrollment = table(docs, "annual-outcomes", "enrollment_trend.women")
    assert [v for _, v in sorted(rows(enrollment).items())][:5] == [
        merged_row(v) for v in ([3, 2, 0, 5], [0, 1, 0, 1], [4, 4, 1, 9], [4, 4, 1, 9], [6, 6, 1, 13])]
    hires = table(docs, "annual-outcomes", "hires_trend.women")
    assert rows(hires)[("2005",)] == merged_row([0, 6, 0, 6])
    assert rows(hires)[("2019",)] == [0, 0, 0]
    assert rows(hires)[("Ten most recent years",)] == merged_row([7, 16, 1, 24])


def test_every_report_records_its_provenance(docs: dict[str, ReportDocument]) -> None:
    for doc in docs.values():
        meta = doc.metadata
        assert meta.category_version == 1
        assert meta.template_version == 1
        assert meta.audience == "internal"
        assert {s.dataset for s in meta.snapshots} == {"applications", "students", "employees", "trainees", "programs",
                                                        "participants"}
        assert set(meta.released_with) == set(SHIPPED)
        assert len(meta.release) == 64
