"""Writing report files: atomically (a failure leaves nothing at the output path; see
:func:`ristra.stores.atomic.write_atomically`) and reproducibly (zip containers with fixed
timestamps).
"""

from __future__ import annotations

import io
import zipfile

#: The timestamp every member of a rendered zip container carries (the earliest zip allows).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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
