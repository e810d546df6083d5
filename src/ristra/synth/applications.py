"""Applications: one row per person per cycle, with the admissions funnel.

Who applies
-----------
Each cycle brings a contiguous range of new person indices. A person decides up front how many
times they will try (1, 2 or 3 consecutive cycles) and stops early once they matriculate or decline
an offer. Persons whose first try was one or two cycles *before* the window also reapply into the
first cycles, so every cycle has about ``applications_per_cycle`` rows. The reapplicants of the next
cycle are the only state carried between cycles (a list of person indices), so memory is bounded
by the chunk size, not by the number of rows.

The funnel
----------
completed → interviewed → offered (directly, or from the wait list) → declined or matriculated.
Stage probabilities are the configured base rates (interview depends on in-state residence; decline
too) times the product of the configured group multipliers (:class:`~ristra.synth.config.SchoolConfig`
``disparities``) and the pipeline-program effect. With ``normalise_disparities`` the base rate is
divided by the mean multiplier among those at risk (estimated once on a calibration sample of the
same population), so the overall rates stay at their configured values and the multipliers show up
as rate *ratios* between otherwise-identical groups.

Dates: applied 1 June – 28 October of the year before entry; interviewed 30–180 days later;
offered 10–70 days after the interview (from the wait list 60–150 days, by 31 July at the latest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ristra.core import vocabularies as v
from ristra.synth import tables as tb
from ristra.synth.config import SchoolConfig
from ristra.synth.people import APPLICANTS, YES, People, Population, draw_people, multiplier
from ristra.synth.randomness import BoolArray, FloatArray, IntArray, Streams

PROGRAMS: tuple[str, ...] = ("MD", "PA")
MD, PA = 0, 1
CALIBRATION_SIZE = 40_000
_CALIBRATION_OFFSET = 1 << 40
_CAP = 0.98
_EXPECTED_END = 0.07  # chance that an application ends in matriculation or a declined offer

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Stages:
    """Outcome flags and dates of a chunk of applications."""

    completed: BoolArray
    interviewed: BoolArray
    offered: BoolArray
    declined: BoolArray
    waitlisted: BoolArray
    matriculated: BoolArray
    application_day: IntArray
    interview_day: IntArray
    offer_day: IntArray


@dataclass
class ApplicantRecord:
    """What later datasets need from the applications, kept small: for each matriculant and each
    pipeline-program alumnus, the person index, the cycle of their first application (which fixes
    their birth year) and, for matriculants, the cycle, program and application id number."""

    matriculant_idx: list[IntArray] = field(default_factory=list)
    matriculant_first_cycle: list[IntArray] = field(default_factory=list)
    matriculant_cycle: list[IntArray] = field(default_factory=list)
    matriculant_program: list[IntArray] = field(default_factory=list)
    matriculant_seq: list[IntArray] = field(default_factory=list)
    pipeline_idx: list[IntArray] = field(default_factory=list)
    pipeline_first_cycle: list[IntArray] = field(default_factory=list)
    rows: int = 0
    rows_by_cycle: dict[int, int] = field(default_factory=dict)

    def matriculants(self) -> dict[str, IntArray]:
        """The matriculants as aligned arrays (idx, first_cycle, cycle, program, seq)."""
        parts = {
            "idx": self.matriculant_idx,
            "first_cycle": self.matriculant_first_cycle,
            "cycle": self.matriculant_cycle,
            "program": self.matriculant_program,
            "seq": self.matriculant_seq,
        }
        return {k: np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for k, p in parts.items()}

    def pipeline_alumni(self) -> tuple[IntArray, IntArray]:
        """Applicants who took part in a pipeline program: (idx, first cycle)."""
        if not self.pipeline_idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(self.pipeline_idx), np.concatenate(self.pipeline_first_cycle)


@dataclass(frozen=True)
class Calibration:
    """Mean multiplier among those at risk of each stage (1.0 when not normalising)."""

    complete: float
    interview_in_state: float
    interview_out_of_state: float
    offer: float
    decline_in_state: float
    decline_out_of_state: float


class ApplicationFunnel:
    """Draws applicants and their funnel outcomes for one seed and configuration."""

    def __init__(self, streams: Streams, config: SchoolConfig, population: Population | None = None) -> None:
        self.streams = streams
        self.config = config
        self.population: Population = population or dataclasses.replace(
            APPLICANTS, in_state_share=config.in_state_share, female_share=config.female_share_applicants
        )
        self.calibration = self._calibrate()

    # -- people -----------------------------------------------------------------------------
    def people(self, idx: IntArray, first_cycle: IntArray | int) -> People:
        """The applicants at ``idx`` (ages as of the year before their first cycle)."""
        return draw_people(self.streams, idx, self.population, np.asarray(first_cycle) - 1)

    def attempts(self, idx: IntArray) -> IntArray:
        """How many consecutive cycles each person is prepared to apply in (1, 2 or 3)."""
        u = self.streams.uniform(idx, "applicant.attempts")
        c = self.config
        return np.where(u < c.reapply_probability * c.third_attempt_probability, 3, np.where(u < c.reapply_probability, 2, 1))

    def program(self, idx: IntArray) -> IntArray:
        """The program each person applies to (the same every cycle)."""
        return np.where(self.streams.chance(idx, "applicant.program", self.config.pa_program_share), PA, MD)

    def pipeline(self, people: People) -> BoolArray:
        """Whether each person took part in a pipeline program before applying (in-state only)."""
        share = self.config.pipeline_share_in_state
        return people.in_state_truth & self.streams.chance(people.idx, "applicant.pipeline", share)

    # -- probabilities ---------------------------------------------------------------------------
    def _multipliers(self, people: People, stage: str) -> FloatArray:
        m = multiplier(people, self.config.stage_multipliers(stage))
        if stage == "interview":
            m = m * np.where(self.pipeline(people), self.config.pipeline_interview_multiplier, 1.0)
        return m

    def _raw(self, people: People) -> dict[str, FloatArray]:
        c = self.config
        in_state = people.in_state_truth
        return {
            "complete": np.full(len(people), c.completion_rate) * self._multipliers(people, "complete"),
            "interview": np.where(in_state, c.interview_rate_in_state, c.interview_rate_out_of_state)
            * self._multipliers(people, "interview"),
            "offer": np.full(len(people), c.offer_rate) * self._multipliers(people, "offer"),
            "decline": np.where(in_state, c.decline_rate_in_state, c.decline_rate_out_of_state)
            * self._multipliers(people, "decline"),
        }

    def _calibrate(self) -> Calibration:
        if not self.config.normalise_disparities:
            return Calibration(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
        idx = np.arange(CALIBRATION_SIZE, dtype=np.int64) + _CALIBRATION_OFFSET
        people = self.people(idx, 2000)
        ins = people.in_state_truth
        m = {s: self._multipliers(people, s) for s in ("complete", "interview", "offer", "decline")}
        c = self.config
        p_complete = np.minimum(c.completion_rate * m["complete"] / m["complete"].mean(), _CAP)
        base_interview = np.where(ins, c.interview_rate_in_state, c.interview_rate_out_of_state)
        w_interview = p_complete
        norm_in = np.average(m["interview"][ins], weights=w_interview[ins])
        norm_out = np.average(m["interview"][~ins], weights=w_interview[~ins])
        p_interview = np.minimum(base_interview * m["interview"] / np.where(ins, norm_in, norm_out), _CAP)
        w_offer = p_complete * p_interview
        norm_offer = np.average(m["offer"], weights=w_offer)
        w_decline = w_offer * np.minimum(c.offer_rate * m["offer"] / norm_offer, _CAP)
        return Calibration(
            complete=float(m["complete"].mean()),
            interview_in_state=float(norm_in),
            interview_out_of_state=float(norm_out),
            offer=float(norm_offer),
            decline_in_state=float(np.average(m["decline"][ins], weights=w_decline[ins])),
            decline_out_of_state=float(np.average(m["decline"][~ins], weights=w_decline[~ins])),
        )

    def probabilities(self, people: People) -> dict[str, FloatArray]:
        """Per-person probability of each stage given the previous one."""
        raw = self._raw(people)
        cal = self.calibration
        ins = people.in_state_truth
        norm = {
            "complete": np.full(len(people), cal.complete),
            "interview": np.where(ins, cal.interview_in_state, cal.interview_out_of_state),
            "offer": np.full(len(people), cal.offer),
            "decline": np.where(ins, cal.decline_in_state, cal.decline_out_of_state),
        }
        return {stage: np.minimum(raw[stage] / norm[stage], _CAP) for stage in raw}

    # -- outcomes ----------------------------------------------------------------------------
    def stages(self, people: People, cycle: int) -> Stages:
        """Funnel outcomes and dates for ``people`` applying in ``cycle``."""
        key = people.idx * 512 + (cycle % 512)
        s = self.streams
        p = self.probabilities(people)
        c = self.config
        completed = s.uniform(key, "app.complete") < p["complete"]
        interviewed = completed & (s.uniform(key, "app.interview") < p["interview"])
        direct = interviewed & (s.uniform(key, "app.offer") < p["offer"])
        waitlisted = interviewed & ~direct & s.chance(key, "app.waitlist", c.waitlist_rate)
        from_waitlist = waitlisted & s.chance(key, "app.waitlist.offer", c.waitlist_offer_rate)
        offered = direct | from_waitlist
        declined = offered & (s.uniform(key, "app.decline") < p["decline"])
        matriculated = offered & ~declined

        applied = tb.day_number(cycle - 1, 6, 1) + s.integers(key, "app.date", 0, 150)
        interview = applied + s.integers(key, "app.interview.date", 30, 181)
        offer_direct = interview + s.integers(key, "app.offer.date", 10, 71)
        offer_late = interview + s.integers(key, "app.offer.late", 60, 151)
        offer = np.minimum(np.where(from_waitlist, offer_late, offer_direct), tb.day_number(cycle, 7, 31))
        return Stages(completed, interviewed, offered, declined, waitlisted, matriculated, applied, interview, offer)


def new_per_cycle(applications_per_cycle: int, config: SchoolConfig) -> int:
    """New applicants per cycle such that new + reapplicants ≈ ``applications_per_cycle``."""
    p2 = config.reapply_probability
    p3 = p2 * config.third_attempt_probability
    keep = 1 - _EXPECTED_END
    return max(1, round(applications_per_cycle / (1 + p2 * keep + p3 * keep * keep)))


@dataclass(frozen=True)
class CycleRows:
    """The people applying in one cycle, in file order."""

    cycle: int
    idx: IntArray
    attempt: IntArray


class ApplicationsPlan:
    """Walks the cycles in order, yielding chunks of applications and carrying reapplicants."""

    def __init__(self, funnel: ApplicationFunnel, *, first_cycle: int, last_cycle: int, per_cycle: int) -> None:
        self.funnel = funnel
        self.first_cycle = first_cycle
        self.last_cycle = last_cycle
        self.n_new = new_per_cycle(per_cycle, funnel.config)
        self._carry: dict[tuple[int, int], IntArray] = {}  # (cycle, attempt) -> person indices

    def range_start(self, cycle: int) -> int:
        """First person index of those whose first application is in ``cycle`` (indices from 1)."""
        return 1 + (cycle - (self.first_cycle - 2)) * self.n_new

    def expected_rows(self) -> int:
        """Rough total rows, for progress reporting."""
        return int(self.n_new * (self.last_cycle - self.first_cycle + 1) * 1.17)

    def _continue(self, cycle: int, idx: IntArray, attempt: IntArray, stages: Stages | None) -> None:
        """Record who applies again next cycle."""
        goes_on = self.funnel.attempts(idx) > attempt
        if stages is not None:
            goes_on &= ~stages.matriculated & ~stages.declined
        for a in (1, 2):
            chosen = idx[goes_on & (attempt == a)]
            if chosen.size:
                key = (cycle + 1, a + 1)
                previous = self._carry.get(key)
                self._carry[key] = chosen if previous is None else np.concatenate([previous, chosen])

    def warm_up(self) -> None:
        """Simulate the two cycles before the window (unwritten) to seed the first reapplicants."""
        for cycle in (self.first_cycle - 2, self.first_cycle - 1):
            start = self.range_start(cycle)
            new = np.arange(start, start + self.n_new, dtype=np.int64)
            new = new[self.funnel.attempts(new) >= 2]
            rows = self._rows(cycle, new)
            if rows.idx.size:
                people = self.funnel.people(rows.idx, cycle - rows.attempt + 1)
                self._continue(cycle, rows.idx, rows.attempt, self.funnel.stages(people, cycle))

    def _rows(self, cycle: int, new: IntArray) -> CycleRows:
        parts, attempts = [new], [np.ones(new.size, dtype=np.int64)]
        for a in (2, 3):
            carried = self._carry.pop((cycle, a), np.zeros(0, dtype=np.int64))
            parts.append(carried)
            attempts.append(np.full(carried.size, a, dtype=np.int64))
        idx = np.concatenate(parts)
        attempt = np.concatenate(attempts)
        order = np.argsort(self.funnel.streams.bits(idx * 512 + cycle % 512, "app.order"), kind="stable")
        return CycleRows(cycle, idx[order], attempt[order])

    def chunks(self, chunk_size: int) -> Iterator[tuple[CycleRows, int, People, Stages]]:
        """For each window cycle in order, chunks of (rows, offset of the chunk within the cycle,
        people, stages)."""
        self.warm_up()
        for cycle in range(self.first_cycle, self.last_cycle + 1):
            start = self.range_start(cycle)
            rows = self._rows(cycle, np.arange(start, start + self.n_new, dtype=np.int64))
            for offset in range(0, rows.idx.size, chunk_size):
                part = CycleRows(cycle, rows.idx[offset : offset + chunk_size], rows.attempt[offset : offset + chunk_size])
                people = self.funnel.people(part.idx, cycle - part.attempt + 1)
                stages = self.funnel.stages(people, cycle)
                self._continue(cycle, part.idx, part.attempt, stages)
                yield part, offset, people, stages


def application_columns(
    rows: CycleRows, offset: int, people: People, stages: Stages, funnel: ApplicationFunnel, width: int
) -> dict[str, pa.Array]:
    """The canonical columns of a chunk of applications."""
    n = rows.idx.size
    seq = np.arange(offset + 1, offset + n + 1, dtype=np.int64)
    s = funnel.streams
    key = rows.idx * 512 + rows.cycle % 512
    in_state = np.where(people.in_state_truth, YES, v.YES_NO_UNKNOWN.codes.index("no"))
    in_state = np.where(s.chance(key, "app.in_state.unknown", 0.004), v.YES_NO_UNKNOWN.codes.index("unknown"), in_state)
    columns = {"application_id": tb.identifiers_by_cycle(np.full(n, rows.cycle), seq, width)}
    columns.update(tb.demographic_columns(people))
    columns.update(
        {
            "cycle": tb.integers(np.full(n, rows.cycle)),
            "program": tb.coded(funnel.program(rows.idx), PROGRAMS),
            "in_state": tb.vocab(in_state, v.YES_NO_UNKNOWN),
            "application_date": tb.dates(stages.application_day),
            "completed": tb.flags(stages.completed),
            "interviewed": tb.flags(stages.interviewed),
            "interview_date": tb.dates(stages.interview_day, stages.interviewed),
            "offered": tb.flags(stages.offered),
            "offer_date": tb.dates(stages.offer_day, stages.offered),
            "declined": tb.flags(stages.declined),
            "waitlisted": tb.flags(stages.waitlisted),
            "matriculated": tb.flags(stages.matriculated),
        }
    )
    return columns


def record_chunk(
    record: ApplicantRecord,
    rows: CycleRows,
    offset: int,
    people: People,
    stages: Stages,
    funnel: ApplicationFunnel,
    first_window_cycle: int,
) -> None:
    """Keep what students and pipeline rosters need from this chunk (pipeline alumni once each:
    at their first application in the window)."""
    n = rows.idx.size
    record.rows += n
    record.rows_by_cycle[rows.cycle] = record.rows_by_cycle.get(rows.cycle, 0) + n
    m = stages.matriculated
    seq = np.arange(offset + 1, offset + n + 1, dtype=np.int64)
    first_cycle = rows.cycle - rows.attempt + 1
    record.matriculant_idx.append(rows.idx[m])
    record.matriculant_first_cycle.append(first_cycle[m])
    record.matriculant_cycle.append(np.full(int(m.sum()), rows.cycle, dtype=np.int64))
    record.matriculant_program.append(funnel.program(rows.idx[m]))
    record.matriculant_seq.append(seq[m])
    alumni = funnel.pipeline(people) & ((rows.attempt == 1) | (rows.cycle == first_window_cycle))
    record.pipeline_idx.append(rows.idx[alumni])
    record.pipeline_first_cycle.append(first_cycle[alumni])
