"""One program's evaluation (issue 16, items 4 and 5): its outcomes, the comparison with
non-participants among applicants of the same cycles, the balanced (propensity-weighted)
comparison with its balance table and E-values, and a sentence on linkage quality.

Contract
--------
* Reads what :func:`ristra.services.program_outcomes.prepare` reads, and the current category set
  for the covariates (:data:`COVARIATES`, those the set holds and that apply to applications,
  evaluated on every application with the metrics' own rule compiler, derived columns such as the
  rural rule's resolved county included).
* **Participants** are the applicant persons linked to the program's roster, counted in cycles
  after their cohort; **non-participants** are applicants linked to no participant of any
  program. Applications of a participant in or before their cohort year are in neither group.
* The comparisons are computed by :func:`ristra.core.program_comparison.applicant_comparison`
  and :func:`ristra.core.program_comparison.balanced_comparison`; the propensity scores exist only
  inside that computation — no score, weight or covariate row of any person is returned, stored
  or logged.
* Returns :class:`ristra.core.program_outcomes.ProgramEvaluation` (frozen, ``to_dict()``), with
  ``published = False`` and the unreleased warning: it has not been through the publication.
* Raises :class:`LinkageInputError` for an unknown program, no admissions run or no applications.
"""

from __future__ import annotations

import duckdb
import numpy as np

from ristra.core.categories.sql import quote_identifier
from ristra.core.datasets import dataset
from ristra.core.linkage import LinkageInputError
from ristra.core.metrics.sql.lookups import RowCompiler
from ristra.core.program_comparison import (
    BALANCED_OUTCOMES,
    SELECTION,
    CycleCounts,
    applicant_comparison,
    balanced_comparison,
)
from ristra.core.program_outcomes import ProgramEvaluation, for_program, program_outcomes
from ristra.core.sql_dialect import DUCKDB
from ristra.core.stats.propensity import DEFAULT_REPLICATES, DEFAULT_SEED
from ristra.engine import reference_tables
from ristra.services.program_outcomes import (
    APPLICATIONS,
    Prepared,
    _categories,
    _participants,
    grouped_applications,
    prepare,
)
from ristra.services.workspace import Workspace
from ristra.stores.link_runs import StoredRun

#: The covariates of the balanced comparison, as category ids of the school's set (issue 16, item 5).
COVARIATES: tuple[str, ...] = ("in_state", "rural_school", "econ_disadvantaged", "first_generation", "urm_nm",
                               "women")
_STAGES = ("completed", "interviewed", "offered", "matriculated")

CONSEQUENCES = ("A missed link makes a participant who applied look unlinked: the rates over all participants are "
                "lower bounds (divide by recall for an estimate), and a missed participant among the applicants "
                "sits with the non-participants, pulling the comparison towards no difference. A false link gives "
                "a participant another person's record, which moves the participants' rates towards the "
                "applicants'. A subgroup linked less well (e.g. women whose surname changed) would show a "
                "spuriously lower rate.")


