"""Generated documentation stays in step with the declarations it comes from."""

from __future__ import annotations

from pathlib import Path

from ristra.core.datasets import DATASETS
from ristra.docs_build import data_dictionary

ROOT = Path(__file__).resolve().parents[1]


def test_data_dictionary_is_current() -> None:
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "docs/data-dictionary.md is stale: run `python -m ristra.docs_build`"


def test_data_dictionary_names_every_column() -> None:
    text = data_dictionary()
    for ds in DATASETS.values():
        assert f"## {ds.name}" in text
        for column in ds.columns:
            assert f"| `{column.name}` |" in text
