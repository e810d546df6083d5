"""The category version store and `ristra categories check FILE`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ristra.core.categories import CategoryFileError
from ristra.stores.categories import CategoryStore, CorruptVersionError, StaleVersionError, check_file


def test_first_use_seeds_defaults(tmp_path: Path) -> None:
    store = CategoryStore(tmp_path)
    v1 = store.current()
    assert v1.version == 1
    assert "rural_school" in v1.ids
    assert (tmp_path / "categories" / "v0001.json").is_file()
    assert store.current() == v1
    assert store.versions() == (v1,)


def test_save_makes_a_new_version_and_refuses_stale_edits(tmp_path: Path) -> None:
    store = CategoryStore(tmp_path)
    data = store.current().to_dict()
    data["categories"] = [c for c in data["categories"] if c["id"] != "in_state"]
    v2 = store.save(data, "ana", "in-state is reported by admissions", expected_version=1)
    assert v2.version == 2
    assert "in_state" not in v2.ids
    assert v2.author == "ana"
    assert store.current() == v2
    assert [v.version for v in store.versions()] == [1, 2]
    assert store.get(1).ids[-1] == "in_state"  # old versions are kept unchanged
    with pytest.raises(StaleVersionError, match="current version is 2"):
        store.save(store.get(1).to_dict(), "ben", "restore", expected_version=1)
    with pytest.raises(ValueError, match="nothing changed"):
        store.save(v2.to_dict(), "ben", "same", expected_version=2)
    with pytest.raises(ValueError, match="author"):
        store.save(data, " ", "x", expected_version=2)


def test_bad_set_is_rejected_whole(tmp_path: Path) -> None:
    store = CategoryStore(tmp_path)
    data = store.current().to_dict()
    data["categories"][0]["rule"] = "sex == 'female' or"
    with pytest.raises(CategoryFileError, match="category women, field rule"):
        store.save(data, "ana", "oops", expected_version=1)
    assert [v.version for v in store.versions()] == [1]
    assert [p.name for p in (tmp_path / "categories").iterdir()] == ["v0001.json"]


def test_concurrent_saves_one_wins(tmp_path: Path) -> None:
    store = CategoryStore(tmp_path)
    base = store.current().to_dict()
    outcomes: list[str] = []

    def edit(label: str) -> None:
        data = json.loads(json.dumps(base))
        data["categories"][0]["label"] = label
        try:
            CategoryStore(tmp_path).save(data, label, "race", expected_version=1)
            outcomes.append("ok")
        except StaleVersionError:
            outcomes.append("stale")

    threads = [threading.Thread(target=edit, args=(f"Women {i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert outcomes.count("stale") == 3
    assert store.current().version == 2


def test_corrupt_version_is_named(tmp_path: Path) -> None:
    store = CategoryStore(tmp_path)
    store.current()
    (tmp_path / "categories" / "v0002.json").write_text("{not json")
    with pytest.raises(CorruptVersionError, match="v0002.json"):
        store.current()


def test_check_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "categories:\n  - id: women\n    label: Women\n    description: d\n    rationale: r\n"
        "    datasets: [applications]\n    rule: sex == 'female'\n"
    )
    assert check_file(good) == []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"categories": [{"id": "x", "label": "X", "description": "d", "rationale": "r",
                                               "datasets": ["nowhere"], "rule": "sex == 'f'"}]}))
    problems = check_file(bad)
    assert len(problems) == 1
    assert "unknown dataset 'nowhere'" in str(problems[0])
    broken = tmp_path / "broken.yaml"
    broken.write_text("categories:\n  - id: [unclosed\n")
    (problem,) = check_file(broken)
    assert "not valid YAML at line" in str(problem)
    assert "cannot read" in str(check_file(tmp_path / "missing.yaml")[0])
