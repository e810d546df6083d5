"""Plan data shipped with ristra (YAML package data; see ``PROVENANCE.md``).

``parent_plans.yaml`` (UNM 2040 and the UNM Health Sciences plan) and ``accreditation.yaml``
(LCME 1.1, 3.3; ACGME) make the default :class:`~ristra.core.plan.ParentCatalogue`;
``demo_plan.yaml`` is the synthetic school's plan. The plan store
(:mod:`ristra.stores.plans`) reads them.
"""
