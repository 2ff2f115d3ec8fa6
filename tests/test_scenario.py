"""Tests of widgets/scenario.py: loading and validating vignette files."""

from pathlib import Path

import pytest

from widgets import force
from widgets.scenario import (
    ScenarioError,
    find_scenario,
    load_scenario,
    parse_scenario,
    schema,
    shipped_scenarios,
    validate_files,
)

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "scenario-valid.yaml"


def problems_of(name: str) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(FIXTURES / name)
    for problem in caught.value.problems:
        assert problem.file == str(FIXTURES / name)
    return [(p.line, p.message) for p in caught.value.problems]


def test_valid_fixture_loads_as_an_immutable_graph():
    """Does a valid file load with its nodes, choices, field and endings?"""
    scenario = load_scenario(VALID)
    assert scenario.id == "scenario-valid"
    assert scenario.start == "message"
    assert scenario.dimensions == ("safety", "mutuality")
    assert [c.lens for c in scenario.nodes["message"].choices] == ["relational", "medical"]
    assert scenario.nodes["booked"].end and scenario.nodes["open-door"].end
    assert scenario.nodes["callback"].reflect.startswith("What did you notice")
    assert scenario.choice_node_count == 2
    with pytest.raises(TypeError):
        scenario.nodes["x"] = None
    with pytest.raises(AttributeError):
        scenario.title = "changed"


def test_yaml_syntax_error_names_its_line():
    """Is broken YAML reported with the line of the break?"""
    assert problems_of("scenario-yaml-syntax.yaml") == [
        (9, "YAML syntax error: found character '\\t' that cannot start any token")
    ]


def test_unknown_next_target_names_its_line():
    """Does a choice pointing to a missing node fail validation at the line of its next key?"""
    found = problems_of("scenario-unknown-next.yaml")
    assert (38, "unknown next target 'bookd' in node 'choice-two'") in found


def test_unreachable_node_names_its_line():
    """Does a node that no path reaches fail validation at the line of its id?"""
    assert problems_of("scenario-unreachable-node.yaml") == [
        (50, "node 'orphan' is unreachable from start 'message'")
    ]


def test_dead_end_names_every_node_without_a_way_out():
    """Does a vignette with a dead end fail validation with its line number?"""
    assert problems_of("scenario-dead-end.yaml") == [
        (47, "no ending can be reached from node 'open-door'"),
        (50, "no ending can be reached from node 'waiting'"),
    ]


def test_effect_on_undeclared_dimension():
    """Is an effect on a dimension the field does not declare reported at its line?"""
    assert problems_of("scenario-undeclared-dimension.yaml") == [
        (36, "effect on undeclared field dimension 'trust' (declared: safety, mutuality)")
    ]


def test_a_single_choice_is_not_enough():
    """Does a choice node with one choice fail validation at its choices key?"""
    found = problems_of("scenario-one-choice.yaml")
    assert (33, "node 'choice-two' has only one choice; a choice node needs at least two") in found


def test_node_without_a_way_on():
    """Is a node with neither choices, next nor end reported at its line?"""
    found = problems_of("scenario-no-way-on.yaml")
    assert (27, "node 'callback' has neither choices, next nor end: true") in found


def test_unknown_movement_slug():
    """Does an unknown movement slug fail validation and list the valid ones?"""
    [(line, message)] = problems_of("scenario-bad-movement.yaml")
    assert line == 3
    assert "unknown movement slug 'intake'" in message
    for slug in force.slugs():
        assert slug in message


def test_unknown_lens():
    """Does an unknown lens fail validation at its line?"""
    assert problems_of("scenario-bad-lens.yaml") == [
        (
            23,
            "nodes.message.choices[1].lens: unknown lens 'biomedical'; "
            "expected one of: medical, relational, integrative",
        )
    ]


def test_field_value_out_of_range():
    """Is a field start value above 10 reported at its line?"""
    assert problems_of("scenario-field-out-of-range.yaml") == [
        (10, "field value mutuality = 11 is outside 0..10")
    ]


def test_duplicate_node_id_is_caught():
    """Is a node id used twice reported, though PyYAML would silently keep the last?"""
    found = problems_of("scenario-duplicate-node.yaml")
    assert (47, "duplicate node id 'booked' (first at line 44)") in found


def test_missing_text():
    """Is a node without text reported at its line?"""
    assert problems_of("scenario-missing-text.yaml") == [
        (44, "nodes.booked: missing required key 'text'")
    ]


def test_all_problems_of_a_file_are_reported_at_once():
    """Are several problems in one file all reported, sorted by line?"""
    text = VALID.read_text().replace("lens: medical", "lens: other").replace(
        "next: booked", "next: nowhere"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "many.yaml")
    lines = [p.line for p in caught.value.problems]
    assert len(lines) >= 3 and lines == sorted(lines)
    assert str(caught.value).startswith("many.yaml:")


