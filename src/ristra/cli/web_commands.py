"""Commands of the web application: serve, createuser, createtoken."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from ristra.cli import output
from ristra.services.workspace import Workspace, resolve_data_dir


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the web application (production: needs RISTRA_SECRET_KEY)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument("--demo", action="store_true", help="demo mode: generated secret key, plain HTTP on loopback")
    p.set_defaults(handler=cmd_serve, needs_workspace=False)

    p = sub.add_parser("createuser", help="make a local account for the web application")
    p.add_argument("name")
    p.add_argument("--role", required=True, help="admin, analyst, viewer or coordinator")
    p.add_argument("--program", action="append", default=[], help="a program id a coordinator runs (repeatable)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    how.add_argument("--sso-only", action="store_true", help="no password: sign in through single sign-on only")
    p.set_defaults(handler=cmd_createuser, needs_workspace=False)

    p = sub.add_parser("createtoken", help="make an API token for a user (printed once)")
    p.add_argument("name", help="the user the token acts as")
    p.add_argument("--label", default="script", help="what the token is for")
    p.set_defaults(handler=cmd_createtoken, needs_workspace=False)


def _start(args: argparse.Namespace, demo: bool = False) -> bool:
    from ristra.web.config import UnsafeConfiguration, WebConfig
    from ristra.web.server import start

    try:
        config = WebConfig.from_environ(os.environ, demo=demo,
                                        data_dir=resolve_data_dir(getattr(args, "data_dir", None), os.environ))
    except UnsafeConfiguration as error:
        output.error(str(error))
        return False
    start(config)
    return True


def _announce(url: str) -> None:
    output.console(stderr=True).print(f"ristra is serving at {url} (Ctrl-C to stop)")


def cmd_serve(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.web.server import serve

    if not _start(args, demo=args.demo):
        return 2
    serve(args.host, args.port, args.threads, on_ready=_announce)
    return 0


def serve_demo(data_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> int:
    """The last step of ``ristra demo``: serve the demo with a fresh administrator password."""
    from ristra.web.server import demo_administrator, serve

    if not _start(argparse.Namespace(data_dir=str(data_dir)), demo=True):
        return 2
    name, password = demo_administrator()
    output.console().print(f"Demo administrator: user [bold]{name}[/], password [bold]{password}[/]")
    serve(host, port, on_ready=_announce)
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    if args.sso_only:
        return None
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ValueError("the passwords differ")
    return first


def cmd_createuser(args: argparse.Namespace, workspace: Workspace | None) -> int:
    if not _start(args):
        return 2
    from ristra.web import audit
    from ristra.web.models import AuditEvent
    from ristra.web.people import PersonError, create_person, parse_role

    try:
        role = parse_role(args.role)
        create_person(args.name, role, _read_password(args), args.program)
    except (PersonError, ValueError) as error:
        output.error(str(error))
        return 2
    audit.record(None, AuditEvent.USER_CHANGE, f"user {args.name}", actor=os.environ.get("USER", "cli"),
                 detail={"created": True, "role": role.value})
    output.console().print(f"user {args.name} created as {role.label}")
    return 0


def cmd_createtoken(args: argparse.Namespace, workspace: Workspace | None) -> int:
    if not _start(args):
        return 2
    from django.contrib.auth import get_user_model

    from ristra.web import audit
    from ristra.web.models import ApiToken, AuditEvent

    user = get_user_model().objects.filter(username=args.name, is_active=True).first()
    if user is None:
        output.error(f"no active user {args.name!r}; make one with `ristra createuser`")
        return 2
    record, secret = ApiToken.issue(user, args.label)
    audit.record(None, AuditEvent.TOKEN, f"token {record.pk} ({args.label}) for {args.name}",
                 actor=os.environ.get("USER", "cli"))
    print(secret)
    return 0
