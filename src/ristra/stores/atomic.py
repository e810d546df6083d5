"""Writing a file under the data directory so that a reader or a crash never sees half of it.

* :func:`write_atomically` replaces ``path`` (a report file, a publication record): the bytes go
  to a temporary file in the same directory, fsynced, renamed over ``path``, and the directory
  fsynced. On any failure the temporary file is removed and ``path`` is untouched.
* :func:`publish_new` creates ``path`` only if nobody has (a new category or plan version): the
  same temporary file, then ``os.link`` — atomic like a rename, but it never overwrites, so of
  two writers racing for one name exactly one wins and the other gets ``FileExistsError``.
* :func:`fsync_dir` makes a directory's entries durable.

The snapshot store's ``CURRENT`` pointer swap is a :func:`write_atomically` too, with a
``checkpoint`` callback at the two points its kill -9 tests pause at. A process killed mid-write
leaves only its temporary file, ``.<name>.tmp-<random>.part`` (:func:`is_leftover` recognises it),
for the store's recovery to remove; ``path`` itself is the old or the new content, never a mix.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

_SUFFIX = ".part"


def _prefix(name: str) -> str:
    return f".{name}.tmp-"


def is_leftover(entry: str, of: str) -> bool:
    """Whether the directory entry ``entry`` is a temporary file that a killed
    :func:`write_atomically` or :func:`publish_new` of the file named ``of`` left behind."""
    return entry.startswith(_prefix(of)) and entry.endswith(_SUFFIX)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (creations, renames, removals) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(directory: Path, name: str, data: bytes, mode: int | None = None) -> str:
    fd, temporary = tempfile.mkstemp(prefix=_prefix(name), suffix=_SUFFIX, dir=directory)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def write_atomically(path: Path, data: bytes, *, mode: int | None = None,
                     checkpoint: Callable[[str], None] | None = None) -> str:
    """Replace ``path`` with ``data`` (see the module docstring) and return its sha256. Raises
    ``FileNotFoundError`` when the directory does not exist. The file is readable by its owner
    only, unless ``mode`` gives its permission bits.

    ``checkpoint``, when given, is called with ``"tmp-written"`` once the temporary file is durable
    and not yet renamed, and with ``"swapped"`` once the rename is durable (crash tests pause
    there). An exception from the first call leaves ``path`` untouched and no temporary file."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(2, "the output directory does not exist", str(directory))
    temporary = _temporary(directory, path.name, data, mode)
    try:
        if checkpoint is not None:
            checkpoint("tmp-written")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    if checkpoint is not None:
        checkpoint("swapped")
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
