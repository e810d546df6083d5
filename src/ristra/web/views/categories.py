"""Category definitions: versions with their rationale; editing with a preview before saving."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ristra.core.categories import CategoryFileError, changes
from ristra.services import category_editing
from ristra.services.errors import StaleVersionError
from ristra.web import audit, publishing
from ristra.web.access import allow
from ristra.web.in_force import snapshots_in_force
from ristra.web.models import AuditEvent
from ristra.web.roles import ANALYSTS, READERS
from ristra.web.runtime import workspace


@allow(READERS)
def categories_page(request: HttpRequest) -> HttpResponse:
    store = workspace().categories
    versions = store.versions()
    return render(request, "ristra/categories.html", {"current": versions[-1], "versions": tuple(reversed(versions))})


@allow(READERS)
def category_version(request: HttpRequest, version: int) -> HttpResponse:
    store = workspace().categories
    try:
        shown = store.get(version)
    except KeyError:
        raise Http404(f"no category version {version}") from None
    previous = store.get(version - 1) if version > 1 else None
    return render(request, "ristra/category_version.html",
                  {"shown": shown, "changes": changes(previous, shown) if previous else ()})


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


@allow(ANALYSTS, change=ANALYSTS)
def categories_edit(request: HttpRequest) -> HttpResponse:
    """GET: the current definitions to edit. POST ``action=preview``: what would change and the
    counts; ``action=save``: a new version (refused if someone saved since the form was opened)."""
    ws = workspace()
    current = ws.categories.current()
    context: dict[str, object] = {"text": category_editing.editable_text(current), "based_on": current.version,
                                  "reason": "", "current": current}
    status = 200
    if request.method == "POST":
        text = request.POST.get("definitions", "")
        based_on = _int(request.POST.get("based_on", ""), 0)
        reason = request.POST.get("reason", "").strip()
        context.update(text=text, based_on=based_on, reason=reason)
        if request.POST.get("action") == "save":
            try:
                saved = category_editing.save(ws, text, request.user.get_username(), reason, based_on)
                publishing.start(ws)
            except StaleVersionError as error:
                context["error"] = str(error)
                status = 409
            except CategoryFileError as error:
                context["problems"] = error.problems
                status = 400
            except ValueError as error:
                context["error"] = str(error)
                status = 400
            else:
                audit.record(request, AuditEvent.CATEGORY_CHANGE, f"categories version {saved.version}",
                             snapshots=snapshots_in_force(ws), category_version=saved.version,
                             detail={"from_version": based_on, "reason": saved.reason,
                                     "changes": list(changes(current, saved))})
                context.update(saved=saved, text=category_editing.editable_text(saved), based_on=saved.version,
                               reason="", current=saved)
        else:
            result = category_editing.preview(ws, text, based_on)
            context["preview"] = result
            if not result.valid:
                context["problems"] = result.problems
                status = 400
    template = "ristra/categories_edit_result.html" if getattr(request, "htmx", False) else "ristra/categories_edit.html"
    return render(request, template, context, status=status)
