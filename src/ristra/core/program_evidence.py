"""What a program page shows of its linkage quality and of the comparison with non-participants,
and what it withholds (docs/linkage.md, "What a program page shows").

The rule (DESIGN.md §6: derived values come only from counts that the same publication shows):

* **Counts** are shown only as cells of the audience's publication; this module never shows a
  count the publication does not hold.
* **A derived value** (a share, a rate, a rate ratio, an interval) is computed here only from
  released cells of the publication; when a cell it rests on is suppressed, or the publication
  holds no such cell, it is *withheld*, and the page says which and why.
* **A model output** (a weighted estimate, a standardised mean difference, an E-value, a
  precision or recall estimated from the clerical sample) rests on person-level data no table
  shows; it is shown only when *every* count it rests on is a released cell at or above the
  policy's threshold (a released zero is not enough: a model fitted on a group of zero or of
  a few people says something about those few), and withheld otherwise, saying why.

Each figure names the cells it rests on (:class:`Needed`); :func:`decide` looks them up in the
publication's released tables. The reason of a withheld figure names cells and tables, never a
value. Nothing here reads a person's record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ristra.core.disclosure import ReleasedTable
from ristra.core.program_counts import PUBLISHED_TIERS
from ristra.core.stats.proportions import proportion

#: Figures of each kind (module docstring).
DERIVED = "derived"
MODEL = "model"
#: Where the publication would hold the counts each figure rests on (the dashboard's tables of
#: the publication: services.publication.contents).
TIERS_TABLE = "dashboard/linkage_tiers"
TIERS = tuple(label for label, _ in PUBLISHED_TIERS)
STAGES = ("Applications", "Completed", "Interviewed", "Offered", "Matriculated")
GROUPS = ("Participants", "Comparison")
#: The balanced comparison's covariates (services.program_evaluation.COVARIATES), as the rows
#: of the count table a balance table would rest on.
COVARIATES = ("in_state", "rural_school", "econ_disadvantaged", "first_generation", "urm_nm", "women")


def comparison_table(program_id: str) -> str:
    """The publication key of a program's comparison counts (applications by stage and group)."""
    return f"dashboard/comparison-{program_id}"


def covariates_table(program_id: str) -> str:
    """The publication key of a program's covariate counts (applicant persons by group)."""
    return f"dashboard/covariates-{program_id}"


@dataclass(frozen=True)
class Needed:
    """One released cell a figure rests on: table key, the row's first label, the column label."""

    table: str
    row: str
    col: str

    def describe(self) -> str:
        return f"{self.table} ({self.row} / {self.col})"


@dataclass(frozen=True)
class Figure:
    """One figure of the page: its value as text, or ``None`` with the reason it is withheld."""

    label: str
    kind: str
    text: str | None
    withheld: str | None
    rests_on: tuple[Needed, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "value": self.text, "withheld": self.withheld,
                "rests_on": [n.describe() for n in self.rests_on]}


def _cell(tables: Mapping[str, ReleasedTable], needed: Needed) -> tuple[int | None, str | None]:
    """(released value, None) or (None, why it is not available)."""
    table = tables.get(needed.table)
    if table is None:
        return None, f"the publication holds no table {needed.table}"
    rows = [i for i, labels in enumerate(table.row_labels) if labels and labels[0] == needed.row]
    if not rows or needed.col not in table.col_labels:
        return None, f"the publication holds no cell {needed.describe()}"
    value = table.cells[rows[0]][table.col_labels.index(needed.col)]
    if value is None:
        return None, f"{needed.describe()} is suppressed in the publication"
    return int(value), None


def decide(tables: Mapping[str, ReleasedTable], needed: Sequence[Needed], kind: str,
           threshold: int) -> tuple[list[int] | None, str | None]:
    """The released counts a figure rests on, or why it is withheld (module docstring): a derived
    value needs every cell released; a model output every cell released and at least
    ``threshold``."""
    values: list[int] = []
    missing: list[str] = []
    for n in needed:
        value, why = _cell(tables, n)
        if why is not None:
            missing.append(why)
        else:
            assert value is not None
            values.append(value)
    if missing:
        extra = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        return None, f"withheld: {missing[0]}{extra}; figures are computed only from released counts"
    if kind == MODEL:
        low = [n for n, v in zip(needed, values, strict=True) if v < threshold]
        if low:
            return None, (f"withheld: {low[0].describe()} is below the threshold of {threshold}; a model output is "
                          f"shown only when every count it rests on is released and at least {threshold}")
    return values, None


def _share(label: str, tables: Mapping[str, ReleasedTable], part: Needed, whole: Needed,
           threshold: int) -> Figure:
    values, why = decide(tables, (part, whole), DERIVED, threshold)
    if values is None:
        return Figure(label, DERIVED, None, why, (part, whole))
    k, n = values
    if n == 0:
        return Figure(label, DERIVED, None, "withheld: its denominator is 0", (part, whole))
    p = proportion(k, n)
    return Figure(label, DERIVED, f"{k} of {n} ({p.share:.0%}; 95% CI {p.lower:.0%}–{p.upper:.0%}, Wilson)", None,
                  (part, whole))


