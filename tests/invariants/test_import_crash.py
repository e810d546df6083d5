"""An import killed with SIGKILL at any moment leaves the previous state intact and no
visible trace; the next start removes its leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ristra.services.workspace import Settings, Workspace
from support.corpus import HEADER, row, valid_rows, write_csv


def _big_csv(path: Path, rows: int) -> Path:
    template = ",".join(row(0)).replace("A0000000", "A' || i || '").replace("P0000000", "P' || i || '")
    literal = str(path).replace("'", "''")
    duckdb.connect().execute(
        f"COPY (SELECT '{template}' AS line FROM range({rows}) t(i)) TO '{literal}' "
        f"(FORMAT csv, HEADER false, QUOTE '', ESCAPE '')"
    )
    body = path.read_bytes()
    path.write_bytes((",".join(HEADER) + "\n").encode() + body)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5])
def test_import_killed_midway_leaves_previous_snapshot(tmp_path: Path, delay: float) -> None:
    data_dir = tmp_path / "data"
    first = Workspace(Settings(data_dir=data_dir, user="tester"))
    from ristra.services.imports import import_file

    before = import_file(first, "applications", write_csv(tmp_path / "small.csv", valid_rows(4)))
    assert before.manifest is not None
    big = _big_csv(tmp_path / "big.csv", 600_000)

    env = {**os.environ, "RISTRA_DATA_DIR": str(data_dir)}
    child = subprocess.Popen([sys.executable, "-m", "ristra.cli.main", "import", "applications", str(big)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (data_dir / ".work").exists() or not any((data_dir / ".work").iterdir()):
        assert time.monotonic() < deadline, "the import never started"
        assert child.poll() is None, "the import never started"
        time.sleep(0.01)
    time.sleep(delay)  # the import is now under way: reading, validating, writing or publishing
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL

    # readers see exactly the previous snapshot (or, if the child finished first, the new one whole)
    store = Workspace(Settings(data_dir=data_dir, user="tester")).snapshots
    current = store.current("applications")
    assert current is not None
    assert store.verify(current) == []
    if current.snapshot_id == before.manifest.snapshot_id:
        assert len(store.history("applications")) == 1
    else:
        assert current.row_count == 600_000
    # the reopening above cleaned the leftovers of the killed process
    assert not [p for p in (data_dir / "snapshots" / ".tmp").glob("*")]
    assert not list((data_dir / ".work").glob("*")) if (data_dir / ".work").exists() else True
