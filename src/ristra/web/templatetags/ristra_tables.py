"""Template tags: ``{% released_table_view table as view %}`` presents a released table."""

from __future__ import annotations

from django import template

from ristra.core.disclosure import ReleasedTable
from ristra.core.table_view import TableView

register = template.Library()


@register.simple_tag
def released_table_view(table: ReleasedTable) -> TableView:
    return TableView(table)
