"""The intruder against the publication of a *linked* school: the program outcome tables through
record linkage (the dashboard's per-program tables, the LCME pipeline table, the program outcomes
report) with every other table the public audience is served, and two successive publications
around one more roster row linking (a clerical "match" on a pair the model left unlinked).

The intruder (``tests/support/intruder.py``, written independently of the production audit)
writes every relation it can infer from what each cell means — sums over cohorts and programs,
Participants = Linked + Not linked, matriculated ≤ offered ≤ interviewed ≤ completed ≤ applied ≤
linked — and bounds every suppressed cell by linear programming. A sensitive cell (1 ≤ true < k)
whose interval is narrower than the policy's protection (upper bound below k + 1 for an insider,
or lower bound above 0) is a failure.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ristra.core.disclosure import PUBLIC, Policy  # noqa: E402
from ristra.core.linkage_decisions import MATCH  # noqa: E402
from ristra.services import publication  # noqa: E402
from ristra.services.linkage import LinkageService  # noqa: E402
from ristra.services.workspace import Settings, Workspace  # noqa: E402
from support.collect_publication import observe  # noqa: E402
from support.intruder import attack, attack_snapshots  # noqa: E402
from support.linked_school import GROUP, copy_of, source_paths  # noqa: E402

pytestmark = GROUP
OUTCOME_TABLES = ("dashboard/outcomes-", "program-outcomes/", "lcme-3.3-pipeline/outcomes")


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Path]]:
    root = copy_of(tmp_path_factory, "linked-publication-intruder")
    return Workspace(Settings(data_dir=root, user="analyst")), source_paths(tmp_path_factory)


def _truth(workspace: Workspace, policy: Policy) -> Any:
    return publication.build(workspace, Policy(policy.audience, 1), record=False)


@pytest.fixture(scope="module")
def before(school: tuple[Workspace, dict[str, Path]]) -> tuple[Any, Any]:
    workspace, _ = school
    # built, or — when the program page's tests have built it from another copy of the school in
    # this process — the same publication of the same inputs, recorded in this copy's history
    return publication.build(workspace, PUBLIC), _truth(workspace, PUBLIC)


def _outcome_keys(made: Any) -> list[str]:
    return sorted(k for k in made.tables if k.startswith(OUTCOME_TABLES))


def test_no_hidden_small_count_follows_from_the_linked_publication(before: tuple[Any, Any]) -> None:
    made, truth = before
    keys = _outcome_keys(made)
    assert "lcme-3.3-pipeline/outcomes" in keys
    assert sum(k.startswith("dashboard/outcomes-") for k in keys) == 8  # one per program
    hidden = sum(v is None for k in keys for row in made.tables[k].cells for v in row)
    assert hidden > 100  # the outcome tables hold small counts to go after
    observed = observe(made, truth)
    assert len(observed) > len(keys)  # the outcome tables with every other table the audience is served
    result = attack(observed, PUBLIC.threshold)
    assert result.inconsistent == [], "a relation or a published value disagrees with the true counts"
    assert result.published_sensitive == []
    sensitive_outcomes = sum(1 for (_, table, r, c) in result.intervals if table in keys
                             and 1 <= truth.tables[table].cells[r][c] < PUBLIC.threshold)
    assert sensitive_outcomes > 50
    assert result.recovered == 0, [str(f) for f in result.findings[:5]]
    assert made.summary.passed


def _one_more_link(workspace: Workspace, paths: dict[str, Path]) -> str:
    """Record a clerk's "match" on a pair the run proposed but left unlinked (in the review band);
    returns the roster row."""
    with Path(paths["participants"]).open(encoding="utf-8") as handle:
        person = {r["participant_id"]: (r["program_id"], r["roster_id"]) for r in csv.DictReader(handle)}
    service = LinkageService(workspace)
    links = service.links()
    linked_people = {person[x.roster_id] for x in links if x.linked}
    taken = {(person[x.roster_id][0], x.person_id) for x in links if x.linked}
    # a roster person none of whose rows is linked, proposed a person no one of the program holds:
    # the decision then changes that one participant (and supersedes no other link)
    candidates = [x for x in links if not x.linked and x.proposed_person_id is not None
                  and person[x.roster_id] not in linked_people
                  and (person[x.roster_id][0], x.proposed_person_id) not in taken]
    assert candidates, "the run left no proposed pair unlinked"
    chosen = max(candidates, key=lambda x: (x.match_weight or 0.0, x.roster_id))
    service.record_decision(chosen.roster_id, str(chosen.proposed_person_id), MATCH)
    linked = {x.roster_id for x in service.links() if x.linked}
    assert chosen.roster_id in linked
    return chosen.roster_id


def test_one_more_link_between_two_publications_reveals_nothing(
        school: tuple[Workspace, dict[str, Path]], before: tuple[Any, Any]) -> None:
    workspace, paths = school
    made_before, truth_before = before
    _one_more_link(workspace, paths)
    made_after = publication.build(workspace, PUBLIC)
    truth_after = _truth(workspace, PUBLIC)
    changed = [(k, r, c) for k in _outcome_keys(truth_after)
               for r, row in enumerate(truth_after.tables[k].cells) for c, v in enumerate(row)
               if v != truth_before.tables[k].cells[r][c]]
    assert changed, "the new link changed no outcome count"
    assert all(abs(int(truth_after.tables[k].cells[r][c]) - int(truth_before.tables[k].cells[r][c])) == 1
               for k, r, c in changed)
    result = attack_snapshots(observe(made_before, truth_before), observe(made_after, truth_after), 1,
                              PUBLIC.threshold)
    assert result.inconsistent == []
    assert result.published_sensitive == []
    assert result.recovered == 0, [str(f) for f in result.findings[:5]]
