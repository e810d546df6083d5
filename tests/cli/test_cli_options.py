"""The command line's global options work before and after the command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ristra.cli.main import build_parser, main


def test_data_dir_and_user_may_follow_the_command(tmp_path: Path) -> None:
    parser = build_parser()
    after = parser.parse_args(["import", "applications", "f.csv", "--data-dir", "d", "--user", "ada"])
    assert after.data_dir == "d"
    assert after.user == "ada"
    before = parser.parse_args(["--data-dir", "d", "import", "applications", "f.csv"])
    assert before.data_dir == "d"
    assert before.user is None
    both = parser.parse_args(["--data-dir", "first", "snapshots", "--data-dir", "second"])
    assert both.data_dir == "second"  # the one nearer the command's own options wins
    neither = parser.parse_args(["snapshots"])
    assert neither.data_dir is None


def test_a_data_dir_after_the_command_is_the_one_used(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RISTRA_DATA_DIR", raising=False)
    target = tmp_path / "data"
    assert main(["snapshots", "--data-dir", str(target)]) == 0
    assert target.is_dir()
    assert not (tmp_path / "ristra-data").exists()  # not the default directory
