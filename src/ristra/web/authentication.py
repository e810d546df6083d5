"""Who is signed in: Django's model backend, loading the user's ristra profile (the role) in the
same query, since every page asks for the role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

if TYPE_CHECKING:  # the auth models load only once Django is set up
    from django.contrib.auth.models import User


class ProfileBackend(ModelBackend):
    """:class:`ModelBackend` whose ``get_user`` joins the profile: one query per request instead of
    two. Authentication (passwords, active users) is ModelBackend's, unchanged."""

    def get_user(self, user_id: Any) -> User | None:  # user_id: whatever the session stored
        model = get_user_model()
        try:
            user = model._default_manager.select_related("ristra_profile").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
