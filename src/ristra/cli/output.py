"""Rendering service results on the terminal (Rich) or as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ristra.core.validation_issues import ValidationReport

MAX_SHOWN = 200


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def error(message: str) -> None:
    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def report_issues(report: ValidationReport) -> None:
    out = console()
    if report.valid:
        out.print(f"[green]valid[/]: {report.row_count:,} rows of {report.dataset} "
                  f"({report.source_format}, {report.encoding})")
        return
    table = Table(title=f"{report.issue_total:,} problem(s) in {escape(report.source_name)} as {report.dataset}",
                  title_justify="left")
    for name in ("row", "column", "code", "message"):
        table.add_column(name, overflow="fold")
    for issue in report.issues[:MAX_SHOWN]:
        table.add_row("" if issue.row is None else str(issue.row), escape(issue.column or ""), issue.code,
                      escape(issue.message))
    out.print(table)
    if report.issue_total > MAX_SHOWN:
        out.print(f"… and {report.issue_total - MAX_SHOWN:,} more (use --json for the listed ones)")
    summary = ", ".join(f"{code} × {count}" for code, count in sorted(report.counts().items()))
    out.print(f"[red]invalid[/]: nothing was changed. Listed issues by reason: {summary}")


def rows_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console().print(table)
