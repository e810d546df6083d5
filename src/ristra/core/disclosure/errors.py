"""Errors raised by disclosure control."""

from __future__ import annotations


class PolicyError(ValueError):
    """A disclosure policy is malformed (e.g. a threshold below 1)."""


class DisclosureError(RuntimeError):
    """A release cannot be made safe, or its audit found a suppressed cell an attacker can
    narrow more than the policy allows. Nothing is released when this is raised."""
