"""Pages anyone may open: the start page, about, and the health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ristra.web.access import allow
from ristra.web.in_force import overview
from ristra.web.roles import EVERYONE
from ristra.web.runtime import workspace


@allow(EVERYONE)
def home(request: HttpRequest) -> HttpResponse:
    summary = overview(workspace()) if request.user.is_authenticated else None
    return render(request, "ristra/home.html", {"overview": summary})


@allow(EVERYONE)
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "ristra/about.html")


@allow(EVERYONE)
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
