"""A one-measure plan: the pipeline yield of program PP03 (its id ``yield-plan``, its measure
``M-YIELD``), for the parsing and the service tests of ``pipeline-yield`` measures."""

from __future__ import annotations

PLAN_ID = "yield-plan"
YIELD_PLAN = """\
plan: {id: yield-plan, title: A pipeline plan, cycle: "2025-26", start_year: 2025, end_year: 2030}
goals:
  - {id: G3, title: Pipeline programs, aligns_to: [UNM2040-G2]}
objectives:
  - {id: G3.1, parent: G3, title: Participants who apply, aligns_to: [HSC2018-G2]}
measures:
  - id: M-YIELD
    parent: G3.1
    title: Yield of PP03
    metric: {kind: pipeline-yield, program: PP03}
    direction: increase
    baseline: {year: 2016}
    target: {value: 0.4, year: 2030}
"""
