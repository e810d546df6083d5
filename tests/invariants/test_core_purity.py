"""The layering of DESIGN.md §4: ``ristra.core`` is pure — it imports no I/O, database,
web or file-format library, and no outer layer of ristra."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "ristra" / "core"

FORBIDDEN_TOP_LEVEL = {
    "duckdb", "pyarrow", "pandas", "polars", "django", "ninja", "psycopg", "sqlite3", "os", "io",
    "pathlib", "shutil", "tempfile", "socket", "urllib", "http", "requests", "subprocess", "yaml",
    "python_calamine", "openpyxl", "docx", "xlsxwriter", "altair", "vl_convert", "rich", "glob",
    "zipfile", "csv", "splink", "lifelines", "statsmodels",
}
OUTER_RISTRA = ("ristra.ingest", "ristra.engine", "ristra.stores", "ristra.services", "ristra.web",
                "ristra.cli", "ristra.reports", "ristra.synth", "ristra.api")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"open", "__import__"}:
            names.append(f"<call {node.func.id}>")  # type: ignore[attr-defined]
    return names


def test_core_modules_exist() -> None:
    assert len(list(CORE.rglob("*.py"))) >= 3


def test_core_is_pure() -> None:
    offences = []
    for path in sorted(CORE.rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("<call"):
                offences.append(f"{path.relative_to(CORE)}: calls {name[6:-1]}()")
            elif top in FORBIDDEN_TOP_LEVEL:
                offences.append(f"{path.relative_to(CORE)}: imports {name}")
            elif name.startswith(OUTER_RISTRA):
                offences.append(f"{path.relative_to(CORE)}: imports outer layer {name}")
    assert offences == []


def test_the_checker_catches_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom ristra.ingest import x\nopen('f')\n")
    assert _imports(bad) == ["duckdb", "ristra.ingest", "<call open>"]
