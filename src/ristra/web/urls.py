"""The route table: every page, the API, and single sign-on when configured.

Each page view declares its access rule (:func:`ristra.web.access.allow`) and each API
operation its :class:`~ristra.web.access.RoleGate`; ``tests/web/test_access.py`` walks every
pattern here for every role and fails on a route without a rule.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, path

from ristra.web.access import allow
from ristra.web.api import url_patterns as api_url_patterns
from ristra.web.roles import EVERYONE
from ristra.web.views import (
    accounts,
    categories,
    dashboard,
    errors,
    imports,
    people,
    plans,
    programs,
    public,
    reports,
    review,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public.home, name="home"),
    path("about/", public.about, name="about"),
    path("health", public.health, name="health"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("account/", accounts.account, name="account"),
    path("account/password/", accounts.password_change, name="password_change"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("programs/", programs.programs_page, name="programs"),
    path("programs/<str:program_id>/", programs.program_detail, name="program_detail"),
    path("linkage/review/", review.review_queue_page, name="review_queue"),
    path("linkage/review/<str:roster_id>/<str:person_id>/", review.review_pair_page, name="review_pair"),
    path("imports/", imports.import_page, name="imports"),
    path("imports/<int:job_id>/", imports.import_job, name="import_job"),
    path("imports/<int:job_id>/confirm", imports.confirm_import, name="import_confirm"),
    path("imports/<int:job_id>/validate", imports.validate_again, name="import_validate_again"),
    path("snapshots/", imports.snapshots_page, name="snapshots"),
    path("categories/", categories.categories_page, name="categories"),
    path("categories/edit/", categories.categories_edit, name="categories_edit"),
    path("categories/<int:version>/", categories.category_version, name="category_version"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/<int:report_id>/download", reports.report_download, name="report_download"),
    path("plans/", plans.plans_page, name="plans"),
    path("plans/<str:plan_id>/", plans.plan_detail, name="plan_detail"),
    path("plans/<str:plan_id>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<str:plan_id>/scorecard/", plans.plan_scorecard, name="plan_scorecard"),
    path("plans/<str:plan_id>/scorecard.<str:file_format>", plans.scorecard_download, name="plan_scorecard_download"),
    path("plans/<str:plan_id>/measures/<str:measure_id>/", plans.plan_measure, name="plan_measure"),
    path("plans/<str:plan_id>/evidence/<str:sha256>/<str:name>", plans.plan_evidence, name="plan_evidence"),
    path("users/", people.users_page, name="users"),
    path("users/<str:name>/", people.user_detail, name="user_detail"),
    path("audit/", people.audit_page, name="audit"),
    path("api/", api_url_patterns()),
]

if getattr(settings, "RISTRA_SSO", False):
    from mozilla_django_oidc import views as oidc_views

    urlpatterns += [
        path("oidc/authenticate/", allow(EVERYONE)(oidc_views.OIDCAuthenticationRequestView.as_view()),
             name="oidc_authentication_init"),
        path("oidc/callback/", allow(EVERYONE)(oidc_views.OIDCAuthenticationCallbackView.as_view()),
             name="oidc_authentication_callback"),
    ]

handler400 = errors.bad_request
handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = errors.server_error

__all__ = ["urlpatterns"]