def _applications_view(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> None:
    manifest = workspace.snapshots.current(APPLICATIONS)
    assert manifest is not None
    path = str(workspace.snapshots.path(manifest)).replace("'", "''")
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
    columns = [quote_identifier(c.name) if c.name in present
               else f"CAST(NULL AS {c.storage_type}) AS {quote_identifier(c.name)}" for c in dataset(APPLICATIONS).columns]
    con.execute(f'CREATE VIEW "applications" AS SELECT {", ".join(columns)} FROM read_parquet(\'{path}\')')


def _covariate_table(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> tuple[str, ...]:
    """``app_cov``: every application's person, cycle, stages and covariate truth values (TRUE /
    FALSE / NULL). Returns the covariates found."""
    _applications_view(con, workspace)
    reference_tables.load(con)
    _version, _rules = _categories(workspace)
    current = workspace.categories.current()
    found = [d for d in (current.get(c) for c in COVARIATES if c in current.ids) if d.applies_to(APPLICATIONS)]
    compiler = RowCompiler(APPLICATIONS, DUCKDB)
    fragments = [compiler.boolean(d.checked(APPLICATIONS)) for d in found]
    for table in compiler.key_tables(exact=True):
        create = table.create_sql(DUCKDB)
        con.execute(create.sql, list(create.params))
    ctes = compiler.ctes(exact=True)
    with_sql = ("WITH " + ", ".join(c.sql for c in ctes) + " ") if ctes else ""
    selected = ", ".join(f"({f.sql}) AS {quote_identifier('c_' + d.id)}" for f, d in zip(fragments, found, strict=True))
    stages = ", ".join(f'coalesce("src".{s}, false) AS {s}' for s in _STAGES)
    params = [v for c in ctes for v in c.params] + [v for f in fragments for v in f.params]
    con.execute(f'CREATE TEMP TABLE app_cov AS {with_sql}SELECT "src".application_id, "src".person_id, '
                f'"src".cycle, {stages}{", " + selected if selected else ""} '
                f'FROM "applications" AS "src" {compiler.joins(exact=True)}', params)
    return tuple(d.id for d in found)


def _groups(con: duckdb.DuckDBPyConnection, program_id: str) -> None:
    """``cmp``: app_cov rows with ``grp`` 1 (the program's participants, after their cohort) or 0
    (linked to no participant), in the cycles where the program's participants applied."""
    con.execute(f"CREATE TEMP TABLE cmp AS SELECT * EXCLUDE (in_cycles) FROM ({grouped_applications('app_cov')}) "
                "WHERE grp IN (0, 1) AND in_cycles", [program_id])


def _cycle_counts(con: duckdb.DuckDBPyConnection) -> list[CycleCounts]:
    sums = ", ".join(f"count_if({s})" for s in _STAGES)
    rows = con.execute(f"SELECT cycle, grp, count(*), {sums} FROM cmp GROUP BY ALL ORDER BY ALL").fetchall()
    by_cycle: dict[int, dict[int, dict[str, int]]] = {}
    for cycle, grp, n, *stage_counts in rows:
        by_cycle.setdefault(int(cycle), {0: {}, 1: {}})[int(grp)] = {
            "applications": int(n), **{s: int(k) for s, k in zip(_STAGES, stage_counts, strict=True)}}
    return [CycleCounts(c, g[1], g[0]) for c, g in sorted(by_cycle.items())]


def _design(con: duckdb.DuckDBPyConnection, covariates: tuple[str, ...]
            ) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One row per person (first application in the cycles): covariate columns, group, outcomes."""
    cov = ", ".join(quote_identifier("c_" + c) for c in covariates)
    stages = ", ".join(_STAGES)
    rows = con.execute(f"""
SELECT grp, cycle, {stages}{", " + cov if cov else ""} FROM cmp
QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY cycle, application_id) = 1
ORDER BY person_id""").fetchall()
    grp = np.array([r[0] for r in rows], dtype=bool)
    cycles = np.array([r[1] for r in rows], dtype=np.int64)
    outcomes = {s: np.array([bool(r[2 + i]) for r in rows], dtype=np.float64) for i, s in enumerate(_STAGES)}
    names: list[str] = []
    columns: list[np.ndarray] = []
    for i, c in enumerate(covariates):
        values = [r[2 + len(_STAGES) + i] for r in rows]
        levels = {"yes": np.array([v is True for v in values]), "no": np.array([v is False for v in values]),
                  "unknown": np.array([v is None for v in values])}
        # the reference level is the participants' commonest, so that a level no participant has is a
        # column constant among them, which the comparison restricts on (positivity) instead of fitting
        reference = max(levels, key=lambda level: (int(levels[level][grp].sum()), level == "yes"))
        for level, hit in levels.items():
            if level != reference and hit.any():
                columns.append(hit.astype(np.float64))
                names.append(f"{c}: {level}")
    for year in sorted(set(cycles.tolist()))[1:]:
        columns.append((cycles == year).astype(np.float64))
        names.append(f"cycle {year}")
    design = np.column_stack(columns) if columns else np.zeros((len(rows), 0))
    return names, design, grp, outcomes


def linkage_sentence(prepared: Prepared) -> str:
    """Counts by tier and the calibration of each link used, and what linkage error does."""
    parts = [_run_sentence("roster → admissions identities", prepared.run)]
    for key, label in (("gme", "roster → GME identities"), ("hr", "roster → HR identities")):
        run = prepared.onward_runs.get(key)
        parts.append(_run_sentence(label, run) if run else f"{label}: not run, so its outcomes are not linked.")
    return " ".join(parts) + " " + CONSEQUENCES


def _run_sentence(label: str, run: StoredRun | None) -> str:
    assert run is not None
    record = run.record
    counts = ", ".join(f"{n} {tier}" for tier, n in sorted(record.counts.items()))
    calibration = record.calibration or {}
    if record.threshold_source == "calibrated" and calibration:
        how = (f"threshold calibrated on {calibration.get('labelled_rows')} labelled rows (precision "
               f"{float(calibration.get('precision', float('nan'))):.3f}, recall "
               f"{float(calibration.get('recall', float('nan'))):.3f} on them)")
    else:
        how = f"threshold {record.threshold_source} (not calibrated on labels in this run)"
    return f"{label} (run {run.run_id}): {counts} roster rows; {how}."


def evaluate(workspace: Workspace, program_id: str, *, youngest_age: int | None = None,
             replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED) -> ProgramEvaluation:
    """The evaluation of ``program_id`` (module docstring)."""
    con = duckdb.connect()
    try:
        prepared = prepare(con, workspace)
        programs = {r[0] for r in con.execute("SELECT DISTINCT program_id FROM roster_people").fetchall()}
        if program_id not in programs:
            raise LinkageInputError(f"no program {program_id!r} on the roster the link run is pinned to; "
                                    f"programs: {', '.join(sorted(programs))}")
        people = _participants(con, workspace, prepared)
        covariates = _covariate_table(con, workspace)
        _groups(con, program_id)
        counts = _cycle_counts(con)
        names, design, treated, stage_outcomes = _design(con, covariates)
    finally:
        con.close()
    version, _rules = _categories(workspace)
    age = youngest_age if youngest_age is not None else prepared.youngest
    everything = program_outcomes(people, prepared.first_cycle, prepared.last_cycle, age, prepared.sources,
                                  prepared.outcome_sources, version)
    applicants = applicant_comparison(program_id, counts)
    balanced = balanced_comparison(program_id, names, design, treated,
                                   {s: stage_outcomes[s] for s in BALANCED_OUTCOMES}, replicates=replicates, seed=seed)
    assert tuple(s for s, _ in SELECTION) == BALANCED_OUTCOMES
    return ProgramEvaluation(program_id, for_program(everything, program_id), applicants, balanced,
                             linkage_sentence(prepared))
