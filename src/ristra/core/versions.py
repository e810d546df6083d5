"""Versioned documents (category definitions, plans): the rule that an edit names the version it
was made from, and is refused when that is no longer the current one."""

from __future__ import annotations


class StaleVersionError(RuntimeError):
    """The edit was based on a version that is no longer the current one (someone saved another
    meanwhile); nothing was written. Reload and edit again."""
