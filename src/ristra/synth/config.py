"""The knobs of the synthetic school: funnel rates, population mixes and the *disparities* the
generator plants so that analyses have something true to find.

A disparity is a relative-rate multiplier for a group at a stage: ``{"interview": {"rural": 1.3}}``
makes rural applicants 1.3 times as likely to be interviewed as otherwise-identical applicants.
Multipliers of several groups multiply. Probabilities are capped at 0.98. With
``normalise_disparities`` (the default) each stage's base rate is rescaled so that the overall
stage rate stays at its configured value whatever the multipliers: the multipliers move rates
*between* groups, not the size of the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Groups a disparity or retention multiplier can name. Each is a predicate over a person's true
#: attributes (see :func:`ristra.synth.people.group_masks`).
GROUPS: tuple[str, ...] = (
    "female",
    "male",
    "hispanic",
    "american_indian_alaska_native",
    "black",
    "asian",
    "white_non_hispanic",
    "urm",
    "rural",
    "in_state",
    "out_of_state",
    "first_generation",
    "low_ses",
    "pell_recipient",
)

#: Stages of the admissions funnel a disparity can act on.
STAGES: tuple[str, ...] = ("complete", "interview", "offer", "decline")

Multipliers = Mapping[str, float]


def _frozen(mapping: Mapping[str, float]) -> Multipliers:
    return MappingProxyType(dict(mapping))


def _default_disparities() -> Mapping[str, Multipliers]:
    return MappingProxyType(
        {
            "interview": _frozen({"rural": 1.3}),
            "offer": _frozen({"first_generation": 0.85}),
        }
    )


@dataclass(frozen=True)
class SchoolConfig:
    """Everything about the synthetic school except its size, seed and years.

    Rates are probabilities (0..1) at the default size; counts (faculty, staff, residency
    positions, program rosters) are at the default size of 1,700 applications a cycle and scale
    linearly with ``applications_per_cycle``.
    """

    # Applicants
    in_state_share: float = 0.40
    female_share_applicants: float = 0.55
    pa_program_share: float = 0.12
    reapply_probability: float = 0.15
    third_attempt_probability: float = 0.25

    # Funnel
    completion_rate: float = 0.90
    interview_rate_in_state: float = 0.33
    interview_rate_out_of_state: float = 0.045
    offer_rate: float = 0.45
    waitlist_rate: float = 0.35
    waitlist_offer_rate: float = 0.25
    decline_rate_in_state: float = 0.08
    decline_rate_out_of_state: float = 0.35
    disparities: Mapping[str, Multipliers] = field(default_factory=_default_disparities)
    normalise_disparities: bool = True
    #: Share of first-time in-state applicants who took part in a pipeline program, and their
    #: interview-rate multiplier (the programs' true effect, for outcome analyses to find).
    pipeline_share_in_state: float = 0.08
    pipeline_interview_multiplier: float = 1.25

    # Students (share of matriculants)
    student_attrition_rate: float = 0.035
    student_leave_rate: float = 0.05
    student_attrition: Multipliers = field(default_factory=lambda: _frozen({"first_generation": 1.6}))

    # Residents and fellows
    own_graduates_in_residency: float = 0.20
    trainee_attrition_rate: float = 0.04

    # Workforce
    faculty_headcount: int = 1200
    staff_headcount: int = 1500
    workforce_years: int = 15
    female_share_faculty: float = 0.50
    faculty_separation_rate: float = 0.07
    staff_separation_rate: float = 0.11
    faculty_retention: Multipliers = field(default_factory=lambda: _frozen({"urm": 1.3, "female": 1.1}))
    promotion_rate: float = 0.12
    promotion: Multipliers = field(default_factory=lambda: _frozen({"female": 0.9}))
    leadership_rate: float = 0.15
    leadership: Multipliers = field(default_factory=lambda: _frozen({"female": 0.8}))
    school_name: str = "Synthetic New Mexico School of Medicine"

    # Pipeline programs
    participants_per_program_year: int = 40
    participant_typo_rate: float = 0.30

    def __post_init__(self) -> None:
        for stage, groups in self.disparities.items():
            if stage not in STAGES:
                raise ValueError(f"unknown disparity stage {stage!r}; choose from {', '.join(STAGES)}")
            self._check_multipliers(f"disparities[{stage}]", groups)
        self._check_multipliers("student_attrition", self.student_attrition)
        self._check_multipliers("faculty_retention", self.faculty_retention)
        self._check_multipliers("promotion", self.promotion)
        self._check_multipliers("leadership", self.leadership)
        frozen = MappingProxyType({s: _frozen(g) for s, g in self.disparities.items()})
        object.__setattr__(self, "disparities", frozen)
        for name in ("student_attrition", "faculty_retention", "promotion", "leadership"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        for name in (
            "in_state_share",
            "female_share_applicants",
            "pa_program_share",
            "reapply_probability",
            "third_attempt_probability",
            "completion_rate",
            "interview_rate_in_state",
            "interview_rate_out_of_state",
            "offer_rate",
            "waitlist_rate",
            "waitlist_offer_rate",
            "decline_rate_in_state",
            "decline_rate_out_of_state",
            "student_attrition_rate",
            "student_leave_rate",
            "own_graduates_in_residency",
            "trainee_attrition_rate",
            "female_share_faculty",
            "faculty_separation_rate",
            "staff_separation_rate",
            "promotion_rate",
            "leadership_rate",
            "pipeline_share_in_state",
            "participant_typo_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, not {value}")

    @staticmethod
    def _check_multipliers(where: str, groups: Mapping[str, float]) -> None:
        for group, multiplier in groups.items():
            if group not in GROUPS:
                raise ValueError(f"{where}: unknown group {group!r}; choose from {', '.join(GROUPS)}")
            if not multiplier > 0:
                raise ValueError(f"{where}[{group}]: a multiplier must be positive, not {multiplier}")

    def stage_multipliers(self, stage: str) -> Multipliers:
        """The configured multipliers of one funnel stage (empty when none)."""
        return self.disparities.get(stage, MappingProxyType({}))
