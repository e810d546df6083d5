"""Django application configuration for ``ristra.web``."""

from __future__ import annotations

from django.apps import AppConfig


class RistraWebConfig(AppConfig):
    name = "ristra.web"
    label = "ristra_web"
    verbose_name = "ristra"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ristra.web import audit

        audit.connect_signals()
