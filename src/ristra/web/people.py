"""People who use the application: their role, their programs, creating and changing them.

Used by the users page, the API, single sign-on and ``ristra createuser``. A user without a
profile (e.g. made by hand in the database) has no role and is treated as anonymous: deny by
default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ristra.web.roles import ASSIGNABLE, Role

if TYPE_CHECKING:  # the auth models load only once Django is set up
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import Model

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")


class PersonError(ValueError):
    """A person cannot be created or changed as asked; the message says why."""


def role_of(user: User | AnonymousUser | None) -> Role:
    """The role of a (possibly anonymous) user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Role.ANONYMOUS
    try:
        return Role(user.ristra_profile.role)
    except Exception:  # no profile, or an unknown value stored by hand
        return Role.ANONYMOUS


def programs_of(user: User | AnonymousUser | None) -> tuple[str, ...]:
    """The pipeline programs a coordinator runs (empty for everyone else)."""
    if role_of(user) is not Role.COORDINATOR:
        return ()
    return tuple(str(p) for p in (user.ristra_profile.programs or ()))  # type: ignore[union-attr]  # a coordinator is a User


def signed_in(user: User | AnonymousUser) -> User:
    """The user of a page or API operation whose access rule admits only people who are signed in
    (``request.user`` there is never anonymous; if it were, the request is refused)."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    if isinstance(user, AnonymousUser):
        raise PermissionDenied("sign in first")
    return user


def parse_role(text: str) -> Role:
    value = text.strip().lower().replace("program coordinator", "coordinator").replace("program_coordinator",
                                                                                         "coordinator")
    try:
        role = Role(value)
    except ValueError:
        role = Role.ANONYMOUS
    if role not in ASSIGNABLE:
        raise PersonError(f"unknown role {text!r}; choose one of: {', '.join(r.value for r in ASSIGNABLE)}")
    return role


def _clean_programs(role: Role, programs: Sequence[str]) -> list[str]:
    cleaned = sorted({p.strip() for p in programs if p and p.strip()})
    if role is Role.COORDINATOR and not cleaned:
        raise PersonError("a program coordinator needs at least one program id (e.g. --program PRG001)")
    if role is not Role.COORDINATOR and cleaned:
        raise PersonError("only a program coordinator is given programs")
    return cleaned


def create_person(name: str, role: Role, password: str | None, programs: Sequence[str] = (),
                  email: str = "") -> User:
    """A new active user with ``role``. ``password`` None makes an account that can sign in only
    through single sign-on. Raises :class:`PersonError` with the reasons."""
    from ristra.web.models import Profile

    if not USER_NAME.fullmatch(name or ""):
        raise PersonError("a user name is 1-150 letters, digits and . _ @ + -, starting with a letter or digit")
    model = get_user_model()
    if model.objects.filter(username__iexact=name).exists():
        raise PersonError(f"user {name!r} already exists")
    cleaned = _clean_programs(role, programs)
    user = model(username=name, email=email)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise PersonError("the password is not accepted: " + " ".join(error.messages)) from None
        user.set_password(password)
    with transaction.atomic(using=_db(model)):
        user.save()
        Profile.objects.create(user=user, role=role.value, programs=cleaned)
    return user


def change_person(user: User, role: Role, programs: Sequence[str] = (), active: bool = True) -> User:
    """Set a person's role, programs and whether they may sign in."""
    from ristra.web.models import Profile

    cleaned = _clean_programs(role, programs)
    with transaction.atomic(using=_db(type(user))):
        profile, _ = Profile.objects.get_or_create(user=user)
        profile.role = role.value
        profile.programs = cleaned
        profile.save()
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


def _db(model: type[Model]) -> str:
    from django.db import router

    return router.db_for_write(model) or "default"


def describe(user: User) -> dict[str, Any]:
    profile = getattr(user, "ristra_profile", None)
    return {"name": user.get_username(), "role": profile.role if profile is not None else None, "programs": list(profile.programs if profile is not None else ()),
            "active": user.is_active, "sso_only": not user.has_usable_password(),
            "last_login": user.last_login.isoformat() if user.last_login else None}
