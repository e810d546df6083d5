"""Writing report files: atomically (a failure leaves nothing at the output path) and
reproducibly (zip containers with fixed timestamps).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from ristra.snapshots.durable import fsync_dir

#: The timestamp every member of a rendered zip container carries (the earliest zip allows).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_atomically(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same directory (fsynced, then
    renamed over ``path``, then the directory fsynced) and return its sha256. On any failure the
    temporary file is removed and ``path`` is untouched. Raises ``FileNotFoundError`` when the
    directory does not exist."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(2, "the output directory does not exist", str(directory))
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return hashlib.sha256(data).hexdigest()


def normalised_zip(data: bytes) -> bytes:
    """The zip container ``data`` rewritten with every member dated :data:`ZIP_TIME`, in the same
    order and with the same content, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
