"""The record of every publication served to an audience, and what the next one must keep
(cells hidden before stay hidden; small cells stay protected; docs/disclosure.md §10)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ristra.core.disclosure import (
    Carried,
    CellRef,
    Policy,
    SuppressionSummary,
)
from ristra.reports.sections import SectionTable
from ristra.services.publication.values import AuditLog, Publication, cell_id
from ristra.services.workspace import Workspace
from ristra.stores.atomic import write_atomically


class History:
    """The record of every publication made to one audience (``publications/<audience>-k<k>/``):
    one JSON file per publication, written atomically when it is put in force."""

    def __init__(self, workspace: Workspace, policy: Policy) -> None:
        self.directory = workspace.root / "publications" / f"{policy.audience}-k{policy.threshold}"

    def records(self) -> list[dict[str, Any]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out

    def latest(self) -> dict[str, Any] | None:
        found = [r for r in self.records() if r.get("state") == "served"]
        return found[-1] if found else None

    def write(self, record: Mapping[str, Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = str(record["built_at"]).replace(":", "").replace("-", "")
        path = self.directory / f"{stamp}-{str(record.get('fingerprint', 'failed'))[:12]}.json"
        write_atomically(path, json.dumps(record, indent=1, sort_keys=True).encode())
        return path


def carried(history: History, plans: Sequence[SectionTable], policy: Policy) -> Carried:
    """Cells the audience saw suppressed before stay suppressed; cells that were sensitive stay
    protected while their count is below twice the threshold (a small correction cannot then
    show them; see docs/disclosure.md §10)."""
    last = history.latest()
    if last is None:
        return Carried()
    hidden, sensitive = set(last.get("suppressed", ())), set(last.get("sensitive", ()))
    suppressed: set[CellRef] = set()
    small: set[CellRef] = set()
    for plan in plans:
        t = plan.table
        for r, labels in enumerate(t.row_labels):
            for c, column in enumerate(t.col_labels):
                name = cell_id(t.key, labels, column)
                if name in hidden:
                    suppressed.add(CellRef(t.key, r, c))
                if name in sensitive and 0 < t.counts[r][c] < 2 * policy.threshold:
                    small.add(CellRef(t.key, r, c))
    return Carried(frozenset(suppressed), frozenset(small))


_RECORDS: dict[str, dict[str, Any]] = {}


def announce(audit_log: AuditLog | None, publication: Publication) -> None:
    """Tell the audit log what was published (no suppressed value)."""
    if audit_log is not None:
        audit_log({"event": "publication", "audience": publication.audience, "threshold": publication.threshold,
                   "snapshots": dict(publication.snapshots), "category_version": publication.category_version,
                   "fingerprint": publication.fingerprint, "information_loss": publication.loss.to_dict(),
                   "suppression": publication.summary.audit_record()})


def record_again(history: History, publication: Publication) -> None:
    """Record in another data directory's history a publication made from the same inputs."""
    record = _RECORDS.get(publication.fingerprint)
    if record is not None:
        history.write(record)


def record_served(history: History, publication: Publication, plans: Sequence[SectionTable],
            summary: SuppressionSummary) -> None:
    suppressed, sensitive = [], []
    policy = publication.policy
    for plan in plans:
        t = plan.table
        released = publication.tables[t.key]
        for r, labels in enumerate(t.row_labels):
            for c, column in enumerate(t.col_labels):
                if released.cells[r][c] is None:
                    suppressed.append(cell_id(t.key, labels, column))
                    if policy.is_sensitive(t.counts[r][c]):
                        sensitive.append(cell_id(t.key, labels, column))
    record = {"state": "served", "audience": publication.audience, "threshold": publication.threshold,
              "snapshots": dict(publication.snapshots), "category_version": publication.category_version,
              "fingerprint": publication.fingerprint, "built_at": publication.built_at,
              "seconds": round(publication.seconds, 3), "tables": sorted(publication.tables),
              "information_loss": publication.loss.to_dict(), "relations": dict(publication.relations),
              "suppressed": sorted(suppressed), "sensitive": sorted(sensitive),
              "passed": summary.passed}
    _RECORDS[publication.fingerprint] = record
    history.write(record)
