"""The snapshot store: publish, history, rollback, checksums, failures, locking, concurrent readers,
and the manifest value's strict dict round-trip. Crash (kill -9) tests are in test_snapshots_crash.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ristra.core.manifest import FileEntry, HistoryEvent, SnapshotManifest, format_instant, format_snapshot_id
from ristra.stores.snapshots import (
    CorruptSnapshot,
    ImportInProgress,
    SnapshotError,
    SnapshotNotFound,
    SnapshotStore,
)

SRC = Path(__file__).resolve().parents[2] / "src"
DS = "applications"


def publish(store: SnapshotStore, values: list[int], dataset: str = DS, **kw: object) -> SnapshotManifest:
    with store.writer(dataset, imported_by=str(kw.pop("by", "analyst")), schema_version=1, **kw) as w:  # type: ignore[arg-type]
        pq.write_table(pa.table({"value": values}), w.path())
        w.row_count = len(values)
    assert w.manifest is not None
    return w.manifest


def listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


# -- publish, current, history ---------------------------------------------------------------------


def test_an_empty_store_has_nothing(store: SnapshotStore) -> None:
    assert store.datasets() == []
    assert store.current(DS) is None
    assert store.history(DS) == []
    assert store.recover() == []
    assert not store.root.exists()  # constructing and reading create nothing


def test_publish_then_current_and_history(store: SnapshotStore) -> None:
    first = publish(store, [1, 2, 3])
    assert store.current(DS) == first
    assert first.row_count == 3
    assert first.dataset == DS
    assert first.imported_by == "analyst"
    second = publish(store, [4, 5], by="registrar")
    assert store.current(DS) == second
    assert store.datasets() == [DS]
    entries = store.history(DS)
    assert [e.manifest for e in entries] == [first, second]
    assert [e.is_current for e in entries] == [False, True]
    assert [(ev.event, ev.by, ev.previous) for ev in entries[1].events] == [
        ("publish", "registrar", first.snapshot_id)]
    assert entries[0].events[0].previous is None
    assert pq.read_table(store.path(second)).column("value").to_pylist() == [4, 5]
    assert store.get(DS, first.snapshot_id) == first
    json.dumps([e.to_dict() for e in entries])  # history renders as JSON


def test_manifest_records_checksums_and_provenance(store: SnapshotStore, tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("value\n1\n2\n")
    with store.writer(DS, imported_by="ir", schema_version=3, source=source, source_format="csv",
                      column_map="banner.yaml") as w:
        pq.write_table(pa.table({"value": [1, 2]}), w.path())
        (w.directory / "issues.json").write_text("[]")
        w.note = "spring refresh"
    m = w.manifest
    assert m is not None
    assert (m.schema_version, m.source_name, m.source_format, m.column_map, m.note) == (
        3, "export.csv", "csv", "banner.yaml", "spring refresh")
    assert m.source_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert m.row_count == 2  # derived from the Parquet file when not set
    assert [f.name for f in m.files] == ["data.parquet", "issues.json"]
    for entry in m.files:
        data = store.path(m, entry.name).read_bytes()
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.bytes == len(data)
    assert m.file("data.parquet").rows == 2
    assert m.file("issues.json").rows is None
    on_disk = json.loads((store.path(m).parent / "manifest.json").read_text())
    assert SnapshotManifest.from_dict(on_disk) == m
    assert m.snapshot_id.startswith(m.imported_at.replace("-", "").replace(":", "")[:22])
    assert store.verify(m) == []


def test_snapshot_ids_sort_by_time_and_are_unique_within_one_instant(tmp_path: Path) -> None:
    frozen = datetime(2026, 11, 26, 17, 30, 15, 123456, tzinfo=UTC)
    same = SnapshotStore(tmp_path / "a", clock=lambda: frozen)
    ids = {publish(same, [i]).snapshot_id for i in range(5)}
    assert len(ids) == 5
    assert all(i.startswith("20261126T173015.123456Z-") for i in ids)

    ticks = iter(frozen + timedelta(microseconds=i) for i in range(100))
    stepping = SnapshotStore(tmp_path / "b", clock=lambda: next(ticks))
    published = [publish(stepping, [i]).snapshot_id for i in range(5)]
    assert published == sorted(published)


def test_clock_must_be_timezone_aware(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "s", clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        publish(store, [1])


def test_invalid_dataset_names_are_refused(store: SnapshotStore) -> None:
    for bad in ("../etc", "Applications", "", "a/b", ".tmp"):
        with pytest.raises(ValueError, match="invalid dataset name"):
            store.current(bad)


# -- rollback ---------------------------------------------------------------------------------------


def test_rollback_moves_current_and_is_logged(store: SnapshotStore) -> None:
    first, second = publish(store, [1]), publish(store, [2])
    assert store.rollback(DS, first.snapshot_id, by="dean") == first
    assert store.current(DS) == first
    entries = store.history(DS)
    assert [e.is_current for e in entries] == [True, False]  # nothing deleted, only the pointer moved
    assert [(ev.event, ev.by, ev.previous) for ev in entries[0].events] == [
        ("publish", "analyst", None), ("rollback", "dean", second.snapshot_id)]
    assert [e.event for e in store.events(DS)] == ["publish", "publish", "rollback"]
    # Rolling "forward" again is allowed; rolling to the current one logs nothing.
    store.rollback(DS, second.snapshot_id, by="dean")
    store.rollback(DS, second.snapshot_id, by="dean")
    assert store.current(DS) == second
    assert len(store.events(DS)) == 4
    assert store.verify(first) == []
    assert store.verify(second) == []


def test_rollback_to_an_unknown_snapshot_is_a_clear_error(store: SnapshotStore) -> None:
    publish(store, [1])
    unknown = format_snapshot_id(datetime(2020, 1, 1, tzinfo=UTC), "abcdef")
    with pytest.raises(SnapshotNotFound, match=f"no published snapshot {unknown}.*ristra snapshots {DS}"):
        store.rollback(DS, unknown, by="dean")
    with pytest.raises(SnapshotNotFound, match="not a snapshot id"):
        store.rollback(DS, "../../etc", by="dean")
    with pytest.raises(SnapshotNotFound):
        store.get("students", unknown)
    assert len(store.events(DS)) == 1


def test_rollback_refuses_a_damaged_snapshot(store: SnapshotStore) -> None:
    first = publish(store, [1])
    publish(store, [2])
    data = store.path(first)
    data.chmod(0o644)
    data.write_bytes(data.read_bytes()[:-1] + b"X")
    with pytest.raises(CorruptSnapshot, match="sha256 mismatch"):
        store.rollback(DS, first.snapshot_id, by="dean")


# -- failures leave no trace -------------------------------------------------------------------------


def test_failure_inside_the_writer_leaves_no_trace(store: SnapshotStore) -> None:
    before = publish(store, [1, 2])
    files_before = listing(store.root)
    with pytest.raises(RuntimeError, match="validation blew up"):
        with store.writer(DS, imported_by="analyst", schema_version=1) as w:
            pq.write_table(pa.table({"value": [9]}), w.path())
            raise RuntimeError("validation blew up")
    assert store.current(DS) == before
    assert listing(store.root) == files_before
    assert [e.manifest for e in store.history(DS)] == [before]
    publish(store, [3])  # the lock was released


def test_a_failed_first_import_creates_no_dataset(store: SnapshotStore) -> None:
    with pytest.raises(KeyboardInterrupt):
        with store.writer("students", imported_by="a", schema_version=1) as w:
            w.path().write_bytes(b"partial")
            raise KeyboardInterrupt
    assert store.datasets() == []
    assert not (store.root / "students").exists()
    assert list((store.root / ".tmp").iterdir()) == []


@pytest.mark.parametrize("bad", ["no files", "sub-directory", "manifest.json", "no row count", "bad parquet",
                                 "hidden file"])
def test_unpublishable_content_is_refused_without_trace(store: SnapshotStore, bad: str) -> None:
    before = publish(store, [1])
    with pytest.raises(SnapshotError):
        with store.writer(DS, imported_by="a", schema_version=1) as w:
            if bad == "sub-directory":
                (w.directory / "part").mkdir()
            elif bad in ("manifest.json", "hidden file"):
                (w.directory / (".x" if bad == "hidden file" else "manifest.json")).write_text("{}")
            elif bad == "no row count":
                (w.directory / "data.csv").write_text("value\n1\n")
            elif bad == "bad parquet":
                (w.directory / "data.parquet").write_bytes(b"not parquet")
    assert store.current(DS) == before
    assert len(store.history(DS)) == 1
    assert list((store.root / ".tmp").iterdir()) == []


# -- verify, path ------------------------------------------------------------------------------------


def test_verify_reports_every_problem(store: SnapshotStore) -> None:
    m = publish(store, [1, 2, 3])
    directory = store.path(m).parent
    assert store.verify(m) == []
    os.chmod(directory / "data.parquet", 0o644)
    with open(directory / "data.parquet", "r+b") as handle:
        handle.write(b"XXXX")
    (directory / "stray.txt").write_text("?")
    problems = store.verify(m)
    assert any("data.parquet: sha256 mismatch" in p for p in problems)
    assert any("stray.txt: not listed" in p for p in problems)
    os.unlink(directory / "data.parquet")
    assert any("data.parquet: missing" in p for p in store.verify(m))


def test_published_files_are_read_only(store: SnapshotStore) -> None:
    m = publish(store, [1])
    assert not os.access(store.path(m), os.W_OK) or os.geteuid() == 0
    assert (store.path(m).stat().st_mode & 0o222) == 0


def test_path_of_an_unknown_file_is_a_clear_error(store: SnapshotStore) -> None:
    m = publish(store, [1])
    with pytest.raises(SnapshotNotFound, match="has no file 'other.parquet'.*data.parquet"):
        store.path(m, "other.parquet")


def test_several_datasets(store: SnapshotStore) -> None:
    publish(store, [1], dataset="students")
    publish(store, [1], dataset="applications")
    assert store.datasets() == ["applications", "students"]


# -- the history log ---------------------------------------------------------------------------------


def test_a_partial_last_log_line_is_ignored_then_repaired(store: SnapshotStore) -> None:
    m = publish(store, [1])
    log = store.root / DS / "history.jsonl"
    with open(log, "ab") as handle:
        handle.write(b'{"event":"publ')
    assert [e.snapshot_id for e in store.events(DS)] == [m.snapshot_id]
    assert any("partial last line" in line for line in store.recover())
    assert log.read_bytes().endswith(b"\n")
    assert store.recover() == []
    with open(log, "ab") as handle:
        handle.write(b'{"event":"publ')
    publish(store, [2])  # an append repairs the tail first
    assert len(store.events(DS)) == 2


def test_a_malformed_complete_log_line_is_an_error(store: SnapshotStore) -> None:
    publish(store, [1])
    with open(store.root / DS / "history.jsonl", "ab") as handle:
        handle.write(b"garbage\n")
    with pytest.raises(CorruptSnapshot, match="line 2"):
        store.history(DS)


# -- one import per dataset at a time ---------------------------------------------------------------


def test_a_second_writer_is_refused_or_waits_threads(store: SnapshotStore) -> None:
    inside, release = threading.Event(), threading.Event()
    results: dict[str, SnapshotManifest] = {}

    def slow_import() -> None:
        with store.writer(DS, imported_by="first", schema_version=1) as w:
            pq.write_table(pa.table({"value": [1]}), w.path())
            inside.set()
            release.wait(10)
        assert w.manifest is not None
        results["first"] = w.manifest

    thread = threading.Thread(target=slow_import)
    thread.start()
    assert inside.wait(10)
    with pytest.raises(ImportInProgress, match=f"another import of dataset '{DS}' is in progress.*first"):
        publish(store, [2], by="second")
    with pytest.raises(ImportInProgress):
        store.rollback(DS, "20260101T000000.000000Z-abcdef", by="x")
    publish(store, [3], dataset="students")  # other datasets are not blocked
    # A temporary directory whose writer is alive is never recovered.
    assert store.recover() == []
    assert len(list((store.root / ".tmp").iterdir())) == 2
    threading.Timer(0.3, release.set).start()
    results["second"] = publish(store, [2], by="second", wait_seconds=10)
    thread.join(10)
    entries = store.history(DS)
    assert [e.manifest for e in entries] == [results["first"], results["second"]]
    assert entries[-1].is_current


CHILD_HOLDS_LOCK = """
import sys
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from ristra.stores.snapshots import SnapshotStore
store = SnapshotStore(Path(sys.argv[1]))
with store.writer("applications", imported_by="child", schema_version=1) as w:
    pq.write_table(pa.table({"value": [1, 2]}), w.path())
