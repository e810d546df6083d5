"""Pipeline programs for the programs page: the registry (names, partners, audience) and, per
program, participants by year and completion, released as protected tables.

Counts are read with DuckDB straight from the current ``programs`` and ``participants``
snapshots (Parquet), grouped in one query; names and other linkage fields of participants are
never read. Outcomes that need linkage to applications and students come with the linkage
engine; until then a program's page states that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ristra.core.disclosure import Policy, ReleasedTable, release
from ristra.core.tables import crosstab
from ristra.engine.connections import connect
from ristra.services.workspace import Workspace

COMPLETION = ("yes", "no", "unknown")


@dataclass(frozen=True)
class Program:
    program_id: str
    name: str
    kind: str
    partners: str
    audience_level: str
    start_year: int
    end_year: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "name": self.name, "kind": self.kind, "partners": self.partners,
                "audience_level": self.audience_level, "start_year": self.start_year, "end_year": self.end_year}


@dataclass(frozen=True)
class ProgramRoster:
    """One program with its released participation table (``None`` when it has no participants)."""

    program: Program
    participation: ReleasedTable | None
    snapshots: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"program": self.program.to_dict(),
                "participation": self.participation.to_dict() if self.participation else None,
                "snapshots": self.snapshots}


def _parquet(workspace: Workspace, dataset: str) -> tuple[str, str] | None:
    manifest = workspace.snapshots.current(dataset)
    if manifest is None:
        return None
    return str(workspace.snapshots.path(manifest)), manifest.snapshot_id


def programs(workspace: Workspace, only: Iterable[str] | None = None) -> tuple[Program, ...]:
    """The program registry (all programs, or only the ids in ``only``), by id."""
    source = _parquet(workspace, "programs")
    if source is None:
        return ()
    wanted = None if only is None else sorted(set(only))
    sql = ("SELECT program_id, name, kind, coalesce(partners, ''), audience_level, start_year, end_year "
           "FROM read_parquet(?)")
    params: list[Any] = [source[0]]
    if wanted is not None:
        if not wanted:
            return ()
        sql += " WHERE list_contains(?, program_id)"
        params.append(wanted)
    with connect() as con:
        rows = con.execute(sql + " ORDER BY program_id", params).fetchall()
    return tuple(Program(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]),
                         None if r[6] is None else int(r[6])) for r in rows)


def roster(workspace: Workspace, program: Program, policy: Policy) -> ProgramRoster:
    """Participants of ``program`` by year and completion, released under ``policy``."""
    snapshots = {}
    source = _parquet(workspace, "participants")
    registry = _parquet(workspace, "programs")
    if registry is not None:
        snapshots["programs"] = registry[1]
    if source is None:
        return ProgramRoster(program, None, snapshots)
    snapshots["participants"] = source[1]
    with connect() as con:
        rows = con.execute(
            "SELECT year, coalesce(completed, 'unknown') AS completed, count(*) FROM read_parquet(?) "
            "WHERE program_id = ? GROUP BY ALL ORDER BY year", [source[0], program.program_id]).fetchall()
    if not rows:
        return ProgramRoster(program, None, snapshots)
    years = sorted({int(r[0]) for r in rows})
    grid = [[0] * len(COMPLETION) for _ in years]
    for year, completed, count in rows:
        grid[years.index(int(year))][COMPLETION.index(completed if completed in COMPLETION else "unknown")] += count
    table = crosstab(f"{program.name}: participants by year and completion", grid, [str(y) for y in years],
                     ["completed", "did not complete", "unknown"], row_dim="year", col_dim="completion",
                     key=f"participation-{program.program_id}")
    return ProgramRoster(program, release(table, policy), snapshots)
