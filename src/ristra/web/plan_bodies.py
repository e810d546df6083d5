"""The rendered bodies of the plan pages, kept per plan version and publication.

A scorecard's, a measure's and (for a reader with no action to update) the plan tree's body is
a function of the stored plan version, the scorecard version in the publication and the
publication itself — all immutable, and the publication's fingerprint differs by audience — so
it is rendered once and a warm page renders only its frame (navigation, the closed cycles and
anything that depends on the person asking). The key names every input of the body; a body that
depends on the person (an action update form, a refused update's message) is never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

_KEPT = 128
_BODIES: OrderedDict[Hashable, SafeString] = OrderedDict()
_LOCK = threading.Lock()


def body(key: Hashable | None, template: str, context: Callable[[], dict[str, Any]],
         request: HttpRequest | None = None) -> SafeString:
    """``template`` rendered with ``context()`` (called only when ``key`` is not kept yet). With
    ``key`` None the body depends on the person asking: it is rendered for ``request`` (its CSRF
    token) and not kept."""
    if key is None:
        return mark_safe(render_to_string(template, context(), request=request))  # noqa: S308 - Django-rendered
    with _LOCK:
        known = _BODIES.get(key)
        if known is not None:
            _BODIES.move_to_end(key)
            return known
    rendered = mark_safe(render_to_string(template, context()))  # noqa: S308 - Django-rendered, escaped
    with _LOCK:
        _BODIES[key] = rendered
        while len(_BODIES) > _KEPT:
            _BODIES.popitem(last=False)
    return rendered


def forget() -> None:
    """Drop every kept body (tests that change templates or settings)."""
    with _LOCK:
        _BODIES.clear()
