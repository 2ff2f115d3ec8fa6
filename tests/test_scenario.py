"""Tests of widgets/scenario.py: loading and validating vignette files."""

import json
import re
from pathlib import Path

import pytest
import yaml

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


# --- format version 2 -------------------------------------------------------------------

V2 = FIXTURES / "scenario-v2-valid.yaml"


def test_v2_fixture_loads_hidden_branches_tones_and_shuffle():
    """Does a version 2 file load its hidden variables, branch lists, tones and shuffle flag?"""
    from widgets.scenario import Branch, Condition

    s = load_scenario(V2)
    assert dict(s.hidden) == {"disclosure": 2, "risk": 5}
    assert s.variables == ("safety", "mutuality", "disclosure", "risk")
    assert s.start_values() == {"safety": 4, "mutuality": 3, "disclosure": 2, "risk": 5}
    first = s.nodes["ask"].choices[0]
    assert first.next == (
        Branch("tells", (Condition("disclosure", ">=", 4), Condition("risk", ">", 4))),
        Branch("quiet"),
    )
    assert first.targets == ("tells", "quiet")
    assert first.target({"disclosure": 4, "risk": 5}) == "tells"
    assert first.target({"disclosure": 4, "risk": 4}) == "quiet"
    assert s.nodes["quiet"].target({"risk": 6}) == "missed"
    assert s.nodes["quiet"].target({"risk": 5}) == "plan"
    assert [s.nodes[e].tone for e in s.endings] == ["hopeful", "mixed", "costly"]
    assert s.nodes["ask"].tone is None
    assert s.nodes["plan"].shuffle is False and s.nodes["ask"].shuffle is True
    assert str(first.next[0]) == "if disclosure >= 4, risk > 4 -> tells"
    with pytest.raises(TypeError):
        s.hidden["risk"] = 1


def test_v1_files_read_as_before():
    """Does a version 1 file keep string targets, no hidden variables and hopeful endings?"""
    s = load_scenario(VALID)
    assert dict(s.hidden) == {} and s.variables == s.dimensions
    assert s.nodes["message"].choices[0].next == "callback"
    assert s.nodes["callback"].next == "choice-two"
    assert s.nodes["choice-two"].targets == ("booked", "open-door")
    assert {s.nodes[e].tone for e in s.endings} == {"hopeful"}


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "scenario-v2-unknown-variable",
            [(21, "condition on undeclared variable 'rsik' (field: safety; hidden: risk)")],
        ),
        (
            "scenario-v2-unknown-effect-variable",
            [(26, "effect on undeclared variable 'trust' (field: safety; hidden: risk)")],
        ),
        (
            "scenario-v2-bad-operator",
            [
                (
                    21,
                    "nodes.ask.choices[0].next[0].if.risk: unknown operator '=>' in condition "
                    "'=> 6'; use one of < <= == != >= >",
                )
            ],
        ),
        (
            "scenario-v2-condition-out-of-range",
            [
                (
                    21,
                    "nodes.ask.choices[0].next[0].if.risk: value 11 in condition '>= 11' "
                    "is outside 0..10",
                )
            ],
        ),
        (
            "scenario-v2-empty-branches",
            [
                (
                    28,
                    "nodes.ask.choices[1].next: an empty branch list; give at least a default "
                    "branch (- go: NODE)",
                )
            ],
        ),
        (
            "scenario-v2-no-default-branch",
            [
                (
                    23,
                    "nodes.ask.choices[0].next[1]: the last branch has an if; end the list "
                    "with a default branch that has only go",
                )
            ],
        ),
        (
            "scenario-v2-branch-after-default",
            [
                (
                    24,
                    "nodes.ask.choices[0].next[2]: this branch comes after the default branch "
                    "(nodes.ask.choices[0].next[1], which has no if) and is never tried",
                )
            ],
        ),
        (
            "scenario-v2-duplicate-variable",
            [
                (
                    11,
                    "duplicate variable 'safety': hidden repeats the field dimension (line 8); "
                    "give it another name",
                )
            ],
        ),
        (
            "scenario-v2-duplicate-hidden-variable",
            [(11, "duplicate variable 'risk' (first at line 10)")],
        ),
        (
            "scenario-v2-unknown-tone",
            [
                (
                    35,
                    "nodes.quiet.tone: unknown tone 'bleak'; expected one of: "
                    "hopeful, mixed, costly",
                )
            ],
        ),
        (
            "scenario-v2-tone-not-ending",
            [(15, "nodes.ask: tone is only for an ending; add end: true or remove tone")],
        ),
        (
            "scenario-v2-shuffle-without-choices",
            [(31, "nodes.tells: shuffle is only for a node with choices; remove it")],
        ),
        ("scenario-v2-hidden-out-of-range", [(10, "hidden value risk = 12 is outside 0..10")]),
        (
            "scenario-v2-unknown-branch-target",
            [
                (22, "unknown next target 'telsl' in node 'ask'"),
                (29, "node 'tells' is unreachable from start 'ask'"),
            ],
        ),
    ],
)
def test_each_v2_rule_names_its_line_and_problem(name, expected):
    """Does each version 2 rule report its fixture's problem at the right line?"""
    assert problems_of(f"{name}.yaml") == expected


