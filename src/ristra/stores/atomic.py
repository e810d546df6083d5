"""Writing a file under the data directory so that a reader or a crash never sees half of it.

* :func:`write_atomically` replaces ``path`` (a report file, a publication record): the bytes go
  to a temporary file in the same directory, fsynced, renamed over ``path``, and the directory
  fsynced. On any failure the temporary file is removed and ``path`` is untouched.
* :func:`publish_new` creates ``path`` only if nobody has (a new category or plan version): the
  same temporary file, then ``os.link`` — atomic like a rename, but it never overwrites, so of
  two writers racing for one name exactly one wins and the other gets ``FileExistsError``.
* :func:`fsync_dir` makes a directory's entries durable.

The snapshot store's pointer swap (:func:`ristra.snapshots.durable.replace_atomically`) is the
same replace with the crash-test pause points that its recovery is tested against.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (creations, renames, removals) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(directory: Path, name: str, data: bytes) -> str:
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def write_atomically(path: Path, data: bytes) -> str:
    """Replace ``path`` with ``data`` (see the module docstring) and return its sha256. Raises
    ``FileNotFoundError`` when the directory does not exist."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(2, "the output directory does not exist", str(directory))
    temporary = _temporary(directory, path.name, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return hashlib.sha256(data).hexdigest()


def publish_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` unless it exists (then ``FileExistsError`` and nothing is
    changed); see the module docstring. The directory is created if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path.parent, path.name, data)
    try:
        os.link(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    fsync_dir(path.parent)
