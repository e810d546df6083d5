"""kill -9 at every step of the publish (and rollback) protocol.

A child process imports through the store, printing checkpoints; the test kills it with SIGKILL at
one point and then checks: the previous CURRENT snapshot is intact and verifies, readers see no
trace of the killed import, ``recover()`` removes the leftovers (and is then idempotent), and the
next import works. The points inside the store use its test hook ``RISTRA_SNAPSHOT_TEST_PAUSE``.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ristra.stores.snapshots import SnapshotManifest, SnapshotStore

SRC = Path(__file__).resolve().parents[2] / "src"
DS = "applications"

CHILD = """
import sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from ristra.stores.snapshots import SnapshotStore

store = SnapshotStore(Path(sys.argv[1]))
if sys.argv[2] == "rollback":
    store.rollback("applications", sys.argv[3], by="child")
    print("ROLLED BACK", flush=True)
    sys.exit(0)
print("START", flush=True)
with store.writer("applications", imported_by="child", schema_version=1) as w:
    print("TEMP", w.directory, flush=True)
    for part in range(6):  # many files, written slowly
        table = pa.table({"value": list(range(part * 50_000, (part + 1) * 50_000))})
        pq.write_table(table, w.path(f"part-{part}.parquet"))
        print("WROTE", part, flush=True)
        time.sleep(0.05)
    w.row_count = 300_000
