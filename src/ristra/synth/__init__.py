"""A synthetic New Mexico medical school: every canonical dataset, deterministic by seed.

:func:`generate` writes ``<dataset>.csv`` for the seven datasets of
:data:`ristra.core.datasets.DATASETS` plus ``participant_links.csv`` (the ground truth of which
roster rows belong to which applicant). Only synthetic people are made; geography and population
mixes come from the packaged public reference data (:mod:`ristra.reference`). See
``docs/synthetic-school.md`` for what is made, the knobs and the planted disparities.

Contract
--------
* Same arguments → byte-identical files (all randomness is a hash of the seed and an entity index).
* Every file validates against the canonical declarations: canonical column names (optional ones
  may be absent), canonical codes, ``race`` codes joined with ';', flags ``true``/``false``, ISO
  dates, five-character FIPS and ZIP codes, unique keys; nothing is dated after 31 December of
  ``last_cycle``.
* Memory is bounded by the chunk size, not the number of rows: applications are generated and
  written in chunks of :data:`CHUNK_ROWS`; the other datasets scale with the size factor
  ``applications_per_cycle / 1700`` and are written in chunks too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ristra.core.datasets import Column, Dataset
from ristra.synth import applications as apps
from ristra.synth import pipeline, students, trainees, workforce
from ristra.synth.cohorts import APPLICANT, INDEX_BASE, PHYSICIAN, PersonRefs, School, Window
from ristra.synth.config import GROUPS, STAGES, SchoolConfig
from ristra.synth.tables import DatasetCsvWriter

__all__ = ["DEFAULT_SEED", "GROUPS", "LINKS", "STAGES", "SchoolConfig", "extract_starts", "generate"]

DEFAULT_SEED = 20250701
DEFAULT_SIZE = 1700
CHUNK_ROWS = 250_000

#: The ground-truth file written next to the datasets (not a canonical dataset).
LINKS = Dataset(
    name="participant_links",
    row_is="the truth about one roster row",
    key=("participant_id",),
    columns=(
        Column("participant_id", "id", "The roster row (see participants).", required=True),
        Column("person_id", "id", "The applicant this participant truly is; empty if they never applied."),
        Column("identity_id", "id", "A stable identifier of the true person, applicant or not.", required=True),
        Column("errors", "text", "Damage done to this row's linkage fields, separated by ';'."),
        Column("true_first_name", "text", "The given name the row was copied from."),
        Column("true_last_name", "text", "The surname the row was copied from."),
        Column("true_birth_date", "date", "The true date of birth."),
        Column("true_email", "text", "The person's own e-mail address."),
    ),
)

Progress = Callable[[str, int, int], None]


def extract_starts(*, last_cycle: int = 2025, config: SchoolConfig | None = None) -> dict[str, dt.date]:
    """The first day each windowed extract of :func:`generate` covers, by dataset (as an import
    declares it with ``extract_start``): employees, employee events and trainees from 1 January of
    the first workforce year (records of appointments that ended earlier are not in them)."""
    config = config or SchoolConfig()
    start = dt.date(last_cycle - config.workforce_years + 1, 1, 1)
    return {"employees": start, "employee_events": start, "trainees": start}


def generate(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    applications_per_cycle: int = DEFAULT_SIZE,
    cycles: int = 10,
    last_cycle: int = 2025,
    config: SchoolConfig | None = None,
    progress: Progress | None = None,
    identities: bool = False,
) -> dict[str, Path]:
    """Write the synthetic school into ``out_dir`` and return ``{dataset name: path}`` (the seven
    canonical datasets and ``participant_links``).

    ``applications_per_cycle`` sets the size: about that many applications in each of ``cycles``
    cycles ending with ``last_cycle`` (about 100 matriculants a cycle at the default 1,700);
    students, trainees, employees and program rosters scale with it. ``progress(step, done,
    total)`` is called as the work advances. ``identities=True`` also writes the restricted
    identity datasets and their ground truth (:mod:`ristra.synth.identities`).
    """
    if applications_per_cycle < 1:
        raise ValueError("applications_per_cycle must be at least 1")
    if cycles < 1:
        raise ValueError("cycles must be at least 1")
    config = config or SchoolConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = Window(
        first_cycle=last_cycle - cycles + 1,
        last_cycle=last_cycle,
        workforce_start_year=last_cycle - config.workforce_years + 1,
    )
    school = School(seed, config, window, applications_per_cycle / DEFAULT_SIZE)
    report: Progress = progress or (lambda step, done, total: None)
    paths = {name: out_dir / f"{name}.csv" for name in (
        "applications", "students", "trainees", "employees", "employee_events", "programs", "participants",
        "participant_links",
    )}

    # Applications
    funnel = apps.ApplicationFunnel(school.streams, config, school.populations[APPLICANT])
    plan = apps.ApplicationsPlan(funnel, first_cycle=window.first_cycle, last_cycle=last_cycle, per_cycle=applications_per_cycle)
    if plan.range_start(last_cycle + 1) >= INDEX_BASE[PHYSICIAN]:
        raise ValueError(f"applications_per_cycle={applications_per_cycle} is too large for the person index ranges")
    id_width = max(7, len(str(int(plan.n_new * 1.5))))
    record = apps.ApplicantRecord()
    expected = plan.expected_rows()
    with DatasetCsvWriter(paths["applications"], "applications") as writer:
        for rows, offset, people, stages in plan.chunks(CHUNK_ROWS):
            writer.write(apps.application_columns(rows, offset, people, stages, funnel, id_width))
            apps.record_chunk(record, rows, offset, people, stages, funnel, window.first_cycle)
            report("applications", record.rows, max(expected, record.rows))
    report("applications", record.rows, record.rows)

    # Students
    matriculants = record.matriculants()
    graduates = []
    with DatasetCsvWriter(paths["students"], "students") as writer:
        for columns, grads in students.student_chunks(school, matriculants, id_width, CHUNK_ROWS):
            writer.write(columns)
            graduates.append(grads)
            report("students", writer.rows, matriculants["idx"].size)
    grad_refs = PersonRefs.concat([g.refs for g in graduates])
    grad_days = np.concatenate([g.graduation_day for g in graduates]) if graduates else np.zeros(0, dtype=np.int64)

    # Residents and fellows
    completed_training = []
    with DatasetCsvWriter(paths["trainees"], "trainees") as writer:
        for part in trainees.appointments(school, grad_refs, grad_days, CHUNK_ROWS):
            writer.write(trainees.trainee_columns(school, part, writer.rows + 1))
            completed_training.append(part.completed())
            report("trainees", writer.rows, writer.rows)
    appointments = trainees.Appointments.concat(completed_training)

    # Faculty and staff
    with (
        DatasetCsvWriter(paths["employees"], "employees") as employees_writer,
        DatasetCsvWriter(paths["employee_events"], "employee_events") as events_writer,
    ):
        for employee_columns, event_columns in workforce.workforce_chunks(school, appointments, CHUNK_ROWS):
            employees_writer.write(employee_columns)
            events_writer.write(event_columns)
            report("employees", employees_writer.rows, employees_writer.rows)

    # Pipeline programs, rosters and the truth
    with DatasetCsvWriter(paths["programs"], "programs", quoting="needed") as writer:
        writer.write(pipeline.program_columns())
    alumni_idx, alumni_first = record.pipeline_alumni()
    rosters = pipeline.rosters(school, alumni_idx, alumni_first)
    with (
        DatasetCsvWriter(paths["participants"], "participants") as participants_writer,
        DatasetCsvWriter(paths["participant_links"], LINKS) as links_writer,
    ):
        for participant_columns, link_columns in pipeline.participant_chunks(school, rosters, CHUNK_ROWS):
            participants_writer.write(participant_columns)
            links_writer.write(link_columns)
            report("participants", participants_writer.rows, participants_writer.rows)
    if identities:
        from ristra.synth.identities import write_identities

        paths.update(write_identities(school, paths, out_dir))
        report("identities", 1, 1)
    return paths
