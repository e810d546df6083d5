"""Offline review: the review queue as a CSV file, decisions and labels read back from CSV.

Contract
--------
* :func:`export_queue` writes the queue of the run in force with each pair's two records side by
  side (``roster_<field>`` and ``identity_<field>`` for every linkage field either dataset has) —
  that is the file's purpose, so it is written with owner-only permissions (0600), atomically (a
  temporary file renamed into place). An empty queue is refused with :class:`EmptyQueue` and
  nothing is written.
* :func:`import_decisions` reads ``participant_id``, ``person_id`` and ``decision`` (the other
  columns are ignored; a blank decision means "not reviewed" and is skipped). Every bad row is
  reported as a :class:`RowProblem` (line, column, what is wrong) and then nothing is recorded; a
  problem never repeats a cell's value, since the file holds names, birth dates and e-mails.
* The web's review queue: :func:`review_band` lists the uncertain band of the run in force
  (decided pairs included and marked; limited to a coordinator's programs when asked),
  :func:`review_pair` gives one pair's two records side by side (read here, from the snapshots
  the run is pinned to; the page holding them is the only other place they appear), and
  :func:`decide` records a decision in the same decisions store the CSV import writes to. A pair
  outside the band, or of a program not asked for, is :class:`PairNotInQueue`.
* :func:`read_labels` reads a labels file (``participant_id,person_id``; an empty person means
  the row is nobody in the identity dataset) with the same kind of problems.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from ristra.core.linkage import LINKAGE_FIELDS, LinkageInputError
from ristra.core.linkage_decisions import UNSURE, ClericalDecision, in_review_band, parse_decision
from ristra.services.linkage import ROSTER, LinkageService
from ristra.stores.link_runs import StoredRun

QUEUE_COLUMNS = ("participant_id", "person_id", "match_weight", "match_probability", "tier", "decision")


class EmptyQueue(LinkageInputError):
    """The review queue has no pair to review."""


@dataclass(frozen=True)
class RowProblem:
    """A bad row of a decisions or labels file: its line (1 is the header), the column, what is wrong."""

    line: int
    column: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DecisionFileError(LinkageInputError):
    """A decisions or labels file with problems; nothing was recorded."""

    def __init__(self, name: str, problems: list[RowProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(problems)} problem(s) in {name}; nothing was recorded")


@dataclass(frozen=True)
class DecisionImport:
    """What an import of decisions recorded."""

    recorded: int
    skipped: int
    decisions: tuple[ClericalDecision, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "skipped": self.skipped}


def export_queue(service: LinkageService, path: Path) -> int:
    """Write the review queue to ``path`` (see the module docstring); returns the pairs written."""
    queue = service.review_queue()
    if not queue.pairs:
        raise EmptyQueue(f"the review queue is empty: no undecided pair of run {queue.run_id} lies within "
                         f"{queue.band:g} bits of the threshold {queue.threshold:.2f}; nothing was written")
    snapshots = service.workspace.snapshots
    roster = snapshots.path(service._input(ROSTER))
    identities = snapshots.path(service._input(service.identities))
    con = duckdb.connect()
    try:
        def fields_of(path: Path) -> list[str]:
            names = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
            return [f for f in LINKAGE_FIELDS if f in names]

        roster_fields, identity_fields = fields_of(roster), fields_of(identities)
        con.execute("CREATE TABLE queue (k INTEGER, participant_id VARCHAR, person_id VARCHAR)")
        con.executemany("INSERT INTO queue VALUES (?, ?, ?)",
                        [(i, p.roster_id, p.person_id) for i, p in enumerate(queue.pairs)])
        shown = [f for f in LINKAGE_FIELDS if f in roster_fields or f in identity_fields]
        selects = []
        for f in shown:
            selects.append(f'CAST(r."{f}" AS VARCHAR)' if f in roster_fields else "NULL")
            selects.append(f'CAST(i."{f}" AS VARCHAR)' if f in identity_fields else "NULL")
        rows = con.execute(
            f"SELECT {', '.join(selects) or 'NULL'} FROM queue q "
            "LEFT JOIN read_parquet(?) r ON r.participant_id = q.participant_id "
            "LEFT JOIN read_parquet(?) i ON i.person_id = q.person_id ORDER BY q.k",
            [str(roster), str(identities)]).fetchall()
    finally:
        con.close()
    header = [*QUEUE_COLUMNS, *(f"{side}_{f}" for f in shown for side in ("roster", "identity"))]
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".review-", suffix=".csv", dir=path.parent if str(path.parent) else ".")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for pair, fields in zip(queue.pairs, rows, strict=True):
                writer.writerow([pair.roster_id, pair.person_id, f"{pair.match_weight:.3f}",
                                 f"{pair.match_probability:.4f}", pair.tier, pair.decision or "",
                                 *("" if v is None else v for v in fields)])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return len(queue.pairs)


def _rows(path: Path, required: tuple[str, ...], name: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    try:
        handle = Path(path).open(encoding="utf-8-sig", newline="")
    except OSError as err:
        raise LinkageInputError(f"cannot read {name}: {err.strerror}") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in required if c not in header]
            if missing:
                return [], [RowProblem(1, c, "this column is missing") for c in missing]
            reader.fieldnames = header
            rows = []
            for row in reader:
                rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}))
        except (csv.Error, UnicodeDecodeError) as err:
            line = getattr(reader, "line_num", 0) + 1
            return [], [RowProblem(line, "", f"not a readable CSV file from here on ({type(err).__name__})")]
    return rows, []


def import_decisions(service: LinkageService, path: Path) -> DecisionImport:
    """Record the decisions of a reviewed queue file (see the module docstring)."""
    name = Path(path).name
    rows, problems = _rows(path, ("participant_id", "person_id", "decision"), name)
    run = service._require_run()
    proposed = {(x.roster_id, x.proposed_person_id) for x in service.links(run) if x.proposed_person_id}
    settings = service.workspace.settings
    at = settings.clock().isoformat(timespec="microseconds")
    decided: dict[tuple[str, str], tuple[int, ClericalDecision]] = {}
    skipped = 0
    for line, row in rows:
        if not row.get("decision"):
            skipped += 1
            continue
        decision = parse_decision(row["decision"])
        pair = (row.get("participant_id", ""), row.get("person_id", ""))
        if decision is None:
            problems.append(RowProblem(line, "decision", "a decision is 'match', 'not a match' or 'unsure'"))
        for column, value in zip(("participant_id", "person_id"), pair, strict=True):
            if not value:
                problems.append(RowProblem(line, column, "empty; every decided row names its pair"))
        if all(pair) and pair not in proposed:
            problems.append(RowProblem(line, "person_id", "the run in force proposes no such pair for this "
                                       "participant (was the file exported from an earlier run?)"))
        if decision is None or not all(pair) or pair not in proposed:
            continue
        if pair in decided and decided[pair][1].decision != decision:
            problems.append(RowProblem(line, "decision", f"the same pair has another decision on line {decided[pair][0]}"))
            continue
        decided[pair] = (line, ClericalDecision(pair[0], pair[1], decision, settings.user, at))
    if problems:
        raise DecisionFileError(name, sorted(problems, key=lambda p: (p.line, p.column)))
    recorded = tuple(d for _, d in decided.values())
    service.store.record_decisions(service.link_name, recorded)
    return DecisionImport(len(recorded), skipped, recorded)


def read_labels(path: Path) -> dict[str, str | None]:
    """The row labels in a labels file (see the module docstring)."""
    name = Path(path).name
    rows, problems = _rows(path, ("participant_id", "person_id"), name)
    labels: dict[str, str | None] = {}
    seen: dict[str, int] = {}
    for line, row in rows:
        roster_id = row.get("participant_id", "")
        if not roster_id:
            problems.append(RowProblem(line, "participant_id", "empty; every label names its roster row"))
            continue
        if roster_id in seen:
            problems.append(RowProblem(line, "participant_id", f"labelled already on line {seen[roster_id]}"))
            continue
        seen[roster_id] = line
        labels[roster_id] = row.get("person_id") or None
    if problems:
        raise DecisionFileError(name, problems)
    if not labels:
        raise LinkageInputError(f"{name} labels no row")
    return labels


# ---------------------------------------------------------------------- the review queue in the web

class PairNotInQueue(LinkageInputError):
    """The pair asked for is not in the uncertain band of the run in force, or not among the
    programs the asker may review. The message names no value (and no id beyond what was asked)."""


@dataclass(frozen=True)
class BandPair:
    """One pair of the uncertain band (ids and scores only): the model's tier and, when decided,
    the decision in force on this pair with who made it and when."""

    roster_id: str
    person_id: str
    program_id: str
    match_weight: float
    match_probability: float
    tier: str
    decision: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None

    @property
    def decided(self) -> bool:
        """Whether a decision other than ``unsure`` is in force (``unsure`` pairs stay to review)."""
        return self.decision is not None and self.decision != UNSURE

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decided": self.decided}


@dataclass(frozen=True)
class ReviewBand:
    """The uncertain band of the run in force (``threshold`` ± ``band`` bits), decided pairs
    included and marked, limited to ``programs`` when given; nearest the threshold first."""

    link: str
    run_id: str
    threshold: float
    band: float
    pairs: tuple[BandPair, ...]
    programs: tuple[str, ...] | None = None

    @property
    def to_review(self) -> int:
        return sum(1 for p in self.pairs if not p.decided)

    def to_dict(self) -> dict[str, Any]:
        return {"link": self.link, "run_id": self.run_id, "threshold": self.threshold, "band": self.band,
                "programs": list(self.programs) if self.programs is not None else None,
                "to_review": self.to_review, "pairs": [p.to_dict() for p in self.pairs]}


@dataclass(frozen=True)
class ReviewPair:
    """One pair with its two records side by side: ``fields`` holds (field, roster value, identity
    value) for every linkage field either dataset has. This value holds names, birth dates and
    e-mails: it is for the review page only (never logged, never in an error or the audit log)."""

    pair: BandPair
    run_id: str
    threshold: float
    fields: tuple[tuple[str, str | None, str | None], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"pair": self.pair.to_dict(), "run_id": self.run_id, "threshold": self.threshold,
                "fields": [{"field": f, "roster": r, "identity": i} for f, r, i in self.fields]}


def _programs_of_rows(service: LinkageService, run: StoredRun) -> dict[str, str]:
    roster = service.workspace.snapshots.get(ROSTER, run.record.inputs[ROSTER])
    con = duckdb.connect()
    try:
        return {str(r): str(g) for r, g in con.execute(
            "SELECT participant_id, program_id FROM read_parquet(?)",
            [str(service.workspace.snapshots.path(roster))]).fetchall()}
    finally:
        con.close()


def review_band(service: LinkageService, programs: Iterable[str] | None = None) -> ReviewBand:
    """The uncertain band of the run in force (see :class:`ReviewBand`); ``programs`` limits it
    to those programs' roster rows (a coordinator's). :class:`LinkageInputError` without a run."""
    run = service._require_run()
    only = None if programs is None else tuple(sorted(set(programs)))
    t, band = run.record.threshold, run.record.review_band
    decided = service.decisions()
    program_of = _programs_of_rows(service, run)
    pairs = []
    for x in service.links(run):
        if x.proposed_person_id is None or x.match_weight is None:
            continue
        if not in_review_band(x.model_tier, x.match_weight, t, band):
            continue
        program = program_of.get(x.roster_id, "")
        if only is not None and program not in only:
            continue
        d = decided.get((x.roster_id, x.proposed_person_id))
        pairs.append(BandPair(x.roster_id, x.proposed_person_id, program, x.match_weight, x.match_probability or 0.0,
                              x.model_tier, d.decision if d else None, d.by if d else None, d.at if d else None))
    pairs.sort(key=lambda p: (p.decided, abs(p.match_weight - t), p.roster_id))
    return ReviewBand(service.link_name, run.run_id, t, band, tuple(pairs), only)


def _band_pair(service: LinkageService, roster_id: str, person_id: str,
               programs: Iterable[str] | None) -> tuple[ReviewBand, BandPair]:
    band = review_band(service, programs)
    for p in band.pairs:
        if (p.roster_id, p.person_id) == (roster_id, person_id):
            return band, p
    raise PairNotInQueue("this pair is not in the review queue of the run in force"
                         + ("" if programs is None else " for your programs"))


def review_pair(service: LinkageService, roster_id: str, person_id: str,
                programs: Iterable[str] | None = None) -> ReviewPair:
    """The pair with its two records side by side, read from the snapshots the run in force is
    pinned to (see :class:`ReviewPair`). :class:`PairNotInQueue` when the pair is not in the band
    (of ``programs``, when given)."""
    band, pair = _band_pair(service, roster_id, person_id, programs)
    run = service._require_run()
    snapshots = service.workspace.snapshots
    roster = snapshots.path(snapshots.get(ROSTER, run.record.inputs[ROSTER]))
    identities = snapshots.path(snapshots.get(service.identities, run.record.inputs[service.identities]))
    con = duckdb.connect()
    try:
        def one(path: Path, key: str, value: str) -> dict[str, str | None]:
            names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
            fields = [f for f in LINKAGE_FIELDS if f in names]
            if not fields:
                return {}
            casts = ", ".join(f'CAST("{f}" AS VARCHAR)' for f in fields)
            rows = con.execute(f'SELECT {casts} FROM read_parquet(?) WHERE "{key}" = ? LIMIT 1',
                               [str(path), value]).fetchall()
            values = rows[0] if rows else (None,) * len(fields)
            return dict(zip(fields, values, strict=True))

        left = one(roster, "participant_id", roster_id)
        right = one(identities, "person_id", person_id)
    finally:
        con.close()
    shown = tuple((f, left.get(f), right.get(f)) for f in LINKAGE_FIELDS if f in left or f in right)
    return ReviewPair(pair, band.run_id, band.threshold, shown)


def decide(service: LinkageService, roster_id: str, person_id: str, decision: str,
           programs: Iterable[str] | None = None) -> ClericalDecision:
    """Record a decision on a pair of the band (of ``programs``, when given) by the workspace's
    user, now, in the decisions store the CSV import writes to (kept across reruns).
    :class:`PairNotInQueue` for another pair; :class:`LinkageInputError` for an unknown decision."""
    if parse_decision(decision) is None:
        raise LinkageInputError("a decision is 'match', 'not a match' or 'unsure'")
    _band_pair(service, roster_id, person_id, programs)
    return service.record_decision(roster_id, person_id, decision)