def _ratio(label: str, tables: Mapping[str, ReleasedTable], stage: str, previous: str, table: str,
           threshold: int) -> Figure:
    from ristra.core.stats.ratios import score_ratio

    needed = tuple(Needed(table, s, g) for g in GROUPS for s in (stage, previous))
    values, why = decide(tables, needed, DERIVED, threshold)
    if values is None:
        return Figure(label, DERIVED, None, why, needed)
    k1, n1, k0, n0 = values
    if not (n1 and n0 and k0):
        return Figure(label, DERIVED, None, "withheld: a rate it compares has a denominator or a numerator of 0",
                      needed)
    ratio = score_ratio(k1, n1, k0, n0)
    return Figure(label, DERIVED, f"{k1 / n1:.0%} vs {k0 / n0:.0%}; ratio {ratio.ratio:.2f} "
                  f"(95% CI {ratio.lower:.2f}–{ratio.upper:.2f})", None, needed)


def _model(label: str, tables: Mapping[str, ReleasedTable], needed: Sequence[Needed], threshold: int,
           value: str | None, unavailable: str) -> Figure:
    """A model output: shown only when ``decide`` allows it and the service computed ``value``."""
    values, why = decide(tables, needed, MODEL, threshold)
    if values is None:
        return Figure(label, MODEL, None, why, tuple(needed))
    if value is None:
        return Figure(label, MODEL, None, unavailable, tuple(needed))
    return Figure(label, MODEL, value, None, tuple(needed))


@dataclass(frozen=True)
class ProgramEvidence:
    """The page's linkage-quality and comparison figures for one program."""

    program_id: str
    quality: tuple[Figure, ...]
    comparison: tuple[Figure, ...]
    balanced: tuple[Figure, ...]
    clerical_sample: bool

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "quality": [f.to_dict() for f in self.quality],
                "comparison": [f.to_dict() for f in self.comparison],
                "balanced": [f.to_dict() for f in self.balanced], "clerical_sample": self.clerical_sample}


def evidence(program_id: str, tables: Mapping[str, ReleasedTable], threshold: int, *,
             outcomes_key: str, clerical_sample: bool) -> ProgramEvidence:
    """The figures of ``program_id``'s page from the audience's released ``tables`` (module
    docstring); ``outcomes_key`` the program's outcomes table, ``clerical_sample`` whether the
    link in force has labelled rows (clerical decisions)."""
    everyone = "All cohorts"
    quality: list[Figure] = [
        _share("Participants linked to the school's applications", tables, Needed(outcomes_key, everyone, "Linked"),
               Needed(outcomes_key, everyone, "Participants"), threshold),
    ]
    for tier in TIERS:
        needed = (Needed(TIERS_TABLE, tier, "Roster rows"),)
        values, why = decide(tables, needed, DERIVED, threshold)
        quality.append(Figure(f"Roster rows {tier}", DERIVED, None if values is None else str(values[0]), why, needed))
    sample = tuple(Needed(TIERS_TABLE, t, "Labelled rows") for t in TIERS)
    for measure in ("Precision", "Recall"):
        if not clerical_sample:
            quality.append(Figure(f"{measure} (clerical sample)", MODEL, None,
                                  "no clerical sample has been labelled for the link in force (review the queue, or "
                                  "export it with `ristra link review export` and import the labels)", sample))
        else:
            quality.append(_model(f"{measure} (clerical sample)", tables, sample, threshold, None,
                                  "withheld: the publication does not release the clerical sample's estimates"))
    table = comparison_table(program_id)
    comparison = [_share(f"{g}: {s.lower()} of applications", tables, Needed(table, s, g),
                         Needed(table, "Applications", g), threshold)
                  for g in GROUPS for s in STAGES[1:]]
    for stage, previous in zip(STAGES[1:], STAGES, strict=False):
        comparison.append(_ratio(f"Selection-rate ratio, {stage.lower()} / {previous.lower()}", tables, stage,
                                 previous, table, threshold))
    covariates = covariates_table(program_id)
    rests = tuple(Needed(covariates, c, g) for c in COVARIATES for g in GROUPS) + tuple(
        Needed(table, s, g) for s in STAGES for g in GROUPS)
    unavailable = "withheld: the publication does not release the balanced comparison"
    balanced = [_model(label, tables, rests, threshold, None, unavailable)
                for label in ("Balance table (standardised mean differences)", "Weighted risk ratios", "E-values")]
    return ProgramEvidence(program_id, tuple(quality), tuple(comparison), tuple(balanced), clerical_sample)
