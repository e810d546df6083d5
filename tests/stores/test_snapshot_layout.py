"""The snapshot file layout has one home, ``ristra.stores.snapshots.layout``: every other module
asks it for a snapshot's file names and never spells one (checked over the string literals of the
whole package, docstrings excepted), and the store answers with the layout's names."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ristra.stores.snapshots import SnapshotStore
from ristra.stores.snapshots.layout import (
    DATA,
    MANIFEST,
    data_file,
    manifest_file,
    place_keys_family,
    place_keys_file,
    place_keys_name,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "ristra"
LAYOUT = "stores/snapshots/layout.py"
#: each name a snapshot's files and logs go by, and the one module that may write it down: the
#: layout, except the manifest's name, which core reserves (no file entry may take it; core is
#: below stores) and the layout takes from there
HOMES = {"data.parquet": [LAYOUT], "place-keys-": [LAYOUT], "history.jsonl": [LAYOUT],
         "manifest.json": ["core/manifest.py"]}
NAMES = tuple(HOMES)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def spellings(source: str) -> set[str]:
    """The layout names written in the string literals of ``source`` (docstrings excepted)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            out.update(name for name in NAMES if name in node.value)
    return out


def test_each_snapshot_file_name_is_spelled_in_its_home_only() -> None:
    spelled: dict[str, list[str]] = {name: [] for name in NAMES}
    for path in sorted(SRC.rglob("*.py")):
        for name in spellings(path.read_text(encoding="utf-8")):
            spelled[name].append(path.relative_to(SRC).as_posix())
    assert spelled == HOMES


def test_the_scan_finds_a_name_in_code_and_skips_docstrings() -> None:
    source = '"""Reads data.parquet."""\n\ndef f():\n    """manifest.json"""\n    return f"{x}/place-keys-a.parquet"\n'
    assert spellings(source) == {"place-keys-"}


def test_the_layout_names_the_files_of_a_snapshot_directory(tmp_path: Path) -> None:
    assert data_file(tmp_path) == tmp_path / "data.parquet"


def test_the_layout_names_the_manifest(tmp_path: Path) -> None:
    assert manifest_file(tmp_path) == tmp_path / "manifest.json"


def test_the_layout_names_the_place_keys_of_a_family(tmp_path: Path) -> None:
    assert place_keys_file(tmp_path, "high_school") == tmp_path / "place-keys-high_school.parquet"


def test_a_place_keys_name_gives_back_its_family() -> None:
    assert place_keys_family(place_keys_name("residence")) == "residence"


def test_other_files_have_no_place_family() -> None:
    assert [place_keys_family(n) for n in (DATA, MANIFEST, "place-keys-.parquet", "links.parquet")] == [None] * 4


def test_the_store_answers_with_the_layout(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    with store.writer("applications", imported_by="test", schema_version=1) as writer:
        pq.write_table(pa.table({"value": [1, 2, 3]}), writer.path())
        pq.write_table(pa.table({"zip": ["87101"]}), place_keys_file(writer.directory, "residence"))
        writer.row_count = 3
    manifest = writer.manifest
    assert manifest is not None
    directory = store.layout.snapshot_dir("applications", manifest.snapshot_id)
    assert store.path(manifest) == data_file(directory)
    assert store.place_keys(manifest) == {"residence": place_keys_file(directory, "residence")}
    assert manifest_file(directory).is_file()
    assert sorted(e.name for e in manifest.files) == sorted([DATA, place_keys_name("residence")])
