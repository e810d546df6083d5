"""The category definitions use case (``ristra.services.categories``): a definitions file checked
as a whole before anyone saves it — every problem named by category, field (and position in the
rule, or line and column in the file), or the definitions when there is none."""

from __future__ import annotations

import json
from pathlib import Path

from ristra.core.categories import DefinitionProblem
from ristra.services.categories import check_definitions_file
from ristra.stores.categories import default_definitions

GOOD = """\
categories:
  - id: women
    label: Women
    description: People whose recorded sex is female.
    rationale: The mission names women.
    datasets: [applications, students]
    rule: sex == 'female'
    benchmark_key: women
  - id: hispanic
    label: Hispanic or Latino
    description: Hispanic or Latino of any race.
    rationale: About half of the state.
    datasets: [applications]
    rule: hispanic == 'yes'
"""

BAD = """\
categories:
  - id: women
    label: Women
    description: d
    rationale: r
    datasets: [applications]
    rule: sex == 'female'
  - id: rural
    label: Rural
    description: d
    rationale: r
    datasets: [applications, nowhere]
    rule: sex === 'x'
  - id: women
    label: ""
    description: d
    rationale: r
    datasets: [students]
    rule: sex == 'female'
    colour: red
"""


def test_a_good_file_gives_its_definitions_and_no_problem(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    checked = check_definitions_file(path)
    assert checked.problems == ()
    assert [d.id for d in checked.definitions] == ["women", "hispanic"]
    women, hispanic = checked.definitions
    assert women.datasets == ("applications", "students")
    assert women.rule == "sex == 'female'"
    assert women.benchmark_key == "women"
    assert hispanic.label == "Hispanic or Latino"
    assert hispanic.datasets == ("applications",)
    assert hispanic.benchmark_key is None


def test_the_shipped_defaults_written_as_json_check_clean(tmp_path: Path) -> None:
    path = tmp_path / "defaults.json"
    defaults = default_definitions()
    path.write_text(json.dumps(defaults), encoding="utf-8")
    checked = check_definitions_file(path)
    assert checked.problems == ()
    assert [d.id for d in checked.definitions] == [c["id"] for c in defaults["categories"]]


def test_a_bad_file_names_every_problem_by_category_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    checked = check_definitions_file(path)
    assert checked.definitions == ()
    assert [(p.category, p.field, p.position) for p in checked.problems] == [
        ("rural", "rule", 6),  # the third '=' of "sex === 'x'"
        ("rural", "datasets", None),
        ("women", "id", None),
        ("women", "label", None),
        ("women", "colour", None),
    ]
    rule, dataset, duplicate, label, unknown = checked.problems
    assert rule.message == "in dataset applications: unexpected character '=' (write == to compare)"
    assert dataset.message.startswith("unknown dataset 'nowhere'; choose from applications, students")
    assert duplicate.message == "duplicate id (categories #1 and #3)"
    assert label.message == "missing"
    assert unknown.message.startswith("unknown field; the fields are id, label")
    assert str(rule) == ("category rural, field rule, position 6: "
                         "in dataset applications: unexpected character '=' (write == to compare)")


def test_a_file_that_does_not_parse_is_named_by_line_and_column(tmp_path: Path) -> None:
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text("categories:\n  - id: women\n    label: [unclosed\n", encoding="utf-8")
    assert check_definitions_file(broken_yaml).problems == (
        DefinitionProblem("-", "file", "not valid YAML at line 4, column 1"),)
    broken_json = tmp_path / "broken.json"
    broken_json.write_text('{"categories": [\n  {"id": "x",}\n]}', encoding="utf-8")
    (problem,) = check_definitions_file(broken_json).problems
    assert problem.field == "file"
    assert problem.message.startswith("not valid JSON at line 2, column 14:")
    assert check_definitions_file(broken_json).definitions == ()


def test_a_file_without_categories_or_missing_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("categories: []\n", encoding="utf-8")
    assert check_definitions_file(empty).problems == (
        DefinitionProblem("-", "categories", "the list of categories is empty"),)
    listless = tmp_path / "listless.yaml"
    listless.write_text("version: 1\n", encoding="utf-8")
    assert check_definitions_file(listless).problems == (
        DefinitionProblem("-", "categories", "the file needs a list under 'categories'"),)
    (missing,) = check_definitions_file(tmp_path / "missing.yaml").problems
    assert missing.field == "file"
    assert missing.message.startswith(f"cannot read {tmp_path / 'missing.yaml'}")
