"""Institutional single sign-on through OpenID Connect (mozilla-django-oidc), enabled by the
``RISTRA_OIDC_*`` settings (:class:`ristra.web.config.OidcConfig`).

A person who signs in for the first time gets an account without a password and the default
role; when ``RISTRA_OIDC_ROLE_CLAIM`` names a claim whose value is a role name, that role is
applied at every sign-in (so the identity provider stays the source of truth).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ristra.web.people import USER_NAME, PersonError, change_person, create_person, parse_role, programs_of


def user_name_from(claims: dict[str, Any]) -> str:
    """The user name for a person's claims: ``preferred_username``, else the e-mail address."""
    name = str(claims.get("preferred_username") or claims.get("email") or "").strip()
    if not USER_NAME.fullmatch(name):
        raise PersonError("the identity provider sent no usable user name (preferred_username or email)")
    return name


def role_from(claims: dict[str, Any], default: str) -> str:
    claim = getattr(settings, "RISTRA_OIDC_ROLE_CLAIM", None)
    value = claims.get(claim) if claim else None
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v in ("admin", "analyst", "viewer", "coordinator")),
                     None)
    return str(value) if isinstance(value, str) and value else default


class RoleAssigningBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # mozilla-django-oidc has no types
    """Creates and updates local accounts from the identity provider's claims."""

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        try:
            name = user_name_from(claims)
        except PersonError:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username__iexact=name)

    def create_user(self, claims: dict[str, Any]) -> Any:
        role = parse_role(role_from(claims, settings.RISTRA_OIDC_DEFAULT_ROLE))
        return create_person(user_name_from(claims), role, None, email=str(claims.get("email") or ""))

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        if getattr(settings, "RISTRA_OIDC_ROLE_CLAIM", None):
            role = parse_role(role_from(claims, settings.RISTRA_OIDC_DEFAULT_ROLE))
            change_person(user, role, programs_of(user) if role.value == "coordinator" else (), user.is_active)
        return user
