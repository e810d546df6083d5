"""The linkage review queue in the web: the uncertain band of the run in force, a pair's two records
side by side, decisions recorded with who and when in the decisions store the CSV import uses, an
audit event for every view of a pair, and coordinators limited to their own programs.

A small synthetic school with identity datasets is linked once (threshold given as 5 bits, review
band 12 bits, so that the band holds pairs of PP01 — the test coordinator's program — and of other
programs); each test works on a copy of it.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from ristra.core.linkage_decisions import LINKED_IN_REVIEW, MATCH, NOT_A_MATCH, UNSURE
from ristra.services.linkage import LinkageService
from ristra.services.linkage_review import export_queue, review_band, review_pair
from ristra.services.workspace import Settings, Workspace
from ristra.web.models import AuditEvent
from support.linked_school import GROUP, shared_linked_school

pytestmark = GROUP
COORDINATED = "PP01"  # the programs of the test coordinator (tests/web/conftest.py)


@pytest.fixture(scope="module")
def linked_school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_linked_school(tmp_path_factory) / "data"  # read only: each test takes a copy


@pytest.fixture
def linked_dir(linked_school: Path, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "data"
    shutil.copytree(linked_school, root)
    with override_settings(RISTRA_DATA_DIR=root):
        yield root


def _service(root: Path, user: str = "test") -> LinkageService:
    return LinkageService(Workspace(Settings(data_dir=root, user=user)))


def _pairs(root: Path) -> tuple[Any, Any]:
    """A pair of the coordinator's program and one of another program."""
    band = review_band(_service(root))
    own = next(p for p in band.pairs if p.program_id == COORDINATED)
    other = next(p for p in band.pairs if p.program_id != COORDINATED)
    return own, other


def _url(pair: Any) -> str:
    return f"/linkage/review/{pair.roster_id}/{pair.person_id}/"


def _values(root: Path, pair: Any) -> set[str]:
    """The linkage-field values of both records of a pair (what must never leave the pair page)."""
    shown = review_pair(_service(root), pair.roster_id, pair.person_id)
    return {v for _, left, right in shown.fields for v in (left, right) if v and len(v) >= 3}


# --- access, for every role --------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_analysts_review_every_program(role: str, client_as: Any, linked_dir: Path) -> None:
    own, other = _pairs(linked_dir)
    client = client_as(role)
    assert client.get("/linkage/review/").status_code == 200
    assert client.get(_url(own)).status_code == 200
    assert client.get(_url(other)).status_code == 200


