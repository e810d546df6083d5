"""The one atomic write of the stores: replace or create-once, never half a file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ristra.stores.atomic import publish_new, write_atomically


def test_write_atomically_replaces_and_returns_the_checksum(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    digest = write_atomically(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert digest == hashlib.sha256(b"new content").hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_atomically_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "absent" / "r.csv", b"x")


def test_publish_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "versions" / "0002.json"
    publish_new(target, b"first writer")
    with pytest.raises(FileExistsError):
        publish_new(target, b"second writer")
    assert target.read_bytes() == b"first writer"
    assert [p.name for p in target.parent.iterdir()] == ["0002.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(b"previous")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"next")
    with pytest.raises(OSError, match="No space"):
        publish_new(tmp_path / "other.json", b"next")
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
