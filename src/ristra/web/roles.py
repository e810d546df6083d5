"""Roles and what each may do: the vocabulary every route's access rule is written in.

=============== ====================================================================
admin           users, tokens, the audit log — and everything an analyst does
analyst         imports, snapshots, categories, reports, internal-threshold data
viewer          dashboards and reports at the public threshold
coordinator     their own pipeline programs' rosters and outcomes only
planner         the strategic plan: new versions of its document; dashboards and reports like a viewer
anonymous       the login page and public pages only
=============== ====================================================================

The disclosure policy follows the role: analysts and administrators see internal-threshold
tables (k = 5), everyone else public-threshold tables (k = 11); a coordinator sees internal
tables of their own programs only (they run those programs and know their participants).
"""

from __future__ import annotations

from enum import StrEnum

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"
    COORDINATOR = "coordinator"
    PLANNER = "planner"
    ANONYMOUS = "anonymous"

    @property
    def label(self) -> str:
        return "program coordinator" if self is Role.COORDINATOR else self.value


#: Roles a person can be given (anonymous is the absence of a sign-in).
ASSIGNABLE: tuple[Role, ...] = (Role.ADMIN, Role.ANALYST, Role.VIEWER, Role.COORDINATOR, Role.PLANNER)

NOBODY: frozenset[Role] = frozenset()
EVERYONE: frozenset[Role] = frozenset(Role)
SIGNED_IN: frozenset[Role] = frozenset(ASSIGNABLE)
READERS: frozenset[Role] = frozenset({Role.ADMIN, Role.ANALYST, Role.VIEWER, Role.PLANNER})
ANALYSTS: frozenset[Role] = frozenset({Role.ADMIN, Role.ANALYST})
ADMINS: frozenset[Role] = frozenset({Role.ADMIN})
#: who may store a new version of a plan document (action owners update their own actions)
PLANNERS: frozenset[Role] = frozenset({Role.ADMIN, Role.PLANNER})
PROGRAM_STAFF: frozenset[Role] = frozenset({Role.ADMIN, Role.ANALYST, Role.COORDINATOR})
INTERNAL_ROLES: frozenset[Role] = ANALYSTS


def role_policy(role: Role) -> Policy:
    """The disclosure policy of the tables a role sees on dashboards and reports."""
    return INTERNAL if role in INTERNAL_ROLES else PUBLIC


def audiences_for(role: Role) -> tuple[str, ...]:
    """The report audiences a role may generate."""
    return ("public", "internal") if role in INTERNAL_ROLES else ("public",)
