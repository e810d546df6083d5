"""Evidence files of plan action updates under ``<data_dir>/plans/<plan id>/evidence/``.

Contract
--------
* :meth:`EvidenceStore.put` checks a small file before anything is written — not empty, at most
  :data:`MAX_BYTES`, a name ending in an allowed type (:data:`ALLOWED_TYPES`: pdf, png, jpg,
  docx, xlsx, txt, csv) whose content looks like that type (PDF, PNG, JPEG and ZIP signatures;
  text that decodes as UTF-8) — and raises :class:`EvidenceRefused` with a message naming what
  is wrong (nothing is stored then).
* The name is sanitised (:func:`sanitise_name`: the last path component, letters, digits, ``.``,
  ``-`` and ``_``, at most 100 characters); the file is kept once per content at
  ``evidence/<sha256>/<name>``, written with :func:`~ristra.stores.atomic.publish_new` (a reader
  or a crash never sees half of it; an identical file stored again is the same file).
* :meth:`EvidenceStore.open` returns the stored bytes of ``(sha256, name)`` of one plan, or
  raises :class:`EvidenceNotFound`; who may read them is the caller's rule (the web app: those who
  may read the plan).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ristra.stores.atomic import publish_new

#: the largest evidence file accepted (bytes)
MAX_BYTES = 5 * 1024 * 1024
#: allowed file types by extension, with the content type a download is served as
ALLOWED_TYPES: Mapping[str, str] = MappingProxyType({
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
})
_SIGNATURES: Mapping[str, tuple[bytes, ...]] = MappingProxyType({
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",)})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EvidenceRefused(ValueError):
    """An evidence file that cannot be stored; the message says why (nothing was stored)."""


class EvidenceNotFound(LookupError):
    """No such evidence file of this plan."""


@dataclass(frozen=True)
class StoredEvidence:
    """A stored evidence file: its sanitised name, content hash, size and content type."""

    name: str
    sha256: str
    size: int
    content_type: str


def sanitise_name(name: str) -> str:
    """``name`` as a safe file name (see the module docstring); empty when nothing is left."""
    last = re.split(r"[\\/]", name or "")[-1]
    ascii_name = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._")
    if len(cleaned) > 100:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: 99 - len(ext)] + dot + ext) if dot and len(ext) <= 5 else cleaned[:100]
    return cleaned


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


class EvidenceStore:
    """See the module docstring."""

    def __init__(self, data_dir: str | Path, max_bytes: int = MAX_BYTES) -> None:
        self.data_dir = Path(data_dir)
        self.max_bytes = max_bytes

    def _folder(self, plan_id: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}", plan_id):
            raise EvidenceNotFound(f"no plan {plan_id!r}")
        return self.data_dir / "plans" / plan_id / "evidence"

    def check(self, name: str, data: bytes) -> tuple[str, str]:
        """The sanitised name and the type of an acceptable file (:class:`EvidenceRefused` otherwise)."""
        safe = sanitise_name(name)
        kind = _extension(safe)
        if not safe or kind not in ALLOWED_TYPES:
            allowed = ", ".join(k for k in ALLOWED_TYPES if k != "jpeg")
            raise EvidenceRefused(f"an evidence file must be one of {allowed}; {safe or 'the file'!r} is not")
        if not data:
            raise EvidenceRefused(f"the evidence file {safe!r} is empty")
        if len(data) > self.max_bytes:
            raise EvidenceRefused(f"the evidence file {safe!r} is {len(data) / 1024 / 1024:.1f} MB; the largest "
                                  f"accepted is {self.max_bytes / 1024 / 1024:.0f} MB")
        signatures = _SIGNATURES.get(kind)
        if signatures is not None and not data.startswith(signatures):
            raise EvidenceRefused(f"the evidence file {safe!r} is not a {kind.upper()} file (its content does not "
                                  "match its name)")
        if signatures is None:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise EvidenceRefused(f"the evidence file {safe!r} is not UTF-8 text") from None
        return safe, kind

    def put(self, plan_id: str, name: str, data: bytes) -> tuple[StoredEvidence, bool]:
        """Check and keep one evidence file of ``plan_id`` (see the module docstring); whether it
        was created now (False: the same content under the same name was kept already)."""
        safe, kind = self.check(name, data)
        digest = hashlib.sha256(data).hexdigest()
        created = True
        try:
            publish_new(self._folder(plan_id) / digest / safe, data)
        except FileExistsError:
            created = False
        return StoredEvidence(safe, digest, len(data), ALLOWED_TYPES[kind]), created

    def discard(self, plan_id: str, sha256: str, name: str) -> None:
        """Remove a file :meth:`put` created for an update that was then refused."""
        if _SHA256.fullmatch(sha256) and sanitise_name(name) == name:
            path = self._folder(plan_id) / sha256 / name
            path.unlink(missing_ok=True)
            try:
                path.parent.rmdir()
            except OSError:
                pass  # another name of the same content is kept there

    def open(self, plan_id: str, sha256: str, name: str) -> tuple[bytes, str]:
        """The bytes and content type of a stored file (:class:`EvidenceNotFound` otherwise)."""
        safe = sanitise_name(name)
        if not _SHA256.fullmatch(sha256) or safe != name or _extension(safe) not in ALLOWED_TYPES:
            raise EvidenceNotFound(f"no evidence file {name!r}")
        path = self._folder(plan_id) / sha256 / safe
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise EvidenceNotFound(f"no evidence file {name!r}") from None
        return data, ALLOWED_TYPES[_extension(safe)]
