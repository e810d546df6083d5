"""Ownership, view by view: every page and API route that takes a program id — found by walking
the URL configuration, so a new program view is covered the day it is added — answers a program
coordinator for their own program and 404 for any other (as if it did not exist), and answers an
analyst for every program. The coordinator of the test school runs PP01 (tests/web/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

OWN, OTHER = "PP01", "PP02"


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "program_id" in route:
            found.append(route)
    return found


def program_routes() -> list[str]:
    """Every route with a program id, as a path with ``{program}`` in its place."""
    import re

    routes = sorted(set(_routes(get_resolver().url_patterns)))
    return ["/" + re.sub(r"<(?:\w+:)?program_id>", "{program}", r).lstrip("^").rstrip("$") for r in routes]


def test_the_walk_finds_the_program_pages_and_api() -> None:
    routes = program_routes()
    assert "/programs/{program}/" in routes
    assert "/api/programs/{program}" in routes
    assert "/api/programs/{program}/outcomes" in routes


@pytest.mark.parametrize("route", program_routes())
def test_each_program_route_answers_its_programs_staff_only(route: str, client_as: Any,
                                                           shared_data_dir: Path) -> None:
    """The GETs change no data, so the shared school serves them (its publication built once)."""
    coordinator = client_as("coordinator")
    assert coordinator.get(route.format(program=OTHER)).status_code == 404
    assert coordinator.get(route.format(program=OWN)).status_code == 200
    assert client_as("analyst").get(route.format(program=OTHER)).status_code == 200
    assert client_as("viewer").get(route.format(program=OWN)).status_code in (403, 404)
