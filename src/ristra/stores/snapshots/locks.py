"""Advisory locks with ``fcntl.flock`` (POSIX).

``flock`` locks belong to an open file description, so two threads of one process that each open
the lock file exclude each other just as two processes do, and the kernel releases the lock when
its holder dies — a process killed with SIGKILL never leaves a stale lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

_POLL_SECONDS = 0.05


class HeldLock:
    """A held exclusive flock on ``path``; :meth:`release` (idempotent) closes it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self, *, unlink: bool = False) -> None:
        """Release the lock; with ``unlink`` remove the lock file first (while still holding it)."""
        if self._fd is None:
            return
        try:
            if unlink:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def acquire(path: Path, *, wait_seconds: float = 0.0, create: bool = True,
            on_busy: Callable[[], Exception] | None = None) -> HeldLock | None:
    """Take an exclusive lock on ``path``, polling for up to ``wait_seconds``.

    Returns the held lock; when the lock stays busy, raises ``on_busy()`` if given, else returns
    ``None``. With ``create=False`` a missing lock file also returns ``None``. The lock is only
    returned once the path still names the locked file (a lock file unlinked by its previous
    holder in the meantime is retried), so holders may remove their lock file on release.
    """
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            if create:
                raise
            return None
        if _try_flock(fd):
            if _same_file(path, fd):
                return HeldLock(path, fd)
            os.close(fd)
            if not create:
                return None
            continue
        os.close(fd)
        if time.monotonic() >= deadline:
            if on_busy is not None:
                raise on_busy()
            return None
        time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())) or _POLL_SECONDS)


def _same_file(path: Path, fd: int) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def write_owner(lock: HeldLock, text: str) -> None:
    """Record who holds the lock (shown in the message of whoever is refused)."""
    assert lock._fd is not None
    os.ftruncate(lock._fd, 0)
    os.pwrite(lock._fd, text.encode("utf-8"), 0)


def read_owner(path: Path) -> str:
    """The text the current holder recorded with :func:`write_owner` ('' if none)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