def test_a_coordinator_reviews_their_own_program_only(client_as: Any, linked_dir: Path) -> None:
    own, other = _pairs(linked_dir)
    client = client_as("coordinator")
    page = client.get("/linkage/review/").content.decode()
    assert own.roster_id in page
    assert other.roster_id not in page
    assert client.get(_url(own)).status_code == 200
    assert client.get(_url(other)).status_code == 404
    assert client.get(f"/linkage/review/?program={other.program_id}").content.decode().count("→") == 0
    assert client.post(_url(other), {"decision": MATCH}).status_code == 404
    assert (other.roster_id, other.person_id) not in _service(linked_dir).decisions()


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_other_roles_are_refused(role: str, client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    client = client_as(role)
    assert client.get("/linkage/review/").status_code == 403
    assert client.get(_url(own)).status_code == 403
    assert client.post(_url(own), {"decision": MATCH}).status_code == 403
    assert (own.roster_id, own.person_id) not in _service(linked_dir).decisions()


def test_anonymous_is_sent_to_sign_in(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    response = client_as("anonymous").get(_url(own))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_pair_not_in_the_band_is_not_found(client_as: Any, linked_dir: Path) -> None:
    assert client_as("analyst").get("/linkage/review/R00000000/P000000000/").status_code == 404


# --- the pages ----------------------------------------------------------------------------------

def test_the_pair_page_shows_both_records_side_by_side(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    shown = review_pair(_service(linked_dir), own.roster_id, own.person_id)
    page = client_as("analyst").get(_url(own)).content.decode()
    first = dict((f, (left, right)) for f, left, right in shown.fields)["first_name"]
    assert f"<td>{first[0]}</td><td>{first[1]}</td>" in page


def test_the_queue_lists_ids_and_scores_never_a_name(client_as: Any, linked_dir: Path) -> None:
    own, other = _pairs(linked_dir)
    page = client_as("analyst").get("/linkage/review/").content.decode()
    leaked = {v for p in (own, other) for v in _values(linked_dir, p) if v in page}
    assert leaked == set()


def test_an_empty_queue_says_so(client_as: Any, linked_dir: Path) -> None:
    page = client_as("analyst").get("/linkage/review/?program=PP99").content.decode()
    assert "The review queue is empty" in page


def test_no_run_yet_says_so(client_as: Any, linked_dir: Path) -> None:
    shutil.rmtree(linked_dir / "linkage")
    page = client_as("analyst").get("/linkage/review/").content.decode()
    assert "has not been run yet" in page


# --- decisions ----------------------------------------------------------------------------------

def test_a_decision_is_recorded_with_who_and_when(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    response = client_as("coordinator").post(_url(own), {"decision": NOT_A_MATCH})
    assert response.status_code == 302
    decided = _service(linked_dir).decisions()[(own.roster_id, own.person_id)]
    assert decided.decision == NOT_A_MATCH
    assert decided.by == "the-coordinator"
    assert decided.at[:2] == "20"


def test_a_decided_pair_is_marked_in_the_queue(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    client = client_as("analyst")
    client.post(_url(own), {"decision": NOT_A_MATCH})
    marked = next(p for p in review_band(_service(linked_dir)).pairs if p.roster_id == own.roster_id)
    assert marked.decided
    assert "not a match (the-analyst," in client.get("/linkage/review/").content.decode()


def test_an_unknown_decision_is_refused(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    response = client_as("analyst").post(_url(own), {"decision": "perhaps"})
    assert response.status_code == 400
    assert _service(linked_dir).decisions() == {}


def test_web_decisions_are_in_the_csv_export_and_survive_a_rerun(client_as: Any, linked_dir: Path,
                                                                 tmp_path: Path) -> None:
    own, other = _pairs(linked_dir)
    client = client_as("analyst")
    client.post(_url(own), {"decision": UNSURE})
    client.post(_url(other), {"decision": MATCH})
    exported = tmp_path / "queue.csv"
    export_queue(_service(linked_dir), exported)
    with exported.open(encoding="utf-8") as handle:
        rows = {(r["participant_id"], r["person_id"]): r["decision"] for r in csv.DictReader(handle)}
    assert rows[(own.roster_id, own.person_id)] == UNSURE
    assert (other.roster_id, other.person_id) not in rows  # decided: out of the queue to export
    service = _service(linked_dir)
    assert service.run(force=True).rerun
    kept = service.decisions()
    assert kept[(other.roster_id, other.person_id)].decision == MATCH
    assert kept[(own.roster_id, own.person_id)].decision == UNSURE
    assert next(x for x in service.links() if x.roster_id == other.roster_id).tier == LINKED_IN_REVIEW


# --- the audit log ------------------------------------------------------------------------------

def test_every_view_of_a_pair_is_one_audit_event(client_as: Any, linked_dir: Path) -> None:
    own, other = _pairs(linked_dir)
    client = client_as("analyst")
    client.get("/linkage/review/")
    client.get(_url(own))
    client.get(_url(own))
    client.get(_url(other))
    views = list(AuditEvent.objects.filter(action=AuditEvent.REVIEW_VIEW).order_by("id"))
    assert [e.target for e in views] == [f"review pair {own.roster_id}/{own.person_id}"] * 2 + \
        [f"review pair {other.roster_id}/{other.person_id}"]


def test_the_audit_log_names_pairs_by_id_only(client_as: Any, linked_dir: Path) -> None:
    own, other = _pairs(linked_dir)
    client = client_as("coordinator")
    client.get(_url(own))
    client.post(_url(own), {"decision": MATCH})
    client.get(_url(other))
    events = AuditEvent.objects.filter(action__in=(AuditEvent.REVIEW_VIEW, AuditEvent.REVIEW_DECISION))
    written = json.dumps([[e.target, e.detail] for e in events])
    assert {v for p in (own, other) for v in _values(linked_dir, p) if v in written} == set()


def test_a_decision_is_one_audit_event(client_as: Any, linked_dir: Path) -> None:
    own, _ = _pairs(linked_dir)
    client_as("analyst").post(_url(own), {"decision": MATCH})
    decisions = list(AuditEvent.objects.filter(action=AuditEvent.REVIEW_DECISION))
    assert [(e.actor, e.target, e.detail["decision"]) for e in decisions] == [
        ("the-analyst", f"review pair {own.roster_id}/{own.person_id}", MATCH)]
