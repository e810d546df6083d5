"""Program outcomes through linkage: the participants of each program and cohort, what their
later applications reached, and their time to application (service level; not yet published).

Contract
--------
* Reads the links in force of the roster → admissions link (:class:`LinkageService`; the run and
  its clerical decisions), the roster snapshot *the run is pinned to* (so every participant id is
  one the run linked), and the current ``applications`` snapshot. Birth dates are read here only
  to decide who could not yet have applied; the result holds counts, ids of programs and years.
* The youngest age at which anyone applied (``youngest_age``) is measured on the applications
  snapshot (cycle − birth year, the smallest seen) unless given.
* Returns :class:`ristra.core.program_outcomes.ProgramOutcomes` (frozen, ``to_dict()``), with
  ``published = False``: no page, report or API shows these yet, and a table built from them must
  go through the release path (disclosure control) before it is shown to anyone.
"""

from __future__ import annotations

import duckdb

from ristra.core.linkage import LinkageInputError
from ristra.core.program_outcomes import STAGES, Participant, ProgramOutcomes, program_outcomes
from ristra.services.linkage import ROSTER, LinkageService
from ristra.services.workspace import Workspace

APPLICATIONS = "applications"


def outcomes(workspace: Workspace, youngest_age: int | None = None) -> ProgramOutcomes:
    """The outcomes of every program and cohort (module docstring)."""
    service = LinkageService(workspace, "admissions_identities")
    run = service._require_run()
    roster = workspace.snapshots.get(ROSTER, run.record.inputs[ROSTER])
    applications = workspace.snapshots.current(APPLICATIONS)
    if applications is None:
        raise LinkageInputError("no snapshot of applications has been imported yet; outcomes need them")
    linked = {x.roster_id: x.person_id for x in service.links(run) if x.linked}
    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE linked (participant_id VARCHAR, person_id VARCHAR)")
        con.executemany("INSERT INTO linked VALUES (?, ?)", list(linked.items()))
        path = str(workspace.snapshots.path(applications)).replace("'", "''")
        con.execute(f"CREATE VIEW apps AS SELECT * FROM read_parquet('{path}')")
        first_cycle, last_cycle, youngest = con.execute(
            "SELECT min(cycle), max(cycle), min(cycle - birth_year) FROM apps").fetchall()[0]
        if first_cycle is None:
            raise LinkageInputError("the applications snapshot holds no application")
        stage_sql = ", ".join(f"bool_or(a.{s}) AS {s}" for s in STAGES[1:])
        rows = con.execute(f"""
WITH people AS (
  SELECT r.program_id, r.roster_id, min(r.year) AS cohort, min(year(r.birth_date)) AS birth_year,
         mode(l.person_id) AS person_id
  FROM read_parquet(?) r LEFT JOIN linked l USING (participant_id)
  GROUP BY ALL
)
SELECT p.program_id, p.cohort, p.person_id IS NOT NULL, p.birth_year, min(a.cycle), {stage_sql}
FROM people p LEFT JOIN apps a ON a.person_id = p.person_id AND a.cycle > p.cohort
GROUP BY p.program_id, p.roster_id, p.cohort, p.person_id, p.birth_year
""", [str(workspace.snapshots.path(roster))]).fetchall()
    finally:
        con.close()
    people = []
    for program_id, cohort, is_linked, birth_year, first_applied, *stages in rows:
        reached = {"applied"} if first_applied is not None else set()
        reached |= {s for s, hit in zip(STAGES[1:], stages, strict=True) if hit}
        people.append(Participant(str(program_id), int(cohort), bool(is_linked), birth_year, first_applied,
                                  frozenset(reached)))
    sources = {"link_run": run.run_id, ROSTER: roster.snapshot_id, APPLICATIONS: applications.snapshot_id}
    age = youngest_age if youngest_age is not None else int(youngest)
    return program_outcomes(people, int(first_cycle), int(last_cycle), age, sources)