print("PUBLISHED", w.manifest.snapshot_id, flush=True)
"""


def start_child(root: Path, *args: str, pause: str | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("RISTRA_SNAPSHOT_TEST_PAUSE", None)
    if pause:
        env["RISTRA_SNAPSHOT_TEST_PAUSE"] = pause
        env["RISTRA_SNAPSHOT_TEST_PAUSE_SECONDS"] = "60"
    return subprocess.Popen([sys.executable, "-c", CHILD, str(root), *args], stdout=subprocess.PIPE,
                            text=True, env=env)


def kill_at(child: subprocess.Popen[str], marker: str, timeout: float = 30.0) -> list[str]:
    """Read the child's checkpoints until one starts with ``marker``, then SIGKILL it."""
    assert child.stdout is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline or child.poll() is not None and not selector.select(0):
                raise AssertionError(f"child never reached {marker!r}; it printed {lines}")
            if selector.select(0.1):
                line = child.stdout.readline()
                if line:
                    lines.append(line.strip())
                    if line.startswith(marker):
                        os.kill(child.pid, signal.SIGKILL)
                        break
    finally:
        selector.close()
        child.wait(10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return lines


def publish(store: SnapshotStore, values: list[int]) -> SnapshotManifest:
    with store.writer(DS, imported_by="test", schema_version=1) as w:
        pq.write_table(pa.table({"value": values}), w.path())
    assert w.manifest is not None
    return w.manifest


def visible(store: SnapshotStore) -> list[str]:
    """What is under the dataset directory (hidden store directories excluded)."""
    return sorted(os.listdir(store.root / DS))


def assert_clean_after_recovery(store: SnapshotStore, published: list[SnapshotManifest]) -> list[str]:
    done = store.recover()
    assert list((store.root / ".tmp").iterdir()) == []
    assert visible(store) == sorted([m.snapshot_id for m in published] + ["CURRENT", "history.jsonl"])
    assert store.recover() == []  # idempotent
    assert [e.manifest for e in store.history(DS)] == published
    return done


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


@pytest.mark.parametrize("marker, pause", [
    ("WROTE 2", None),                                  # while writing data
    ("PAUSE hashed", "hashed"),                         # files hashed, no manifest yet
    ("PAUSE manifest-written", "manifest-written"),     # manifest written, not renamed
    ("PAUSE renamed", "renamed"),                       # renamed, CURRENT not swapped
    ("PAUSE current-tmp-written", "current-tmp-written"),  # during the CURRENT swap
])
def test_kill_before_the_commit_point_leaves_the_previous_state(store: SnapshotStore, marker: str,
                                                                pause: str | None) -> None:
    before = publish(store, [1, 2, 3])
    lines = kill_at(start_child(store.root, "import", pause=pause), marker)
    killed_temp = Path(next(line for line in lines if line.startswith("TEMP")).split(" ", 1)[1])

    # Readers: the previous snapshot, intact; no trace of the killed import.
    assert store.current(DS) == before
    assert store.verify(before) == []
    assert [e.manifest for e in store.history(DS)] == [before]
    assert store.datasets() == [DS]
    if pause in ("renamed", "current-tmp-written"):
        orphan = killed_temp.name.split(".", 1)[1]
        assert orphan in visible(store)  # renamed but never current: not published ...
        assert orphan not in [e.snapshot_id for e in store.history(DS)]
    else:
        assert killed_temp.exists()  # only a hidden temporary directory is left

    done = assert_clean_after_recovery(store, [before])
    assert done, "recover() reported nothing"
    if pause in ("renamed", "current-tmp-written"):
        assert (store.root / ".orphaned" / DS / orphan / "manifest.json").exists()  # ... and moved aside
        assert any("moved unpublished snapshot directory" in d for d in done)
    if pause == "current-tmp-written":
        assert any("CURRENT.tmp-" in d for d in done)

    after = publish(store, [4])  # the dead writer's lock died with it
    assert store.current(DS) == after
    assert store.verify(after) == []


def test_kill_after_the_commit_point_publishes_and_recovery_logs_it(store: SnapshotStore) -> None:
    before = publish(store, [1, 2, 3])
    kill_at(start_child(store.root, "import", pause="current-swapped"), "PAUSE current-swapped")
    new = store.current(DS)
    assert new is not None
    assert new != before  # CURRENT was swapped: the import is published
    assert store.verify(new) == []
    assert new.row_count == 300_000
    assert [(e.manifest, e.is_current, e.events) for e in store.history(DS)][1] == (new, True, ())
    done = assert_clean_after_recovery(store, [before, new])
    assert any("logged the publish event" in d for d in done)
    event = store.history(DS)[1].events[0]
    assert (event.event, event.by, event.previous) == ("publish", "child", before.snapshot_id)


def test_kill_during_the_first_import_leaves_no_dataset(store: SnapshotStore) -> None:
    kill_at(start_child(store.root, "import", pause="renamed"), "PAUSE renamed")
    assert store.datasets() == []
    assert store.current(DS) is None
    assert store.history(DS) == []
    store.recover()
    assert not (store.root / DS).exists()
    assert list((store.root / ".tmp").iterdir()) == []


@pytest.mark.parametrize("pause", ["current-tmp-written", "current-swapped"])
def test_kill_during_a_rollback(store: SnapshotStore, pause: str) -> None:
    first, second = publish(store, [1]), publish(store, [2])
    kill_at(start_child(store.root, "rollback", first.snapshot_id, pause=pause), f"PAUSE {pause}")
    expected = first if pause == "current-swapped" else second
    assert store.current(DS) == expected
    assert store.verify(expected) == []
    done = assert_clean_after_recovery(store, [first, second])
    if pause == "current-swapped":
        assert store.events(DS)[-1].event == "recovered"
        assert any("unlogged rollback" in d for d in done)
    else:
        assert [e.event for e in store.events(DS)] == ["publish", "publish"]
    assert store.rollback(DS, second.snapshot_id, by="test") == second


def test_an_import_after_an_unrecovered_kill_keeps_the_killed_snapshot_in_history(store: SnapshotStore) -> None:
    before = publish(store, [1])
    kill_at(start_child(store.root, "import", pause="current-swapped"), "PAUSE current-swapped")
    killed = store.current(DS)
    assert killed is not None
    assert killed != before
    after = publish(store, [2])  # no recover() in between
    assert [e.manifest for e in store.history(DS)] == [before, killed, after]
    assert [e.previous for e in store.events(DS)] == [None, before.snapshot_id, killed.snapshot_id]
    assert_clean_after_recovery(store, [before, killed, after])


def test_a_rollback_after_an_unrecovered_killed_rollback_logs_both(store: SnapshotStore) -> None:
    first, second = publish(store, [1]), publish(store, [2])
    kill_at(start_child(store.root, "rollback", first.snapshot_id, pause="current-swapped"),
            "PAUSE current-swapped")
    store.rollback(DS, second.snapshot_id, by="test")
    assert [(e.event, e.snapshot_id) for e in store.events(DS)][2:] == [
        ("recovered", first.snapshot_id), ("rollback", second.snapshot_id)]
    assert_clean_after_recovery(store, [first, second])
