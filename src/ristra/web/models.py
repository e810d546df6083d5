"""App state kept in the Django database: people's roles, API tokens, the append-only audit
log, import jobs and the history of generated reports.

Datasets, snapshots and category versions stay in the data directory (the services own them);
the database holds only who did what.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models

from ristra.web.roles import ASSIGNABLE, Role

if TYPE_CHECKING:  # the auth models load only once Django is set up
    from django.contrib.auth.models import User

ROLE_CHOICES = [(r.value, r.label) for r in ASSIGNABLE]


class Profile(models.Model):
    """A person's role (and, for a program coordinator, the pipeline programs they run)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ristra_profile")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES, default=Role.VIEWER.value)
    programs = models.JSONField(default=list, blank=True, help_text="program_id values a coordinator may see")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class ApiToken(models.Model):
    """A token for scripts. Only its SHA-256 is stored; the token is shown once when made."""

    PREFIX = "ristra_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ristra_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token for ``user``: the stored record and the secret, to show once."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.digest_of(secret)), secret


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only: events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only: events cannot be deleted")


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, about what, over which snapshots.

    Append-only: saving an existing event, deleting one, or bulk-updating or deleting through a
    queryset raises ``PermissionError``; in the database itself triggers refuse UPDATE and DELETE
    (PostgreSQL and SQLite) and TRUNCATE (PostgreSQL), whoever sends the SQL.
    """

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    UPLOAD = "upload"
    IMPORT = "import"
    IMPORT_REFUSED = "import_refused"
    ROLLBACK = "rollback"
    CATEGORY_CHANGE = "category_change"
    REPORT = "report_generated"
    EXPORT = "export"
    INTERNAL_VIEW = "internal_view"
    USER_CHANGE = "user_change"
    TOKEN = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    PUBLICATION = "publication"
    PUBLICATION_FAILED = "publication_failed"
    PLAN_CHANGE = "plan_change"
    PLAN_ACTION_UPDATE = "plan_action_update"
    REVIEW_VIEW = "review_view"
    REVIEW_DECISION = "review_decision"
    ACTIONS: ClassVar[tuple[str, ...]] = (
        LOGIN, LOGIN_FAILED, LOGOUT, UPLOAD, IMPORT, IMPORT_REFUSED, ROLLBACK, CATEGORY_CHANGE, REPORT,
        EXPORT, INTERNAL_VIEW, USER_CHANGE, TOKEN, TOKEN_REVOKED, PUBLICATION, PUBLICATION_FAILED,
        PLAN_CHANGE, PLAN_ACTION_UPDATE, REVIEW_VIEW, REVIEW_DECISION,
    )

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150, db_index=True, help_text="user name, or '' when nobody signed in")
    role = models.CharField(max_length=20)
    action = models.CharField(max_length=30, choices=[(a, a) for a in ACTIONS], db_index=True)
    target = models.CharField(max_length=300, blank=True, help_text="what was acted on or viewed")
    snapshots = models.JSONField(default=dict, blank=True, help_text="dataset -> snapshot id in force")
    category_version = models.IntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    via = models.CharField(max_length=10, default="web", help_text="web, api or cli")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only: events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only: events cannot be deleted")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk, "at": self.at.isoformat(), "actor": self.actor, "role": self.role,
            "action": self.action, "target": self.target, "snapshots": self.snapshots,
            "category_version": self.category_version, "detail": self.detail, "via": self.via,
        }


class ImportJob(models.Model):
    """One upload on its way to a snapshot: staged → validated (or invalid) → imported (or
    refused because another import of the dataset was running, in which case it can be retried)."""

    STAGED = "staged"
    VALIDATING = "validating"
    INVALID = "invalid"
    VALID = "valid"
    IMPORTING = "importing"
    IMPORTED = "imported"
    BUSY = "busy"
    FAILED = "failed"
    STATES = (STAGED, VALIDATING, INVALID, VALID, IMPORTING, IMPORTED, BUSY, FAILED)

    dataset = models.CharField(max_length=40)
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    staged_path = models.CharField(max_length=1000)
    uploaded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    state = models.CharField(max_length=20, choices=[(s, s) for s in STATES], default=STAGED)
    message = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    snapshot_id = models.CharField(max_length=80, blank=True)
    step = models.CharField(max_length=100, blank=True, help_text="what a background job is doing")
    progress = models.FloatField(null=True, blank=True, help_text="percent done, as DuckDB estimates it")
    extract_start = models.DateField(null=True, blank=True,
                                     help_text="the first day the extract covers, as the upload declared it")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    @property
    def finished(self) -> bool:
        return self.state in (self.INVALID, self.VALID, self.IMPORTED, self.BUSY, self.FAILED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk, "dataset": self.dataset, "file_name": self.file_name, "size": self.size,
            "uploaded_by": self.uploaded_by, "created_at": self.created_at.isoformat(), "state": self.state,
            "message": self.message, "report": self.report, "snapshot_id": self.snapshot_id or None,
            "step": self.step or None, "progress": self.progress,
            "extract_start": self.extract_start.isoformat() if self.extract_start else None,
        }


class ReportRecord(models.Model):
    """A generated report: what, for whom, over which snapshots and category version, and the file."""

    template = models.CharField(max_length=100)
    template_version = models.CharField(max_length=40, blank=True)
    audience = models.CharField(max_length=20)
    file_format = models.CharField(max_length=10)
    generated_by = models.CharField(max_length=150)
    generated_at = models.DateTimeField(auto_now_add=True)
    snapshots = models.JSONField(default=dict, blank=True)
    category_version = models.IntegerField(null=True, blank=True)
    suppression = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=1000)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-generated_at", "-id"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk, "template": self.template, "template_version": self.template_version,
            "audience": self.audience, "format": self.file_format, "generated_by": self.generated_by,
            "generated_at": self.generated_at.isoformat(), "snapshots": self.snapshots,
            "category_version": self.category_version, "suppression": self.suppression,
            "sha256": self.sha256, "size": self.size,
        }
