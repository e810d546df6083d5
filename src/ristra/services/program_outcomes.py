"""Program outcomes through linkage: the participants of each program and cohort, what their
later applications reached, what came after (graduation, residency, faculty or staff), by
category, and their time to application; with the roster rows by linkage tier and each program's
comparison counts (applications by stage of participants, comparison group and others), which
the publication protects and shows on the program pages.

Contract
--------
* Reads the links in force of the roster → admissions link (:class:`LinkageService`; the run and
  its clerical decisions), the roster snapshot *the run is pinned to* (so every participant id is
  one the run linked), and the current ``applications`` snapshot. Birth dates are read here only
  to decide who could not yet have applied; the result holds counts, ids of programs and years.
* Onward outcomes (:data:`ristra.core.program_outcomes.ONWARD`): ``graduated`` from the current
  ``students`` snapshot (the same admissions/registrar ``person_id``); ``residency_in_new_mexico``
  from ``trainees`` through the links in force of the roster → ``gme_identities`` run;
  ``faculty`` and ``staff`` from ``employees`` through the roster → ``hr_identities`` run. An
  outcome whose link has not been run, or whose dataset has no snapshot, is reported with its
  status (``not linked`` / ``not observed``) and the command that would fill it, and has no rate
  — never a zero. Residency outside New Mexico is always ``not observed``.
* Categories: the current category set's categories that apply to ``participants`` and read no
  derived column, evaluated on each roster person's first row with the reference evaluator.
* The youngest age at which anyone applied (``youngest_age``) is measured on the applications
  snapshot (cycle − birth year, the smallest seen) unless given.
* Returns :class:`ristra.core.program_outcomes.ProgramOutcomes` (frozen, ``to_dict()``), with
  ``published = False``: pages, reports and the API show only the tables the publication makes
  from it (:mod:`ristra.reports.program_outcomes`), after the release path (disclosure control).
* The roster rows by tier (:func:`roster_tiers`) and each program's comparison counts
  (:func:`comparison_counts`, the same groups as :mod:`ristra.services.program_evaluation`:
  :func:`grouped_applications`) ride along in the value for those tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from ristra.core.categories import DERIVED, Rule
from ristra.core.categories.evaluator import membership
from ristra.core.linkage import LinkageInputError
from ristra.core.linkage_decisions import FINAL_TIERS, LinkInForce
from ristra.core.manifest import SnapshotManifest
from ristra.core.program_counts import COMPARISON_STAGES, ComparisonCounts, RosterTiers, StageCounts
from ristra.core.program_outcomes import (
    COMPUTED,
    NOT_LINKED,
    NOT_OBSERVED,
    STAGES,
    OutcomeSource,
    Participant,
    ProgramOutcomes,
    program_outcomes,
)
from ristra.services.linkage import ROSTER, LinkageService
from ristra.services.workspace import Workspace
from ristra.stores.link_runs import StoredRun

APPLICATIONS = "applications"
#: The onward link of each source: identity dataset, analytic dataset.
ONWARD_LINKS: dict[str, tuple[str, str]] = {"gme": ("gme_identities", "trainees"),
                                            "hr": ("hr_identities", "employees")}


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` left in the connection (tables ``roster_people``, ``apps``,
    ``students``, ``trainees``, ``employees``) and what it was read from."""

    run: StoredRun
    onward_runs: dict[str, StoredRun | None]
    sources: dict[str, str]
    outcome_sources: tuple[OutcomeSource, ...]
    first_cycle: int
    last_cycle: int
    youngest: int
    #: the run's roster rows by final tier, counted from the links read here
    tiers: RosterTiers


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _view(con: duckdb.DuckDBPyConnection, workspace: Workspace, name: str, manifest: SnapshotManifest | None,
          empty: str) -> None:
    if manifest is None:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM ({empty}) WHERE false")
    else:
        path = _literal(str(workspace.snapshots.path(manifest)))
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")


def _linked_pairs(links: Sequence[LinkInForce]) -> list[tuple[str, str]]:
    return [(x.roster_id, x.person_id) for x in links if x.linked and x.person_id]


def _link_table(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple[str, str]]) -> None:
    """A temporary table of (participant_id, person_id) links; a run that linked nobody gives an
    empty table (a run of an onward link may find no one: no participant became a resident yet)."""
    con.execute(f"CREATE TEMP TABLE {name} (participant_id VARCHAR, person_id VARCHAR)")
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", rows)