def test_a_condition_must_be_text():
    """Is a condition written as a bare number told to be text such as ">= 4"?"""
    text = V2.read_text().replace('{disclosure: ">= 4", risk: "> 4"}', "{disclosure: 4}")
    with pytest.raises(ScenarioError, match=r":24: .*if.disclosure: must be text, not 4"):
        parse_scenario(text, "bare.yaml")


@pytest.mark.parametrize(
    "written, message",
    [
        ("= 4", "unknown operator '=' in condition '= 4'"),
        ("4", "no operator in condition '4'"),
        ("> -1", "value -1 in condition '> -1' is outside 0..10"),
        ("high", "condition 'high' must be an operator and a whole number 0..10"),
        (">= 04", "condition '>= 04' must be an operator and a whole number 0..10"),
    ],
)
def test_bad_conditions_say_what_is_wrong(written, message):
    """Does each malformed condition get a message that says what is wrong with it?"""
    text = V2.read_text().replace('risk: "> 4"', f'risk: "{written}"')
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml")
    [problem] = caught.value.problems
    assert problem.line == 24 and message in problem.message


def test_schema_tones_match_the_model():
    """Does the shipped schema list exactly the tones the model knows, default first?"""
    import json
    from importlib import resources

    from widgets.scenario import TONES

    shipped = json.loads(
        resources.files("widgets").joinpath("schema/vignette.schema.json").read_text("utf-8")
    )
    assert shipped["$defs"]["node"]["properties"]["tone"]["enum"] == list(TONES)
    assert TONES[0] == "hopeful"


def test_a_bad_variable_name_is_named_at_its_line():
    """Is a hidden variable name with a digit reported at its own line, with the rule?"""
    text = V2.read_text().replace("  risk: 5\n", "  risk2: 5\n")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "name.yaml")
    assert [(p.line, p.message) for p in caught.value.problems][0] == (
        13,
        "hidden: 'risk2': a variable name is lower-case letters and underscores, "
        "starting with a letter",
    )


def _design_blocks() -> list[str]:
    design = Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md"
    if not design.is_file():
        pytest.skip(f"{design} is not beside the checkout")
    text = design.read_text(encoding="utf-8")
    section = text.split("## Vignette format (the authoring contract)", 1)[1]
    section = section.split("## Later data flows", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, flags=re.S)


def _keys(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(str(key))
            _keys(value, out)
    elif isinstance(node, list):
        for item in node:
            _keys(item, out)
    return out


def test_design_format_sections_match_the_shipped_schema():
    """Does the JSON Schema declare every key DESIGN's format sections (v1 and v2) use?"""
    blocks = _design_blocks()
    assert len(blocks) >= 2, "DESIGN.md has no format examples"
    declared = set(json.dumps(schema()).replace('"', " ").split())
    node_ids: set[str] = set()
    named: set[str] = set()  # the v2 block adds to the v1 example, so names carry over
    for block in blocks:
        data = yaml.safe_load(block.replace("...", "x"))
        node_ids |= set((data.get("nodes") or {}).keys())
        used = _keys(data, set()) - node_ids
        # node ids and variable names are the author's own; every other key is format
        named |= set((data.get("field") or {}).keys()) | set((data.get("hidden") or {}).keys())
        missing = sorted(k for k in used - named if k not in declared)
        assert missing == [], f"keys in DESIGN.md the schema does not declare: {missing}"
    assert set(schema()["$defs"]["node"]["properties"]["tone"]["enum"]) == {
        "hopeful", "mixed", "costly"}
