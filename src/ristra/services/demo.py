"""The demo: the synthetic New Mexico school (:mod:`ristra.synth`) written out and imported into
a workspace through the import service, as a school's own extracts would be.

Contract:

* :func:`write_synthetic_school` writes one CSV per dataset and returns ``{dataset: path}``;
  nothing is imported.
* :func:`import_demo` writes the school under ``<data dir>/synthetic-source/`` and imports every
  dataset in :data:`IMPORT_ORDER` with :func:`ristra.services.imports.import_file`, declaring
  the extract starts the synthetic extracts have (:func:`ristra.synth.extract_starts`). It stops at
  the first dataset that does not validate; the :class:`DemoSummary` then names it and holds its
  report, and the datasets before it stay imported. Only synthetic people: no real record is read.
* With ``link=True`` (the default) the school's restricted identity datasets
  (:data:`IDENTITY_ORDER`) are written and imported too, and the pipeline programs' rosters are
  linked to each of them by the linkage service (:class:`~ristra.services.linkage.LinkageService`,
  its default threshold, as ``ristra link run`` without labels), so the program outcomes, the
  program pages and the plan's pipeline-yield measure have data. :attr:`DemoSummary.links` holds
  each run's id and counts (never a name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ristra.core.validation_issues import ValidationReport
from ristra.services import imports
from ristra.services.workspace import Workspace

#: the order the demo imports the datasets in (programs before their rosters)
IMPORT_ORDER = ("programs", "participants", "applications", "students", "trainees", "employees", "employee_events")
#: the restricted identity datasets, imported after the datasets they identify, for the linkage
IDENTITY_ORDER = ("admissions_identities", "gme_identities", "hr_identities")
#: ``progress(step, done, total)``, called as the work advances
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoDataset:
    """One dataset the demo imported: its snapshot and the rows in it."""

    dataset: str
    rows: int
    snapshot_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "rows": self.rows, "snapshot_id": self.snapshot_id}


@dataclass(frozen=True)
class DemoLink:
    """One link run of the rosters the demo made: the identity dataset linked to, the run in
    force and its counts (pairs, links by tier; ids and counts only)."""

    identities: str
    run_id: str
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"identities": self.identities, "run_id": self.run_id, "counts": dict(self.counts)}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`import_demo` did: the datasets imported, in order, and — when one did not
    validate — its name and report (then ``imported`` is false)."""

    root: Path
    datasets: tuple[DemoDataset, ...]
    rejected: str | None = None
    report: ValidationReport | None = None
    links: tuple[DemoLink, ...] = ()

    @property
    def imported(self) -> bool:
        return self.rejected is None

    def rows(self) -> dict[str, int]:
        """The rows imported, by dataset."""
        return {d.dataset: d.rows for d in self.datasets}

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "imported": self.imported, "rejected": self.rejected,
                "datasets": [d.to_dict() for d in self.datasets], "links": [link.to_dict() for link in self.links]}


def write_synthetic_school(out: Path, *, seed: int, applications_per_cycle: int, cycles: int = 10,
                           progress: Progress | None = None) -> dict[str, Path]:
    """Write the synthetic school into ``out`` (one CSV per dataset); returns ``{dataset: path}``."""
    from ristra.synth import generate

    return generate(out, seed=seed, applications_per_cycle=applications_per_cycle, cycles=cycles,
                    progress=progress)


def import_demo(workspace: Workspace, *, seed: int, applications_per_cycle: int, link: bool = True,
                progress: Progress | None = None, wait_seconds: float = 30) -> DemoSummary:
    """Generate the synthetic school and import it into ``workspace`` (module docstring).
    ``progress`` sees ``generating: <step>`` while the school is written, then ``importing``
    with the number of datasets imported so far, then ``linking``."""
    from ristra.services.linkage import LinkageService
    from ristra.synth import extract_starts, generate

    def generating(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(f"generating: {step}", done, total)

    source_dir = workspace.root / "synthetic-source"
    starts = extract_starts()  # the synthetic extracts declare where they start, as a real import should
    paths = generate(source_dir, seed=seed, applications_per_cycle=applications_per_cycle, identities=link,
                     progress=generating)
    order = (*IMPORT_ORDER, *IDENTITY_ORDER) if link else IMPORT_ORDER
    done: list[DemoDataset] = []
    if progress is not None:
        progress("importing", 0, len(order))
    for count, name in enumerate(order, start=1):
        result = imports.import_file(workspace, name, paths[name], wait_seconds=wait_seconds,
                                     extract_start=starts.get(name))
        if result.manifest is None:
            return DemoSummary(workspace.root, tuple(done), rejected=name, report=result.report)
        done.append(DemoDataset(name, result.manifest.row_count, result.manifest.snapshot_id))
        if progress is not None:
            progress("importing", count, len(order))
    links: list[DemoLink] = []
    if link:
        for count, identities in enumerate(IDENTITY_ORDER):
            if progress is not None:
                progress("linking", count, len(IDENTITY_ORDER))
            run = LinkageService(workspace, identities).run().run
            links.append(DemoLink(identities, run.run_id, dict(run.record.counts)))
        if progress is not None:
            progress("linking", len(IDENTITY_ORDER), len(IDENTITY_ORDER))
    return DemoSummary(workspace.root, tuple(done), links=tuple(links))