def prepare(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> Prepared:
    """Read the links in force and the snapshots into ``con`` (module docstring): ``roster_people``
    holds one row per roster person (program_id, roster_id, cohort, birth_year, first_row — the
    participant id of their first roster row —, person_id, gme_id, hr_id). Raises
    :class:`LinkageInputError` without an admissions run or an applications snapshot."""
    service = LinkageService(workspace, "admissions_identities")
    run = service._require_run()
    roster = workspace.snapshots.get(ROSTER, run.record.inputs[ROSTER])
    applications = workspace.snapshots.current(APPLICATIONS)
    if applications is None:
        raise LinkageInputError("no snapshot of applications has been imported yet; outcomes need them")
    sources = {"link_run": run.run_id, ROSTER: roster.snapshot_id, APPLICATIONS: applications.snapshot_id}
    in_force = service.links(run)
    _link_table(con, "linked", _linked_pairs(in_force))
    onward_runs: dict[str, StoredRun | None] = {}
    for key, (identities, _dataset) in ONWARD_LINKS.items():
        onward = LinkageService(workspace, identities)
        current = onward.current()
        onward_runs[key] = current
        _link_table(con, f"{key}_linked", [] if current is None else _linked_pairs(onward.links(current)))
        if current is not None:
            sources[f"link_run_{key}"] = current.run_id
    con.execute(f"CREATE VIEW apps AS SELECT * FROM read_parquet('{_literal(str(workspace.snapshots.path(applications)))}')")
    manifests = {}
    for dataset, empty in (("students", "SELECT NULL::VARCHAR AS person_id, NULL::INTEGER AS matriculation_year, "
                                        "NULL::VARCHAR AS status"),
                           ("trainees", "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS kind, "
                                        "NULL::DATE AS start_date"),
                           ("employees", "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS employee_class, "
                                         "NULL::DATE AS hire_date")):
        manifests[dataset] = workspace.snapshots.current(dataset)
        _view(con, workspace, dataset, manifests[dataset], empty)
        if manifests[dataset] is not None:
            sources[dataset] = manifests[dataset].snapshot_id  # type: ignore[union-attr]
    first_cycle, last_cycle, youngest = con.execute(
        "SELECT min(cycle), max(cycle), min(cycle - birth_year) FROM apps").fetchall()[0]
    if first_cycle is None:
        raise LinkageInputError("the applications snapshot holds no application")
    con.execute("""
CREATE TEMP TABLE roster_people AS
SELECT r.program_id, r.roster_id, min(r.year) AS cohort, min(year(r.birth_date)) AS birth_year,
       arg_min(r.participant_id, r.year) AS first_row, mode(l.person_id) AS person_id,
       mode(g.person_id) AS gme_id, mode(h.person_id) AS hr_id
FROM read_parquet(?) r LEFT JOIN linked l USING (participant_id) LEFT JOIN gme_linked g USING (participant_id)
     LEFT JOIN hr_linked h USING (participant_id)
GROUP BY r.program_id, r.roster_id""", [str(workspace.snapshots.path(roster))])
    current_roster = workspace.snapshots.current(ROSTER)
    tiers = roster_tiers(in_force, roster.snapshot_id,
                         current_roster is not None and current_roster.snapshot_id == roster.snapshot_id)
    return Prepared(run, onward_runs, sources, _outcome_sources(onward_runs, manifests, roster.snapshot_id),
                    int(first_cycle), int(last_cycle), int(youngest), tiers)


def _outcome_sources(runs: dict[str, StoredRun | None], manifests: dict[str, SnapshotManifest | None],
                     roster_id: str) -> tuple[OutcomeSource, ...]:
    out = []
    if manifests["students"] is None:
        out.append(OutcomeSource("graduated", NOT_OBSERVED, "students",
                                 "no snapshot of students has been imported (`ristra import students FILE`)"))
    else:
        out.append(OutcomeSource("graduated", COMPUTED, "admissions link → students (same person_id)",
                                 "a student record matriculated after the cohort year, status graduated, so far"))
    labels = {"residency_in_new_mexico": "a residency appointment at the school (in New Mexico)",
              "faculty": "a faculty appointment", "staff": "a staff appointment"}
    for key, outcomes in (("gme", ("residency_in_new_mexico",)), ("hr", ("faculty", "staff"))):
        identities, dataset = ONWARD_LINKS[key]
        run = runs[key]
        for outcome in outcomes:
            if run is None:
                out.append(OutcomeSource(outcome, NOT_LINKED, f"roster → {identities}",
                                         f"the roster → {identities} link has not been run "
                                         f"(`ristra link run --to {identities}`): not computed, which is not zero"))
            elif manifests[dataset] is None:
                out.append(OutcomeSource(outcome, NOT_OBSERVED, dataset,
                                         f"no snapshot of {dataset} has been imported (`ristra import {dataset} FILE`)"))
            else:
                pinned = "" if run.record.inputs.get(ROSTER) == roster_id else (
                    "; that run is pinned to another roster snapshot than the admissions run (rerun it)")
                out.append(OutcomeSource(outcome, COMPUTED, f"roster → {identities} (run {run.run_id}) → {dataset}",
                                         f"{labels[outcome]} starting after the cohort year, so far{pinned}"))
        if key == "gme":
            out.append(OutcomeSource("residency_elsewhere", NOT_OBSERVED, "none",
                                     "the school's records hold its own residents only; residency outside New Mexico "
                                     "is not in the data (not zero)"))
    return tuple(out)


def _categories(workspace: Workspace) -> tuple[int | None, list[tuple[str, Rule]]]:
    """(category set version, [(id, checked rule)]) for the participants roster (module docstring)."""
    try:
        current = workspace.categories.current()
    except (FileNotFoundError, LookupError, ValueError):
        return None, []
    rules = []
    for definition in current.for_dataset(ROSTER):
        rule = definition.checked(ROSTER)
        if not set(rule.columns) & set(DERIVED):
            rules.append((definition.id, rule))
    return current.version, rules


def outcomes(workspace: Workspace, youngest_age: int | None = None) -> ProgramOutcomes:
    """The outcomes of every program and cohort (module docstring), with the roster rows by tier
    and each program's comparison counts (:mod:`ristra.core.program_counts`)."""
    con = duckdb.connect()
    try:
        prepared = prepare(con, workspace)
        people = _participants(con, workspace, prepared)
        programs = [str(r[0]) for r in con.execute("SELECT DISTINCT program_id FROM roster_people ORDER BY 1").fetchall()]
        comparisons = tuple(c for p in programs if (c := comparison_counts(con, p)) is not None)
    finally:
        con.close()
    age = youngest_age if youngest_age is not None else prepared.youngest
    version, _rules = _categories(workspace)
    found = program_outcomes(people, prepared.first_cycle, prepared.last_cycle, age, prepared.sources,
                             prepared.outcome_sources, version)
    return dataclasses.replace(found, tiers=prepared.tiers, comparisons=comparisons)


def roster_tiers(links: Sequence[LinkInForce], roster_snapshot: str, current: bool) -> RosterTiers:
    """Every roster row of a run (its links in force, decisions applied) by final tier."""
    tiers = dict.fromkeys(FINAL_TIERS, 0)
    for link in links:
        tiers[link.tier] += 1
    return RosterTiers(roster_snapshot, current, tuple(tiers.items()))


def grouped_applications(source: str) -> str:
    """SQL of every application of ``source`` (a table or view with ``person_id`` and ``cycle``)
    with ``grp``: 1 — the program's (parameter ``?``) linked participants in a cycle after their
    cohort; 0 — applicants linked to no participant of any program; 2 — everyone else; and
    ``in_cycles``: whether the program's participants applied in that cycle. Needs
    ``roster_people`` (:func:`prepare`)."""
    return f"""
WITH mine AS (SELECT person_id, min(cohort) AS cohort FROM roster_people
              WHERE program_id = ? AND person_id IS NOT NULL GROUP BY person_id),
     anyone AS (SELECT DISTINCT person_id FROM roster_people WHERE person_id IS NOT NULL),
     grouped AS (
       SELECT a.*, CASE WHEN m.person_id IS NOT NULL AND a.cycle > m.cohort THEN 1
                        WHEN n.person_id IS NULL THEN 0 ELSE 2 END AS grp
       FROM {source} a LEFT JOIN mine m USING (person_id) LEFT JOIN anyone n USING (person_id))
SELECT *, cycle IN (SELECT cycle FROM grouped WHERE grp = 1) AS in_cycles FROM grouped"""


def comparison_counts(con: duckdb.DuckDBPyConnection, program_id: str) -> ComparisonCounts | None:
    """The applications by stage and group in the cycles the program's participants applied in
    (None when they applied in none)."""
    stages = ", ".join(f"count_if(coalesce({s}, false))" for s in COMPARISON_STAGES[1:])
    rows = con.execute(f"SELECT grp, list(DISTINCT cycle), count(*), {stages} FROM "
                       f"({grouped_applications('apps')}) WHERE in_cycles GROUP BY grp", [program_id]).fetchall()
    # the cycles in force are those the participants (group 1) applied in
    cycles = sorted(int(c) for grp, seen, *_ in rows if grp == 1 for c in seen)
    if not cycles:
        return None
    by_group = {int(grp): StageCounts(tuple(int(v) for v in counts)) for grp, _, *counts in rows}
    none = StageCounts((0,) * len(COMPARISON_STAGES))
    return ComparisonCounts(program_id, tuple(cycles), by_group.get(1, none), by_group.get(0, none),
                            by_group.get(2, none))


def _participants(con: duckdb.DuckDBPyConnection, workspace: Workspace, prepared: Prepared) -> list[Participant]:
    stage_sql = ", ".join(f"bool_or(a.{s})" for s in STAGES[1:])
    rows = con.execute(f"""
WITH applied AS (
  SELECT p.program_id, p.roster_id, min(a.cycle) AS first_cycle, {stage_sql}
  FROM roster_people p JOIN apps a ON a.person_id = p.person_id AND a.cycle > p.cohort GROUP BY ALL),
graduated AS (
  SELECT DISTINCT p.program_id, p.roster_id FROM roster_people p JOIN students s
    ON s.person_id = p.person_id AND s.matriculation_year > p.cohort AND s.status = 'graduated'),
resident AS (
  SELECT DISTINCT p.program_id, p.roster_id FROM roster_people p JOIN trainees t
    ON t.person_id = p.gme_id AND t.kind = 'residency' AND year(t.start_date) > p.cohort),
employed AS (
  SELECT p.program_id, p.roster_id, bool_or(e.employee_class = 'faculty') AS faculty,
         bool_or(e.employee_class = 'staff') AS staff
  FROM roster_people p JOIN employees e ON e.person_id = p.hr_id AND year(e.hire_date) > p.cohort GROUP BY ALL)
SELECT p.program_id, p.cohort, p.person_id IS NOT NULL, p.birth_year, p.first_row, a.*  EXCLUDE (program_id, roster_id),
       g.roster_id IS NOT NULL, r.roster_id IS NOT NULL, coalesce(e.faculty, false), coalesce(e.staff, false)
FROM roster_people p
LEFT JOIN applied a USING (program_id, roster_id) LEFT JOIN graduated g USING (program_id, roster_id)
LEFT JOIN resident r USING (program_id, roster_id) LEFT JOIN employed e USING (program_id, roster_id)
ORDER BY p.program_id, p.roster_id""").fetchall()
    _version, rules = _categories(workspace)
    rows_by_id: dict[str, dict[str, object]] = {}
    if rules:
        roster = workspace.snapshots.get(ROSTER, prepared.sources[ROSTER])
        columns = sorted({c for _id, rule in rules for c in rule.columns})
        listed = ", ".join(f'"{c}"' for c in columns)
        cursor = con.execute(f"SELECT participant_id, {listed} FROM read_parquet(?) WHERE participant_id IN "
                             "(SELECT first_row FROM roster_people)", [str(workspace.snapshots.path(roster))])
        for pid, *values in cursor.fetchall():
            rows_by_id[str(pid)] = dict(zip(columns, values, strict=True))
    computed = {o.outcome for o in prepared.outcome_sources if o.status == COMPUTED}
    people = []
    for program_id, cohort, is_linked, birth_year, first_row, first_applied, *rest in rows:
        stages, (graduated, resident, faculty, staff) = rest[:len(STAGES) - 1], rest[len(STAGES) - 1:]
        reached = {"applied"} if first_applied is not None else set()
        reached |= {s for s, hit in zip(STAGES[1:], stages, strict=True) if hit}
        onward = {o for o, hit in (("graduated", graduated), ("residency_in_new_mexico", resident),
                                   ("faculty", faculty), ("staff", staff)) if hit and o in computed}
        row = rows_by_id.get(str(first_row), {})
        categories = tuple((cid, membership(rule, row)) for cid, rule in rules)
        people.append(Participant(str(program_id), int(cohort), bool(is_linked), birth_year, first_applied,
                                  frozenset(reached), frozenset(onward), categories))
    return people
