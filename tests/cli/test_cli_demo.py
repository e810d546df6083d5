"""`ristra synth` and `ristra demo`: the synthetic school is written, validates and imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ristra.cli.main import main
from ristra.core.datasets import DATASETS, IDENTITY_DATASETS


def test_synth_writes_every_dataset_and_each_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "school"
    assert main(["synth", "--out", str(out), "--applications-per-cycle", "150", "--cycles", "3", "--seed", "7"]) == 0
    for name in DATASETS:
        assert (out / f"{name}.csv").is_file()
        capsys.readouterr()
        code = main(["--data-dir", str(tmp_path / "d"), "validate", name, str(out / f"{name}.csv"), "--json"])
        assert code == 0, capsys.readouterr().out
        assert json.loads(capsys.readouterr().out) == []


def test_demo_imports_everything_and_lists_snapshots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    assert main([*data, "demo", "--no-serve", "--applications-per-cycle", "120"]) == 0
    capsys.readouterr()
    assert main([*data, "snapshots", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    current = {e["dataset"]: e["manifest"]["row_count"] for e in entries if e["is_current"]}
    assert set(current) == set(DATASETS) | set(IDENTITY_DATASETS)  # the demo links its rosters
    assert current["applications"] > 1000
    assert current["programs"] >= 1
    # the synthetic extracts declare where they start, so retention and promotion need not guess
    starts = {e["dataset"]: e["manifest"]["extract_start"] for e in entries if e["is_current"]}
    assert starts["employees"] == starts["employee_events"] == "2011-01-01"
    assert main([*data, "query", "retention", "--category", "women", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    assert all(r["category"] == "women" for r in rows)
