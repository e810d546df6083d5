"""One fact per assert (CONTRIBUTING.md): no assert in tests/ chains its conditions with ``and``.

``assert a and b`` fails without saying which part was false; ``assert a`` / ``assert b`` says it.
The same holds for ``assert all(a and b for x in xs)``, which is two ``all(...)``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _is_and(node: ast.expr) -> bool:
    return isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And)


def _is_all_of_and(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "all"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
        and _is_and(node.args[0].elt)
    )


def _chained_asserts(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert):
            continue
        if _is_and(node.test):
            found.append(f"{where}:{node.lineno}: assert a and b (split it: one assert per fact)")
        elif _is_all_of_and(node.test):
            found.append(f"{where}:{node.lineno}: assert all(a and b for …) (split it into two all(...))")
    return found


def test_the_check_sees_a_chained_assert() -> None:
    source = "def t():\n    assert x and y\n    assert all(a and b for a, b in z)\n    assert x or y\n    assert x\n"
    assert _chained_asserts(source, "t.py") == [
        "t.py:2: assert a and b (split it: one assert per fact)",
        "t.py:3: assert all(a and b for …) (split it into two all(...))",
    ]


def test_the_check_leaves_a_nested_and_alone() -> None:
    source = "def t():\n    assert not (x and y)\n    assert any(a and b for a, b in z)\n    assert f(x and y)\n"
    assert _chained_asserts(source, "t.py") == []


def test_no_assert_in_the_tests_chains_conditions_with_and() -> None:
    files = sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)
    assert len(files) > 50
    found = [hit for p in files for hit in _chained_asserts(p.read_text(encoding="utf-8"), str(p.relative_to(TESTS)))]
    assert found == []


def test_every_test_module_has_its_own_name() -> None:
    """Test modules are imported by their base name (rootdir-relative, no packages): two files named
    alike in different folders make pytest refuse to collect the second ("import file mismatch")."""
    seen: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        seen.setdefault(path.name, []).append(str(path.relative_to(TESTS)))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}
