"""``ristra link outcomes PROGRAM``: one program's evaluation (outcomes, comparison groups, balance,
E-values, linkage quality), internal only.

The figures have not been through disclosure control (the publication): the command prints the
unreleased warning first (on standard error too, so that it survives a pipe), and ``--json`` carries
it in ``warning`` with ``published: false``. Exit code 2 for an unusable request (no link run, no
applications, an unknown program), with a message naming datasets and programs only.
"""

from __future__ import annotations

import argparse
import math

from ristra.cli import output
from ristra.core.linkage import LinkageInputError
from ristra.core.program_outcomes import ProgramEvaluation
from ristra.core.stats.propensity import DEFAULT_REPLICATES, DEFAULT_SEED
from ristra.services.errors import LinkRunError
from ristra.services.workspace import Workspace


def add_parser(lsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = lsub.add_parser("outcomes", help="one program's outcomes against comparison groups (internal, unreleased)")
    c.add_argument("program", help="the program id (e.g. PP03)")
    c.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES, help="bootstrap replicates")
    c.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_outcomes, needs_workspace=True)


def _pct(value: float) -> str:
    return "" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float, digits: int = 2) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _ci(pair: tuple[float, float], digits: int = 2) -> str:
    return f"{_num(pair[0], digits)}–{_num(pair[1], digits)}"


def cmd_outcomes(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.program_evaluation import evaluate

    assert workspace is not None
    if args.replicates < 0:
        output.error("--replicates must be 0 or more")
        return 2
    try:
        result = evaluate(workspace, args.program, replicates=args.replicates, seed=args.seed)
    except (LinkageInputError, LinkRunError) as error:
        output.error(str(error))
        return 2
    output.console(stderr=True).print(f"[bold yellow]{output.escape(result.warning)}[/]")
    if args.json:
        output.print_json(result.to_dict())
        return 0
    render(result)
    return 0


def render(result: ProgramEvaluation) -> None:
    """The evaluation as terminal tables."""
    out = output.console()
    o = result.outcomes
    out.print(f"[bold]{output.escape(result.warning)}[/]")
    out.print(f"program {output.escape(result.program_id)}: applications {o.first_cycle}–{o.last_cycle}, "
              f"youngest applying age {o.youngest_age}, category set version {o.category_version}")
    output.rows_table("outcomes and their sources", ("outcome", "status", "via", "note"),
                      ((s.outcome, s.status, s.via, s.note) for s in o.outcome_sources))
    shown = o.computed()
    output.rows_table("cohorts: participants reaching each outcome, of the eligible (an unlinked one counts as not "
                      "seen: a lower bound; 'not yet old enough' are censored, in no denominator)",
                      ("cohort", "participants", "linked", "not linked", "not yet old enough", "eligible", *shown),
                      ((c.cohort, c.participants, c.linked, c.not_linked, c.not_yet_old_enough, c.eligible,
                        *(c.rates[s].k for s in shown)) for c in o.cohorts))
    output.rows_table("by category (all cohorts; shares of the eligible)",
                      ("category", "membership", "participants", "eligible", *shown),
                      ((c.category, c.membership, c.participants, c.eligible,
                        *(_pct(c.rates[s].share) for s in shown)) for c in o.by_category))
    a = result.applicants
    if a is not None:
        output.rows_table(
            f"among applicants of the same cycles ({a.participant_applications} participant and "
            f"{a.non_participant_applications} non-participant applications)",
            ("stage", "of", "participants", "non-participants", "ratio (95% CI)", "Fisher p", "by cycle", "p"),
            ((s.stage, s.previous, f"{s.participants.k}/{s.participants.n} ({_pct(s.participants.share)})",
              f"{s.non_participants.k}/{s.non_participants.n} ({_pct(s.non_participants.share)})",
              f"{_num(s.rate_ratio.ratio)} ({_num(s.rate_ratio.lower)}–{_num(s.rate_ratio.upper)})",
              _num(s.fisher.p_value, 4) if s.fisher else "", s.stratified.test if s.stratified else "",
              _num(s.stratified.p_value, 4) if s.stratified else "") for s in a.stages))
    b = result.balanced
    if b is not None and b.analysis is not None:
        an = b.analysis
        out.print(f"balanced comparison: {an.treated} participants, {an.controls} non-participants "
                  f"(effective {an.controls_effective:.0f}); restricted to: {'; '.join(b.restricted) or 'none'}")
        output.rows_table("before restriction (all applicants of the same cycles)", ("covariate", "SMD"),
                          ((k, _num(v, 3)) for k, v in b.smd_before_restriction.items()))
        output.rows_table("balance (standardised mean differences; target |SMD| < 0.1)",
                          ("covariate", "participants", "non-participants", "weighted", "SMD before", "SMD after",
                           "balanced"),
                          ((r.covariate, _num(r.treated_mean, 3), _num(r.control_mean_before, 3),
                            _num(r.control_mean_after, 3), _num(r.smd_before, 3), _num(r.smd_after, 3),
                            "yes" if r.balanced else "NO") for r in an.balance))
        output.rows_table(f"weighted effect (ATT; bootstrap {an.replicates} replicates, seed {an.seed})",
                          ("outcome", "participants", "weighted non-participants", "difference (95% CI)",
                           "risk ratio (95% CI)", "E-value", "E-value of CI"),
                          ((e.outcome, _pct(e.treated_risk), _pct(e.control_risk),
                            f"{_num(e.risk_difference, 3)} ({_ci(e.rd_bootstrap, 3)})",
                            f"{_num(e.risk_ratio)} ({_ci(e.rr_bootstrap)})", _num(b.e_values[e.outcome].point),
                            _num(b.e_values[e.outcome].limit)) for e in an.effects))
    if b is not None:
        for note in b.notes:
            out.print(f"note: {output.escape(note)}")
    out.print(f"linkage: {output.escape(result.linkage_quality)}")