def test_unknown_key_is_named_with_the_allowed_ones():
    """Does a misspelt key get named, with the keys allowed there?"""
    text = VALID.read_text().replace("    reflect: What", "    reflekt: What")
    with pytest.raises(ScenarioError, match=r":29: nodes.callback: unknown key 'reflekt'"):
        parse_scenario(text, "typo.yaml")


def test_node_with_choices_and_next_is_rejected():
    """Is a node that has both choices and next told to keep exactly one?"""
    text = VALID.read_text().replace(
        "    text: Sam asks whether", "    next: booked\n    text: Sam asks whether"
    )
    with pytest.raises(ScenarioError, match="has choices and next; give exactly one"):
        parse_scenario(text, "both.yaml")


def test_capstone_nodes_must_name_their_movement():
    """Must every node of a capstone vignette say which movement it belongs to?"""
    text = VALID.read_text().replace("movement: first-contact", "movement: capstone")
    with pytest.raises(ScenarioError, match="node 'message' must name its movement"):
        parse_scenario(text, "capstone.yaml")


def test_id_must_match_the_file_name(tmp_path):
    """Is a file whose id differs from its name reported, so ids stay findable?"""
    path = tmp_path / "other-name.yaml"
    path.write_text(VALID.read_text())
    with pytest.raises(ScenarioError, match="id 'scenario-valid' differs from the file name"):
        load_scenario(path)


def test_empty_and_non_mapping_files(tmp_path):
    """Do an empty file and a list at the top get a clear message, not a traceback?"""
    with pytest.raises(ScenarioError, match="the file is empty"):
        parse_scenario("", "empty.yaml")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        parse_scenario("- a\n- b\n", "list.yaml")
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "missing.yaml")


def test_the_same_id_in_two_files(tmp_path):
    """Does validating two files with one id report the second?"""
    a = tmp_path / "scenario-valid.yaml"
    a.write_text(VALID.read_text())
    folder = tmp_path / "copy"
    folder.mkdir()
    b = folder / "scenario-valid.yaml"
    b.write_text(VALID.read_text())
    [problem] = validate_files([a, b])
    assert problem.file == str(b) and "also used by" in problem.message


def test_schema_takes_movements_and_lenses_from_force():
    """Does the schema list exactly the slugs and lenses of widgets/force.py?"""
    s = schema()
    assert s["properties"]["movement"]["enum"] == [*force.slugs(), force.CAPSTONE]
    assert s["$defs"]["choice"]["properties"]["lens"]["enum"] == list(force.LENSES)


def test_a_caller_cannot_change_the_schema_for_everyone():
    """Does editing the schema one caller got leave the next caller's and validation as before?"""
    mine = schema()
    mine["properties"]["movement"]["enum"].append("intake")
    mine["required"].clear()
    assert "intake" not in schema()["properties"]["movement"]["enum"]
    assert "id" in schema()["required"]
    assert problems_of("scenario-bad-movement.yaml")


def test_shipped_vignettes_are_valid_and_findable():
    """Does every shipped vignette validate and load by its id?"""
    paths = shipped_scenarios()
    assert paths, "the course ships vignettes"
    assert validate_files(paths) == []
    for path in paths:
        assert find_scenario(path.stem) == path


def test_find_unknown_vignette_lists_the_shipped_ones():
    """Does an unknown id name the vignettes that exist?"""
    with pytest.raises(LookupError, match="shipped vignettes:"):
        find_scenario("no-such-vignette")


def test_fast_and_detailed_schema_checks_agree():
    """Do the quick check and the detailed report agree on every fixture and shipped file?"""
    from widgets.datafile import DataFileError, parse_yaml
    from widgets.scenario import _schema_problems, _schema_valid

    paths = sorted(FIXTURES.glob("scenario-*.yaml")) + shipped_scenarios()
    for path in paths:
        try:
            data = parse_yaml(path.read_text())
        except DataFileError:
            continue
        # _schema_problems consults the quick check first, so ask jsonschema directly.
        import jsonschema

        detailed = list(jsonschema.Draft202012Validator(schema()).iter_errors(data))
        assert _schema_valid(data) == (not detailed), path.name
        assert bool(_schema_problems(data, {}, path.name)) == bool(detailed), path.name


def test_loading_a_valid_vignette_does_not_import_jsonschema():
    """Does a kernel that only loads valid vignettes stay free of the slow jsonschema import?"""
    import subprocess
    import sys

    code = (
        "import sys; from widgets.scenario import load_scenario; "
        f"load_scenario({str(VALID)!r}); print('jsonschema' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
