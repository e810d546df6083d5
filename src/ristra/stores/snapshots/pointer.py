"""Reading the parts of a dataset that readers rely on: the ``CURRENT`` pointer and snapshot
manifests; and the atomic swap of ``CURRENT`` (under the dataset's import lock)."""

from __future__ import annotations

import json

from ristra.core.manifest import SnapshotManifest, is_snapshot_id
from ristra.stores.atomic import write_atomically

from .durable import pause
from .errors import CorruptSnapshot
from .layout import Layout, manifest_file


def manifest_bytes(manifest: SnapshotManifest) -> bytes:
    return (json.dumps(manifest.to_dict(), indent=2, sort_keys=True) + "\n").encode("utf-8")


def read_current_id(layout: Layout, dataset: str) -> str | None:
    """The id CURRENT names, or ``None`` when the dataset has never been published."""
    try:
        text = layout.current_file(dataset).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not is_snapshot_id(text):
        raise CorruptSnapshot(f"{layout.current_file(dataset)} does not hold a snapshot id")
    return text


def load_manifest(layout: Layout, dataset: str, snapshot_id: str) -> SnapshotManifest:
    """Read and check ``<dataset>/<snapshot_id>/manifest.json``; :class:`CorruptSnapshot` if it is
    missing, unreadable or describes another snapshot."""
    path = manifest_file(layout.snapshot_dir(dataset, snapshot_id))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CorruptSnapshot(f"snapshot {snapshot_id} of {dataset} is published but {path} is missing") from None
    try:
        manifest = SnapshotManifest.from_dict(json.loads(data))
    except ValueError as exc:
        raise CorruptSnapshot(f"{path} is unreadable: {exc}") from None
    if (manifest.dataset, manifest.snapshot_id) != (dataset, snapshot_id):
        raise CorruptSnapshot(f"{path} describes {manifest.dataset}/{manifest.snapshot_id}, "
                              f"not {dataset}/{snapshot_id}")
    return manifest


def swap_current(layout: Layout, dataset: str, snapshot_id: str) -> None:
    """Point CURRENT at ``snapshot_id`` atomically (protocol step 4). Hold the import lock. The
    crash-test pause points are ``current-tmp-written`` and ``current-swapped``."""
    write_atomically(layout.current_file(dataset), (snapshot_id + "\n").encode("ascii"), mode=0o644,
                     checkpoint=lambda step: pause(f"current-{step}"))
