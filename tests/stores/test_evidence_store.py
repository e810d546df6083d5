"""The evidence store: names sanitised, types and sizes checked before anything is written,
one file per content, nothing left behind by a refusal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ristra.stores.evidence import EvidenceNotFound, EvidenceRefused, EvidenceStore, sanitise_name


@pytest.mark.parametrize(("given", "kept"), [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\Minutes 2025.docx", "Minutes_2025.docx"),
    ("Résumé final.pdf", "Resume_final.pdf"),
    ("..", ""),
])
def test_names_are_sanitised(given: str, kept: str) -> None:
    assert sanitise_name(given) == kept


def test_a_long_name_keeps_its_extension() -> None:
    name = sanitise_name("a" * 300 + ".xlsx")
    assert len(name) == 100
    assert name.endswith(".xlsx")


def test_a_file_is_kept_once_and_read_back(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    data = b"year,count\n2024,12\n"
    first, created = store.put("plan-a", "counts.csv", data)
    assert created
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.size == len(data)
    again, created_again = store.put("plan-a", "counts.csv", data)
    assert again == first
    assert not created_again
    assert store.open("plan-a", first.sha256, "counts.csv") == (data, "text/csv; charset=utf-8")
    with pytest.raises(EvidenceNotFound):
        store.open("plan-a", first.sha256, "../counts.csv")
    store.discard("plan-a", first.sha256, "counts.csv")
    with pytest.raises(EvidenceNotFound):
        store.open("plan-a", first.sha256, "counts.csv")


def test_a_refused_file_writes_nothing(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=10)
    with pytest.raises(EvidenceRefused, match="the largest accepted"):
        store.put("plan-a", "big.txt", b"x" * 11)
    with pytest.raises(EvidenceRefused, match="is empty"):
        store.put("plan-a", "empty.txt", b"")
    with pytest.raises(EvidenceRefused, match="is not a JPG file"):
        store.put("plan-a", "photo.jpg", b"GIF89a")
    assert not (tmp_path / "plans").exists()
