"""The generation context shared by every dataset family: the seed's streams, the configuration,
the time window, the size factor, and references to people across datasets.

A person is fully determined by (index, population, reference year): :class:`PersonRefs` carries
those three aligned arrays, so a student, a resident who graduated from the school, and a faculty
member who trained here all resolve to the very same demographics as their application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ristra.synth import tables as tb
from ristra.synth.config import SchoolConfig
from ristra.synth.people import (
    APPLICANTS,
    FACULTY,
    PARTICIPANTS,
    PHYSICIANS,
    STAFF,
    People,
    Population,
    draw_people,
)
from ristra.synth.randomness import IntArray, Streams

APPLICANT, PHYSICIAN, FACULTY_MEMBER, STAFF_MEMBER, PARTICIPANT = range(5)

#: First person index of each population's own range (applicants start at 1).
INDEX_BASE = {PHYSICIAN: 400_000_000, FACULTY_MEMBER: 500_000_000, STAFF_MEMBER: 600_000_000, PARTICIPANT: 700_000_000}


@dataclass(frozen=True)
class PersonRefs:
    """Aligned arrays naming people: index, population code and reference year (the year their
    age is counted from: the year before a first application, a residency start, a hire)."""

    idx: IntArray
    population: IntArray
    reference_year: IntArray

    def __len__(self) -> int:
        return int(self.idx.shape[0])

    def take(self, rows: IntArray | np.ndarray) -> PersonRefs:
        return PersonRefs(self.idx[rows], self.population[rows], self.reference_year[rows])

    @staticmethod
    def of(idx: IntArray, population: int, reference_year: IntArray | int) -> PersonRefs:
        idx = np.asarray(idx, dtype=np.int64)
        return PersonRefs(
            idx,
            np.full(idx.shape[0], population, dtype=np.int64),
            np.broadcast_to(np.asarray(reference_year, dtype=np.int64), idx.shape).copy(),
        )

    @staticmethod
    def concat(parts: Sequence[PersonRefs]) -> PersonRefs:
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return PersonRefs(empty, empty, empty)
        return PersonRefs(
            np.concatenate([p.idx for p in parts]),
            np.concatenate([p.population for p in parts]),
            np.concatenate([p.reference_year for p in parts]),
        )


@dataclass(frozen=True)
class Window:
    """Years covered: application cycles ``first_cycle``..``last_cycle``; workforce and training
    records from 1 January of ``workforce_start_year``; nothing dated after ``as_of_day``
    (31 December of the last cycle)."""

    first_cycle: int
    last_cycle: int
    workforce_start_year: int

    @property
    def as_of_day(self) -> int:
        return tb.day_number(self.last_cycle, 12, 31)

    @property
    def start_day(self) -> int:
        return tb.day_number(self.workforce_start_year, 1, 1)


class School:
    """Streams, configuration, window and size of one generation run."""

    def __init__(self, seed: int, config: SchoolConfig, window: Window, size: float) -> None:
        self.streams = Streams(seed)
        self.config = config
        self.window = window
        self.size = size
        self.populations: dict[int, Population] = {
            APPLICANT: dataclasses.replace(
                APPLICANTS, in_state_share=config.in_state_share, female_share=config.female_share_applicants
            ),
            PHYSICIAN: PHYSICIANS,
            FACULTY_MEMBER: dataclasses.replace(FACULTY, female_share=config.female_share_faculty),
            STAFF_MEMBER: STAFF,
            PARTICIPANT: PARTICIPANTS,
        }

    def scaled(self, count: float) -> int:
        """A default-size count scaled to this run's size (at least 1)."""
        return max(1, round(count * self.size))

    def scaled_counts(self, counts: np.ndarray, idx: IntArray, stream: str) -> IntArray:
        """Scale counts with stochastic rounding keyed by ``idx`` (so the mean is exact)."""
        x = np.asarray(counts, dtype=np.float64) * self.size
        base = np.floor(x)
        return (base + (self.streams.uniform(idx, stream) < x - base)).astype(np.int64)

    def people(self, refs: PersonRefs) -> People:
        """The demographics of the referenced people, in order."""
        n = len(refs)
        if n == 0:
            return draw_people(self.streams, refs.idx, self.populations[APPLICANT], 2000)
        groups = []
        order = []
        for code, population in self.populations.items():
            rows = np.flatnonzero(refs.population == code)
            if rows.size:
                groups.append(draw_people(self.streams, refs.idx[rows], population, refs.reference_year[rows]))
                order.append(rows)
        if len(groups) == 1:
            return groups[0]
        position = np.concatenate(order)
        inverse = np.empty(n, dtype=np.int64)
        inverse[position] = np.arange(n)
        merged = {
            name: np.concatenate([getattr(g, name) for g in groups])[inverse] for name in People.__dataclass_fields__
        }
        return People(**merged)
