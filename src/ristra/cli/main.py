"""Entry point of the ``ristra`` command.

Exit codes: 0 success; 1 invalid input (issues listed); 2 unusable request (unreadable file,
unknown dataset, bad column map, an import already running, unknown snapshot); 3 an
internal error (set ``RISTRA_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ristra import __version__
from ristra.cli import (
    data_commands,
    link_commands,
    metric_commands,
    output,
    plan_commands,
    report_commands,
    web_commands,
)
from ristra.core.categories import CategoryFileError
from ristra.core.columnmap import ColumnMapError
from ristra.core.datasets import UnknownDataset
from ristra.core.metrics.errors import MetricError
from ristra.services.errors import SnapshotError, UnreadableFile
from ristra.services.workspace import Settings, Workspace, resolve_data_dir
from ristra.web import cli_audit

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    UnknownDataset, ColumnMapError, UnreadableFile, SnapshotError, FileNotFoundError, PermissionError,
    MetricError, CategoryFileError,
)


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--data-dir", default=default,
                        help="data directory (default: $RISTRA_DATA_DIR, else ./ristra-data)")
    parser.add_argument("--user", default=default, help="who is acting (recorded in snapshots; default: $USER)")


def build_parser() -> argparse.ArgumentParser:
    """The command line. ``--data-dir`` and ``--user`` may come before or after the command
    (``ristra --data-dir d import ...`` or ``ristra import ... --data-dir d``)."""
    parser = argparse.ArgumentParser(prog="ristra", description="ristra: an honest, disclosure-safe picture "
                                     "of whom a medical school trains and employs.")
    parser.add_argument("--version", action="version", version=f"ristra {__version__}")
    _global_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)  # given after the command, it overrides; else the one before
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_command = sub.add_parser

    def with_global_options(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs["parents"] = [*kwargs.get("parents", ()), common]
        return add_command(name, **kwargs)

    sub.add_parser = with_global_options  # type: ignore[method-assign]
    data_commands.add_parsers(sub)
    metric_commands.add_parsers(sub)
    report_commands.add_parsers(sub)
    plan_commands.add_parsers(sub)
    link_commands.add_parsers(sub)
    web_commands.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        workspace = None
        if args.needs_workspace:
            settings = Settings(data_dir=resolve_data_dir(args.data_dir, os.environ),
                                user=args.user or os.environ.get("USER") or "ristra")
            workspace = Workspace(settings)
            before = cli_audit.published(workspace)
            try:
                return int(args.handler(args, workspace))
            finally:  # imports, rollbacks, category versions: into the app's audit log, even on an error
                _record(before, workspace)
        return int(args.handler(args, workspace))
    except EXPECTED_ERRORS as error:
        message = str(error).strip("'\"") if not isinstance(error, OSError) else f"{error.strerror}: {error.filename}"
        output.error(message)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        output.error("interrupted; nothing was published")
        return 130
    except Exception as error:  # the last line of defence: never a traceback for a user
        if os.environ.get("RISTRA_DEBUG"):
            raise
        output.error(f"internal error ({type(error).__name__}); nothing was published. "
                     "Set RISTRA_DEBUG=1 to see the traceback.")
        return 3


def _record(before: cli_audit.Published, workspace: Workspace) -> None:
    try:
        cli_audit.record_changes(before, workspace, os.environ)
    except Exception as error:  # the change is made; say loudly that its record is missing
        if os.environ.get("RISTRA_DEBUG"):
            raise
        output.error(f"the change is made but could not be written to the audit log ({type(error).__name__}: "
                     f"{error}); record it by hand")


if __name__ == "__main__":
    sys.exit(main())
