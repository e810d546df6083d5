"""The web application (Django, used as the web layer only): sign-in and roles, dashboards,
the import flow, snapshots, categories, programs, reports, users and the audit log, and the
same pages as JSON through the API at ``/api/``.

Views are thin: they parse input, call a service (``ristra.services``, the snapshot and category
stores) and render the value it returns. Every table shown is a ``ReleasedTable`` released
under the viewer's policy (:mod:`ristra.web.roles`). Start it with ``ristra serve`` (production)
or ``ristra demo``; configuration is :class:`ristra.web.config.WebConfig`.
"""
