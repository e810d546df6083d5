"""Generated documentation stays in step with the declarations it comes from."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ristra.core.datasets import DATASETS

ROOT = Path(__file__).resolve().parents[2]


def _docs_build() -> object:
    """``tools/docs_build.py``, a developer tool outside the package, loaded by its path."""
    spec = importlib.util.spec_from_file_location("docs_build", ROOT / "tools" / "docs_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


data_dictionary = _docs_build().data_dictionary  # type: ignore[attr-defined]


def test_data_dictionary_is_current() -> None:
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "docs/data-dictionary.md is stale: run `make docs`"


def test_data_dictionary_names_every_column() -> None:
    text = data_dictionary()
    for ds in DATASETS.values():
        assert f"## {ds.name}" in text
        for column in ds.columns:
            assert f"| `{column.name}` |" in text


def _commands() -> list[str]:
    """Every ``ristra`` command and subcommand, as typed (``ristra plan status``)."""
    import argparse

    from ristra.cli.main import build_parser

    found: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append(f"{prefix} {name}")
                    walk(child, f"{prefix} {name}")

    walk(build_parser(), "ristra")
    return found


def _all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def test_every_cli_command_is_documented() -> None:
    docs = _all_docs()
    commands = _commands()
    assert {"ristra import", "ristra query", "ristra report", "ristra serve"} <= set(commands)
    assert [c for c in commands if c not in docs] == []


def test_every_web_setting_is_in_the_web_guide() -> None:
    import re

    guide = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    config = (ROOT / "src" / "ristra" / "web" / "config.py").read_text(encoding="utf-8")
    settings = sorted(set(re.findall(r'"(RISTRA_[A-Z_]*[A-Z])"', config)))
    assert "RISTRA_SECRET_KEY" in settings
    assert "RISTRA_DATABASE_URL" in settings
    assert [s for s in settings if s not in guide] == []


def test_every_validation_reason_code_is_in_the_user_guide() -> None:
    from ristra.core.validation_issues import Reason

    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert len(Reason) > 10
    assert [reason.value for reason in Reason if f"`{reason.value}`" not in guide] == []


def test_every_validation_reason_category_is_in_the_user_guide() -> None:
    from ristra.core.validation_issues import ReasonCategory

    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert [c.value for c in ReasonCategory if f"*{c.value}*" not in guide] == []


def test_every_metric_is_in_the_metrics_guide() -> None:
    from ristra.core.metrics.specs import METRICS

    guide = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert [m for m in METRICS if f"`{m}`" not in guide] == []
