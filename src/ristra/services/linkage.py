"""Linkage use cases: run a link, its status, the links in force, the review queue and decisions.

Contract
--------
* A *link* ties the ``participants`` roster to one restricted identity dataset
  (:data:`LINK_TARGETS`; by default ``admissions_identities``). :meth:`LinkageService.run` reads
  the current snapshot of each (names, birth dates and e-mails are read here and nowhere else),
  runs :func:`ristra.linkage.link` in the linkage connection (DuckDB ``memory_limit`` from the
  settings, spilling to the workspace's scratch directory), and publishes the result as an
  immutable link run (:mod:`ristra.stores.link_runs`) pinned to both snapshot ids.
* A run is repeated only when an input's current snapshot differs from the pins of the run in
  force, or when asked (``force``, new labels or a given threshold); otherwise ``run`` returns the
  run in force with ``rerun = False``.
* The threshold is calibrated on labels — a labels file (``participant_id,person_id``; an empty
  person means nobody) and the clerical decisions in force
  (:func:`ristra.core.linkage_decisions.labels_from_decisions`; the file wins on a row both
  label) — or given. With fewer than :data:`MIN_CALIBRATION_ROWS` labelled rows it is not
  calibrated: a rerun keeps the threshold of the run in force (``kept from run <id>``), a first run
  uses the uncalibrated default (weight 0), and the run says which.
* Clerical decisions are stored apart from runs and kept across reruns; the links in force
  (:meth:`LinkageService.links`) apply them over the run's links
  (:func:`ristra.core.linkage_decisions.links_in_force`).
* The review queue is the uncertain band around the threshold
  (:func:`ristra.core.linkage_decisions.in_review_band`) without the pairs already decided
  (``unsure`` ones stay). Its CSV export and the import of decisions are in
  :mod:`ristra.services.linkage_review`.
* Errors (:class:`LinkageInputError`) name datasets, columns, rows and kinds, never a value of a
  linkage field; nothing here logs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ristra.core.linkage import LINKAGE_FIELDS, LinkageInputError
from ristra.core.linkage_decisions import (
    FINAL_TIERS,
    UNSURE,
    ClericalDecision,
    LinkInForce,
    decisions_in_force,
    in_review_band,
    labels_from_decisions,
    links_in_force,
    parse_decision,
)
from ristra.core.manifest import SnapshotManifest
from ristra.linkage import ModelOptions, link
from ristra.linkage.connection import linkage_connection
from ristra.services.workspace import Workspace
from ristra.stores.link_runs import LINK_COLUMNS, RunRecord, StoredRun

ROSTER = "participants"
#: Identity dataset → the link's name in the store.
LINK_TARGETS: dict[str, str] = {
    "admissions_identities": "participants_admissions",
    "gme_identities": "participants_gme",
    "hr_identities": "participants_hr",
}
DEFAULT_TARGET = "admissions_identities"
DEFAULT_REVIEW_BAND = 4.0
#: Fewer labelled rows than this do not calibrate a threshold (one chosen on a handful of rows is noise).
MIN_CALIBRATION_ROWS = 30


@dataclass(frozen=True)
class RunOutcome:
    """What :meth:`LinkageService.run` did: the run in force and whether it is new."""

    run: StoredRun
    rerun: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"rerun": self.rerun, "reason": self.reason, "run": self.run.to_dict()}


@dataclass(frozen=True)
class LinkStatus:
    """The run in force (or none), whether its inputs changed since, and the decisions and queue."""

    link: str
    identities: str
    run: StoredRun | None
    current_inputs: dict[str, str | None]
    stale: bool
    decisions: int
    queue: int
    tiers: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"link": self.link, "identities": self.identities,
                "run": self.run.to_dict() if self.run else None, "current_inputs": dict(self.current_inputs),
                "stale": self.stale, "decisions": self.decisions, "queue": self.queue, "tiers": dict(self.tiers)}


@dataclass(frozen=True)
class QueuedPair:
    """One pair of the review queue (ids and scores only)."""

    roster_id: str
    person_id: str
    match_weight: float
    match_probability: float
    tier: str
    decision: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReviewQueue:
    """The uncertain band of the run in force: ``threshold`` ± ``band`` bits, undecided or unsure pairs."""

    run_id: str
    threshold: float
    band: float
    pairs: tuple[QueuedPair, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "threshold": self.threshold, "band": self.band,
                "pairs": [p.to_dict() for p in self.pairs]}


class LinkageService:
    """See the module docstring. ``identities`` chooses the link (:data:`LINK_TARGETS`)."""

    def __init__(self, workspace: Workspace, identities: str = DEFAULT_TARGET) -> None:
        if identities not in LINK_TARGETS:
            raise LinkageInputError(f"no link to {identities!r}; choose one of: {', '.join(LINK_TARGETS)}")
        self.workspace = workspace
        self.identities = identities
        self.link_name = LINK_TARGETS[identities]
        self.store = workspace.link_runs
        self.recovered = self.store.recover()

    # ------------------------------------------------------------------ inputs

    def _input(self, dataset: str) -> SnapshotManifest:
        manifest = self.workspace.snapshots.current(dataset)
        if manifest is None:
            raise LinkageInputError(f"no snapshot of {dataset} has been imported yet; import one with "
                                    f"`ristra import {dataset} FILE` before linking")
        return manifest

    def current_inputs(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in (ROSTER, self.identities):
            manifest = self.workspace.snapshots.current(name)
            out[name] = manifest.snapshot_id if manifest else None
        return out

    def _view(self, con: duckdb.DuckDBPyConnection, view: str, manifest: SnapshotManifest, id_column: str) -> None:
        """``view`` over the snapshot, with only its linkage fields that hold a value (an all-empty
        column is no linkage field), so that a roster without any is refused by name."""
        path = str(self.workspace.snapshots.path(manifest))
        columns = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()]
        fields = [c for c in columns if c in LINKAGE_FIELDS]
        filled = set()
        if fields:
            counts = con.execute("SELECT " + ", ".join(f'count("{c}")' for c in fields) +
                                 " FROM read_parquet(?)", [path]).fetchall()[0]
            filled = {c for c, n in zip(fields, counts, strict=True) if n}
        keep = [c for c in columns if c not in LINKAGE_FIELDS or c in filled]
        if id_column not in keep:
            raise LinkageInputError(f"{manifest.dataset} has no column {id_column!r}")
        listed = ", ".join(f'"{c}"' for c in keep)
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {listed} FROM read_parquet('{_literal(path)}')")

    # ------------------------------------------------------------------ runs

    def current(self) -> StoredRun | None:
        return self.store.current(self.link_name)

    def run(self, *, labels: Mapping[str, str | None] | None = None, label_source: str | None = None,
            threshold: float | None = None, review_band: float = DEFAULT_REVIEW_BAND, force: bool = False,
            options: ModelOptions | None = None) -> RunOutcome:
        """Run the link if an input changed (or when asked) and publish the run; see the module docstring."""
        roster = self._input(ROSTER)
        identities = self._input(self.identities)
        pins = {ROSTER: roster.snapshot_id, self.identities: identities.snapshot_id}
        current = self.current()
        if current is not None and not force and labels is None and threshold is None:
            if current.record.inputs == pins:
                return RunOutcome(current, False, "the inputs have not changed since the run in force")
        reason = ("first run" if current is None else "asked" if force or labels is not None or threshold is not None
                  else "an input snapshot changed")
        decided = decisions_in_force(self.store.decisions(self.link_name))
        all_labels: dict[str, str | None] = labels_from_decisions(decided)
        sources = ["clerical decisions"] if all_labels else []
        if labels:
            all_labels.update(labels)
            sources.append(label_source or "labels given")
        inherited = None
        if threshold is None and len(all_labels) < MIN_CALIBRATION_ROWS:
            all_labels, sources = {}, []  # too few to calibrate on: keep the run in force's threshold
            if current is not None:
                threshold, inherited = current.record.threshold, current.run_id
        options = options or ModelOptions()
        settings = self.workspace.settings
        with self.workspace.scratch() as scratch:
            con = linkage_connection(settings.memory_limit, scratch / "spill")
            try:
                self._view(con, "linkage_roster", roster, "participant_id")
                self._view(con, "linkage_identities", identities, "person_id")
                done = link(con, "linkage_roster", "linkage_identities", person_key="roster_id",
                            group_key="program_id", labels=all_labels or None, threshold=threshold,
                            review_band=review_band, options=options, result="linkage_result")

                def write_links(path: Path) -> list[str]:
                    con.execute(f"COPY (SELECT {', '.join(LINK_COLUMNS)} FROM linkage_result ORDER BY roster_id) "
                                f"TO '{_literal(str(path))}' (FORMAT parquet)")
                    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_literal(str(path))}')")
                            .fetchall()]

                source = ("calibrated" if done.calibrated else f"kept from run {inherited}" if inherited
                          else "given" if threshold is not None else "default")
                record = RunRecord(
                    link=self.link_name, inputs=pins, threshold=done.threshold, threshold_source=source,
                    calibration={"method": "the match weight maximising F1 on the labelled rows "
                                           "(ristra.core.linkage.calibrate_threshold)", **done.calibration.to_dict()}
                    if done.calibration else None,
                    label_source=" and ".join(sources) if done.calibrated else None,
                    review_band=review_band, counts=done.counts, seconds=done.seconds, options=asdict(options),
                    created_by=settings.user, created_at=settings.clock().isoformat(timespec="seconds"))
                stored = self.store.publish(self.link_name, record, done.model, write_links, by=settings.user)
            finally:
                con.close()
        return RunOutcome(stored, True, reason)

    def _require_run(self) -> StoredRun:
        current = self.current()
        if current is None:
            raise LinkageInputError(f"{self.link_name} has not been run yet; run it with `ristra link run`")
        return current

    # ------------------------------------------------------------------ links in force and the queue

    def decisions(self) -> dict[tuple[str, str], ClericalDecision]:
        """The decision in force on each pair."""
        return decisions_in_force(self.store.decisions(self.link_name))

    def links(self, run: StoredRun | None = None) -> tuple[LinkInForce, ...]:
        """Every roster row of the run in force, with the decisions in force applied."""
        run = run or self._require_run()
        roster = self.workspace.snapshots.get(ROSTER, run.record.inputs[ROSTER])
        con = duckdb.connect()
        try:
            rows = con.execute("SELECT roster_id, person_id, match_weight, match_probability, tier "
                               "FROM read_parquet(?) ORDER BY roster_id", [str(run.links_path)]).fetchall()
            keys = {str(r): (str(g), str(p)) for r, g, p in con.execute(
                "SELECT participant_id, program_id, roster_id FROM read_parquet(?)",
                [str(self.workspace.snapshots.path(roster))]).fetchall()}
        finally:
            con.close()
        return links_in_force(rows, self.decisions(), keys)

    def review_queue(self) -> ReviewQueue:
        """The pairs to review (see the module docstring), by weight nearest the threshold first."""
        run = self._require_run()
        t, band = run.record.threshold, run.record.review_band
        pairs = [QueuedPair(x.roster_id, x.proposed_person_id, x.match_weight, x.match_probability or 0.0,
                            x.model_tier, x.decision)
                 for x in self.links(run)
                 if x.proposed_person_id is not None and x.match_weight is not None
                 and in_review_band(x.model_tier, x.match_weight, t, band) and x.decision in (None, UNSURE)]
        pairs.sort(key=lambda p: (abs(p.match_weight - t), p.roster_id))
        return ReviewQueue(run.run_id, t, band, tuple(pairs))

    def record_decisions(self, decided: list[tuple[str, str, str]]) -> tuple[ClericalDecision, ...]:
        """Record ``(roster_id, person_id, decision)`` triples by the workspace's user, now. Each
        pair must be one the run in force proposed; :class:`LinkageInputError` otherwise (nothing
        recorded)."""
        run = self._require_run()
        proposed = {(x.roster_id, x.proposed_person_id) for x in self.links(run) if x.proposed_person_id}
        settings = self.workspace.settings
        at = settings.clock().isoformat(timespec="microseconds")
        out = []
        for i, (roster_id, person_id, text) in enumerate(decided, start=1):
            decision = parse_decision(text)
            if decision is None:
                raise LinkageInputError(f"decision {i}: a decision is 'match', 'not a match' or 'unsure'")
            if (roster_id, person_id) not in proposed:
                raise LinkageInputError(f"decision {i}: the run in force proposed no such pair")
            out.append(ClericalDecision(roster_id, person_id, decision, settings.user, at))
        self.store.record_decisions(self.link_name, out)
        return tuple(out)

    def record_decision(self, roster_id: str, person_id: str, decision: str) -> ClericalDecision:
        """Record one decision (see :meth:`record_decisions`)."""
        return self.record_decisions([(roster_id, person_id, decision)])[0]

    def status(self) -> LinkStatus:
        run = self.current()
        inputs = self.current_inputs()
        if run is None:
            return LinkStatus(self.link_name, self.identities, None, inputs, False, 0, 0)
        links = self.links(run)
        tiers = dict.fromkeys(FINAL_TIERS, 0)
        for x in links:
            tiers[x.tier] += 1
        return LinkStatus(self.link_name, self.identities, run, inputs, run.record.inputs != inputs,
                          len(self.decisions()), len(self.review_queue().pairs), tiers)


def linkage_stamp(workspace: Workspace, identities: str = DEFAULT_TARGET) -> tuple[tuple[int, int, int], ...]:
    """What changes when the links in force of ``identities``' link change — its run pointer and
    its decisions log (mtime, inode, size of each; zeros when absent). Read from two ``stat`` calls
    and nothing else, so a page can ask it on every request (the publication is keyed on it)."""
    store = workspace.link_runs
    link = LINK_TARGETS[identities]
    out = []
    for path in (store.runs.layout.current_file(link), store.decisions_file(link)):
        try:
            info = path.stat()
        except FileNotFoundError:
            out.append((0, 0, 0))
        else:
            out.append((info.st_mtime_ns, info.st_ino, info.st_size))
    return tuple(out)


def _literal(text: str) -> str:
    return text.replace("'", "''")

