"""The link-run store: each linkage run an immutable derived snapshot, and the clerical decisions
kept beside the runs, under ``<data_dir>/linkage/``.

Layout::

    linkage/runs/<link>/CURRENT            the run in force (an id), swapped atomically
    linkage/runs/<link>/history.jsonl      every run published, oldest first
    linkage/runs/<link>/<run id>/          one run: manifest.json (sha256 of every file) and
        links.parquet                      roster_id, person_id, match_weight, match_probability, tier
        model.json                         Splink's model (parameters only)
        run.json                           a :class:`RunRecord`: input snapshot ids, threshold, calibration
    linkage/decisions/<link>.jsonl         clerical decisions, append-only (one JSON object a line)

Contract
--------
* A run is published through the snapshot store's protocol (:mod:`ristra.stores.snapshots.writer`): its
  files are written into a hidden temporary directory, fsynced, checksummed, renamed into place and
  made current with one atomic replace of ``CURRENT``. A failed or killed run leaves the previous
  run in force and no partial links visible; :meth:`LinkRunStore.recover` removes the leftovers.
* A run holds ids, weights, probabilities and tiers only — never a name, a birth date or an
  e-mail (:data:`LINK_COLUMNS`; :meth:`LinkRunStore.publish` refuses any other column).
* A run is pinned to the snapshot ids of its inputs (``RunRecord.inputs``); a run whose pins differ
  from the inputs' current snapshots is *stale*.
* Decisions are never part of a run: they are appended (one write and an fsync per batch, under an
  flock) to the link's decision log, survive every rerun, and the latest one on a pair is in force
  (:func:`ristra.core.linkage_decisions.decisions_in_force`). A line cut short by a kill is ignored.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ristra.core.linkage_decisions import ClericalDecision
from ristra.core.manifest import SnapshotManifest, check_dataset_name
from ristra.stores.snapshots import SnapshotStore

LINKS_FILE = "links.parquet"
MODEL_FILE = "model.json"
RUN_FILE = "run.json"
#: The only columns a stored run's links may have.
LINK_COLUMNS = ("roster_id", "person_id", "match_weight", "match_probability", "tier")
RUN_SCHEMA_VERSION = 1


class LinkRunError(RuntimeError):
    """A stored run or decision log cannot be used; the message names files, never field values."""


@dataclass(frozen=True)
class RunRecord:
    """What ``run.json`` holds about one run.

    ``inputs`` maps each input dataset to the snapshot id the run read; ``threshold_source`` is
    ``calibrated`` (F1-maximising on ``calibration``'s labelled rows, from ``label_source``),
    ``given`` or ``default`` (weight 0, probability one half, uncalibrated)."""

    link: str
    inputs: dict[str, str]
    threshold: float
    threshold_source: str
    calibration: dict[str, Any] | None
    label_source: str | None
    review_band: float
    counts: dict[str, int]
    seconds: dict[str, float]
    options: dict[str, Any]
    created_by: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class StoredRun:
    """A published run: its id, record, manifest and where its links are."""

    run_id: str
    record: RunRecord
    manifest: SnapshotManifest
    links_path: Path
    model_path: Path

    def model(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.model_path.read_text(encoding="utf-8"))
        return data

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **self.record.to_dict(), "rows": self.manifest.row_count}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LinkRunStore:
    """Link runs and decisions under ``data_dir / "linkage"`` (see the module docstring)."""

    def __init__(self, data_dir: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(data_dir) / "linkage"
        self.runs = SnapshotStore(self.root / "runs", clock=clock or _utc_now)

    def __repr__(self) -> str:
        return f"LinkRunStore({str(self.root)!r})"

    def recover(self) -> list[str]:
        """Remove what killed runs left behind (the previous run stays in force)."""
        return self.runs.recover() if self.runs.root.is_dir() else []

    # ------------------------------------------------------------------ runs

    def publish(self, link: str, record: RunRecord, model: Mapping[str, Any],
                write_links: Callable[[Path], list[str]], *, by: str) -> StoredRun:
        """Publish one run of ``link``: ``write_links(path)`` writes the links as Parquet at
        ``path`` and returns its column names (which must be :data:`LINK_COLUMNS`); the model and
        the record are written beside it. Nothing is visible until the atomic swap."""
        check_dataset_name(link)
        with self.runs.writer(link, imported_by=by, schema_version=RUN_SCHEMA_VERSION,
                              source_format="link run") as writer:
            columns = write_links(writer.path(LINKS_FILE))
            if tuple(columns) != LINK_COLUMNS:
                raise LinkRunError(f"a link run holds the columns {', '.join(LINK_COLUMNS)} only")
            writer.path(MODEL_FILE).write_text(json.dumps(model, indent=1, sort_keys=True), encoding="utf-8")
            writer.path(RUN_FILE).write_text(json.dumps(record.to_dict(), indent=1, sort_keys=True),
                                             encoding="utf-8")
            writer.note = f"link run of {link}: " + ", ".join(f"{k} {v}" for k, v in sorted(record.inputs.items()))
        assert writer.manifest is not None
        return self._stored(writer.manifest)

    def current(self, link: str) -> StoredRun | None:
        """The run in force, or ``None`` before the first run."""
        check_dataset_name(link)
        if not self.runs.layout.dataset_dir(link).is_dir():
            return None
        manifest = self.runs.current(link)
        return None if manifest is None else self._stored(manifest)

    def history(self, link: str) -> list[StoredRun]:
        """Every published run of ``link``, oldest first."""
        check_dataset_name(link)
        if not self.runs.layout.dataset_dir(link).is_dir():
            return []
        return [self._stored(entry.manifest) for entry in self.runs.history(link)]

    def _stored(self, manifest: SnapshotManifest) -> StoredRun:
        directory = self.runs.layout.snapshot_dir(manifest.dataset, manifest.snapshot_id)
        try:
            record = RunRecord.from_dict(json.loads((directory / RUN_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise LinkRunError(f"the record of link run {manifest.snapshot_id} cannot be read ({type(err).__name__})") \
                from None
        return StoredRun(manifest.snapshot_id, record, manifest, directory / LINKS_FILE, directory / MODEL_FILE)

    # ------------------------------------------------------------------ decisions

    def decisions_file(self, link: str) -> Path:
        check_dataset_name(link)
        return self.root / "decisions" / f"{link}.jsonl"

    def record_decisions(self, link: str, decisions: Iterable[ClericalDecision]) -> int:
        """Append ``decisions`` to the link's log in one write (fsynced, under an flock); returns
        how many were written."""
        lines = "".join(json.dumps(d.to_dict(), sort_keys=True) + "\n" for d in decisions)
        if not lines:
            return 0
        path = self.decisions_file(link)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size:  # a line a kill cut short: end it, so the next line is whole
                with open(path, "rb") as handle:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        os.write(fd, b"\n")
            data = lines.encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return lines.count("\n")

    def decisions(self, link: str) -> list[ClericalDecision]:
        """Every decision logged for ``link``, oldest first (lines that are not whole are skipped)."""
        path = self.decisions_file(link)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                out.append(ClericalDecision.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue  # cut short by a kill (only ever the last line of an append)
        return out