print("PUBLISHED", w.manifest.snapshot_id, flush=True)
"""


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def test_a_second_writer_is_refused_or_waits_processes(store: SnapshotStore) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_HOLDS_LOCK, str(store.root)], stdout=subprocess.PIPE, text=True,
        env=child_env(RISTRA_SNAPSHOT_TEST_PAUSE="manifest-written", RISTRA_SNAPSHOT_TEST_PAUSE_SECONDS="1.5"))
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "PAUSE manifest-written"
        with pytest.raises(ImportInProgress, match=f"pid {child.pid}"):
            publish(store, [3], by="parent")
        mine = publish(store, [3], by="parent", wait_seconds=30)
        child_id = child.stdout.readline().split()[1]
        assert child.wait(30) == 0
    finally:
        child.kill()
        child.wait()
    assert [e.snapshot_id for e in store.history(DS)] == [child_id, mine.snapshot_id]
    assert store.current(DS) == mine


# -- readers during publishing -----------------------------------------------------------------------


def test_readers_always_see_a_complete_snapshot(store: SnapshotStore) -> None:
    publish(store, [0] * 10)
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                m = store.current(DS)
                assert m is not None
                data = store.path(m).read_bytes()
                assert hashlib.sha256(data).hexdigest() == m.file("data.parquet").sha256
                values = pq.read_table(store.path(m)).column("value").to_pylist()
                generation = values[0]
                assert values == [generation] * (10 + generation) == [generation] * m.row_count
                seen.add(m.snapshot_id)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for generation in range(1, 25):
            publish(store, [generation] * (10 + generation))
            time.sleep(0.002)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert errors == []
    assert len(seen) > 1


# -- the manifest value ------------------------------------------------------------------------------

hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
names = st.from_regex(r"[a-z][a-z0-9_]{0,10}\.(parquet|json)", fullmatch=True)
opt_text = st.none() | st.text(max_size=20)


@st.composite
def manifests(draw: st.DrawFn) -> SnapshotManifest:
    file_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    moment = draw(st.datetimes(timezones=st.just(UTC)))
    return SnapshotManifest(
        snapshot_id=format_snapshot_id(moment, draw(st.text("0123456789abcdef", min_size=6, max_size=6))),
        dataset=draw(st.sampled_from(["applications", "students", "employee_events"])),
        schema_version=draw(st.integers(1, 9)), row_count=draw(st.integers(0, 10**9)),
        files=tuple(FileEntry(n, draw(hex64), draw(st.integers(0, 10**12)), draw(st.none() | st.integers(0, 10**9)))
                    for n in file_names),
        source_name=draw(opt_text), source_sha256=draw(st.none() | hex64), source_format=draw(opt_text),
        imported_by=draw(st.text(min_size=1, max_size=10).filter(str.strip)),
        imported_at=format_instant(moment), column_map=draw(opt_text), note=draw(opt_text),
        extract_start=draw(st.none() | st.dates().map(lambda d: d.isoformat()).filter(lambda t: len(t) == 10)),
    )


@given(manifests())
def test_manifest_dict_round_trip(m: SnapshotManifest) -> None:
    assert SnapshotManifest.from_dict(json.loads(json.dumps(m.to_dict()))) == m


def _valid() -> dict[str, object]:
    return SnapshotManifest(
        snapshot_id="20261126T173015.123456Z-a1b2c3", dataset="students", schema_version=1, row_count=1,
        files=(FileEntry("data.parquet", "0" * 64, 10, 1),), source_name=None, source_sha256=None,
        source_format=None, imported_by="me", imported_at="2026-11-26T17:30:15.123456Z").to_dict()


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("row_count"), "missing keys"),
    (lambda d: d.update(extra=1), "unknown keys"),
    (lambda d: d.update(row_count="1"), "row_count has the wrong type"),
    (lambda d: d.update(row_count=True), "wrong type: bool"),
    (lambda d: d.update(snapshot_id="latest"), "invalid snapshot id"),
    (lambda d: d.update(dataset="../x"), "invalid dataset name"),
    (lambda d: d.update(imported_at="2026-11-26T17:30:15"), "UTC"),
    (lambda d: d.update(manifest_format=3), "unsupported manifest_format"),
    (lambda d: d["files"][0].update(name="../data.parquet"), "invalid snapshot file name"),
    (lambda d: d["files"][0].update(sha256="XYZ"), "64 lower-case hex"),
    (lambda d: d["files"][0].pop("rows"), "missing keys"),
    (lambda d: d.update(files=[d["files"][0], d["files"][0]]), "listed twice"),
])
def test_manifest_from_dict_is_strict(change, message) -> None:  # type: ignore[no-untyped-def]
    d = _valid()
    change(d)
    with pytest.raises(ValueError, match=message):
        SnapshotManifest.from_dict(d)


def test_history_event_round_trip_and_validation() -> None:
    e = HistoryEvent("rollback", "20261126T173015.123456Z-a1b2c3", "dean", "2026-11-27T00:00:00.000000Z",
                     previous="20261126T173016.000000Z-a1b2c4")
    assert HistoryEvent.from_dict(e.to_dict()) == e
    with pytest.raises(ValueError, match="unknown history event"):
        HistoryEvent.from_dict({**e.to_dict(), "event": "delete"})
