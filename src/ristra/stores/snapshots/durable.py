"""Small durable-file primitives of the snapshot store (POSIX): hashing and fsync of the files a
writer made, creating its manifest, streaming sha256, and the crash-test pause hook. The atomic
replace of ``CURRENT`` is :func:`ristra.stores.atomic.write_atomically`, the one atomic write.

Test hook: when the environment variable ``RISTRA_SNAPSHOT_TEST_PAUSE`` names a stage (or a
comma-separated list of stages), :func:`pause` prints ``PAUSE <stage>`` to stdout and sleeps for
``RISTRA_SNAPSHOT_TEST_PAUSE_SECONDS`` (default 60) at that stage, so a crash test can kill the
process there with SIGKILL. Stages: ``hashed`` (files hashed and fsynced, manifest not yet written),
``manifest-written``, ``renamed`` (snapshot directory in place, CURRENT not yet swapped),
``current-tmp-written`` (inside the CURRENT swap: temp pointer written, not yet renamed),
``current-swapped`` (CURRENT replaced, history event not yet appended). The hook is read when a
stage is reached, never at import time, and does nothing when the variable is unset.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

PAUSE_ENV = "RISTRA_SNAPSHOT_TEST_PAUSE"
PAUSE_SECONDS_ENV = "RISTRA_SNAPSHOT_TEST_PAUSE_SECONDS"
_CHUNK = 1 << 20


def pause(stage: str) -> None:
    """The crash-test hook described in the module docstring."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or stage not in {s.strip() for s in wanted.split(",")}:
        return
    print(f"PAUSE {stage}", flush=True)
    sys.stdout.flush()
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


def hash_and_fsync(path: Path) -> tuple[str, int]:
    """Stream ``path`` through sha256, fsync it, and return (hex digest, size in bytes)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(handle.fileno())
    return digest.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    """Stream ``path`` through sha256 and return (hex digest, size in bytes)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_new_file(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Create ``path`` (it must not exist) with ``mode``, write ``data`` and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
