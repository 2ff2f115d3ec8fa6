"""Tests of widgets/session.py: one playthrough of a vignette."""

from pathlib import Path

import pytest

from widgets.scenario import load_scenario, parse_scenario
from widgets.session import Session, SessionError

VALID = Path(__file__).parent / "fixtures" / "scenario-valid.yaml"


@pytest.fixture
def scenario():
    return load_scenario(VALID)


def test_a_new_session_is_at_start_with_the_declared_field(scenario):
    """Does a session begin at start, with the field the file declares and no history?"""
    s = Session(scenario)
    assert s.node_id == "message"
    assert s.field == {"safety": 4, "mutuality": 9}
    assert s.history == [] and s.reflections == {} and not s.finished


def test_choose_applies_effects_records_history_and_moves(scenario):
    """Does a choice change the field, record its feedback and go to its next node?"""
    s = Session(scenario)
    step = s.choose(1)
    assert step.lens == "medical" and step.feedback.startswith("Gains structure")
    assert s.field == {"safety": 3, "mutuality": 9}
    assert s.node_id == "callback"
    assert s.history == [step]
    assert step.field == {"safety": 3, "mutuality": 9} and step.changes == {"safety": -1}


def test_field_values_are_clamped_and_changes_say_what_really_moved(scenario):
    """Are field values kept within 0..10, and does the step record the real change?"""
    s = Session(scenario)
    step = s.choose(0)  # mutuality 9 + 2 -> 10, not 11
    assert s.field["mutuality"] == 10
    assert step.effects == {"safety": 1, "mutuality": 2}
    assert step.changes == {"safety": 1, "mutuality": 1}
    s.advance()
    s.choose(1)  # safety 5 - 5 -> 0
    assert s.field["safety"] == 0
    assert s.finished and s.node_id == "open-door"


def test_field_cannot_go_below_zero():
    """Does a large negative effect stop at 0?"""
    text = VALID.read_text().replace("effects: {safety: -1}", "effects: {safety: -9}")
    s = Session(parse_scenario(text))
    s.choose(1)
    assert s.field["safety"] == 0


def test_bad_actions_raise_and_change_nothing(scenario):
    """Do impossible actions raise a clear error and leave the session as it was?"""
    s = Session(scenario)
    before = s.to_dict()
    with pytest.raises(SessionError, match=r"choice 5 is out of range at node 'message' \(0..1\)"):
        s.choose(5)
    with pytest.raises(SessionError, match="out of range"):
        s.choose(-1)
    with pytest.raises(SessionError, match="whole number"):
        s.choose("1")
    with pytest.raises(SessionError, match="asks for a choice"):
        s.advance()
    with pytest.raises(SessionError, match="asks for no reflection"):
        s.reflect("hello")
    assert s.to_dict() == before
    s.choose(0)
    with pytest.raises(SessionError, match="offers no choices"):
        s.choose(0)
    with pytest.raises(SessionError, match="cannot be empty"):
        s.reflect("   ")


def test_acting_after_the_end_is_refused(scenario):
    """After an ending, are choose and advance refused without change?"""
    s = Session(scenario)
    s.choose(0)
    s.advance()
    s.choose(0)
    assert s.finished
    before = s.to_dict()
    with pytest.raises(SessionError, match="has ended"):
        s.choose(0)
    with pytest.raises(SessionError, match="has ended"):
        s.advance()
    assert s.to_dict() == before


def test_reflections_are_kept_by_node_and_replaced_on_save_again(scenario):
    """Is a reflection saved at its node, trimmed, and replaced when saved again?"""
    s = Session(scenario)
    s.choose(0)
    s.reflect("  first thought ")
    s.reflect("second thought")
    assert s.reflections == {"callback": "second thought"}


def test_json_round_trip_resumes_exactly(scenario):
    """Does a session saved to JSON come back with the same node, field, history and reflections?"""
    s = Session(scenario)
    s.choose(0)
    s.reflect("I felt the pull to reassure.")
    s.advance()
    again = Session.from_json(scenario, s.to_json())
    assert again.to_dict() == s.to_dict()
    assert again.history == s.history
    again.choose(0)
    assert again.finished and not s.finished


def test_field_over_time_starts_with_the_declared_field(scenario):
    """Does the field history hold the start and one entry per choice?"""
    s = Session(scenario)
    s.choose(1)
    s.advance()
    s.choose(0)
    assert s.field_over_time() == [
        {"safety": 4, "mutuality": 9},
        {"safety": 3, "mutuality": 9},
        {"safety": 5, "mutuality": 9},
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not a saved session"),
        ("[1, 2]", "expected a JSON object"),
        ('{"format": 1, "scenario": "other"}', "belongs to vignette 'other'"),
        ('{"format": 7}', "unknown session format"),
        ('{"format": 1, "scenario": "scenario-valid"}', "not a saved session"),
    ],
)
def test_bad_saved_sessions_are_refused(scenario, text, message):
    """Is a damaged or foreign saved session refused with a clear message?"""
    with pytest.raises(SessionError, match=message):
        Session.from_json(scenario, text)


def test_saved_session_with_unknown_node_is_refused(scenario):
    """Is a saved session naming a node the vignette lacks refused?"""
    data = Session(scenario).to_dict()
    data["node"] = "gone"
    with pytest.raises(SessionError, match="unknown node"):
        Session.from_dict(scenario, data)


# --- format version 2: hidden state, branches, order, rewind, debrief --------------------

V2 = Path(__file__).parent / "fixtures" / "scenario-v2-valid.yaml"


@pytest.fixture
def v2():
    return load_scenario(V2)


def test_hidden_values_start_as_declared_and_move_with_effects(v2):
    """Do hidden values start as the file says and change, clamped, with a choice's effects?"""
    s = Session(v2, seed=1)
    assert s.hidden == {"disclosure": 2, "risk": 5} and s.field == {"safety": 4, "mutuality": 3}
    step = s.choose(0)
    assert s.hidden == {"disclosure": 4, "risk": 5}
    assert step.hidden == {"disclosure": 4, "risk": 5}
    assert step.hidden_changes == {"disclosure": 2}
    assert step.changes == {"mutuality": 1}  # the field's changes only
    assert step.effects == {"mutuality": 1, "disclosure": 2}


def test_hidden_values_are_clamped():
    """Does a large hidden effect stop at 10 and the step record the real change?"""
    text = V2.read_text().replace(
        "effects: {mutuality: 1, disclosure: 2}", "effects: {mutuality: 1, disclosure: 30}"
    )
    s = Session(parse_scenario(text))
    step = s.choose(0)
    assert s.hidden["disclosure"] == 10 and step.hidden_changes == {"disclosure": 8}


def test_branches_read_the_values_after_the_choice(v2):
    """Does a branch see the choice's own effects (disclosure 2 + 2 meets '>= 4')?"""
    s = Session(v2)
    s.choose(0)
    assert s.node_id == "tells"


def test_a_nodes_own_branches_follow_the_values(v2):
    """Does advance from a node with a branch list go where the current values lead?"""
    s = Session(v2)
    s.choose(1)  # risk 5 + 1 = 6: the quiet node's first branch holds
    assert s.node_id == "quiet"
    s.advance()
    assert s.node_id == "missed" and s.finished and s.tone == "costly"


def test_the_ending_tone(v2, scenario):
    """Is the tone of the ending reached given, hopeful by default and None before the end?"""
    s = Session(v2)
    assert s.tone is None
    s.choose(0)
    s.advance()
    s.choose(1)  # safety 4 - 1 = 3 is above 2: referred
    assert s.node_id == "referred" and s.tone == "mixed"
    v1 = Session(scenario)
    v1.choose(0)
    v1.advance()
    v1.choose(0)
    assert v1.tone == "hopeful"


def test_choice_order_is_a_fixed_permutation_per_seed(v2):
    """Is the shown order a permutation fixed by the seed, and do seeds differ?"""
    orders = {tuple(Session(v2, seed=seed).choice_order()) for seed in range(40)}
    assert all(sorted(order) == [0, 1, 2] for order in orders)
    assert len(orders) > 1
    s = Session(v2, seed=7)
    assert s.choice_order() == Session(v2, seed=7).choice_order()
    assert s.choice_order("ask") == s.choice_order()


def test_choice_order_is_the_same_in_another_process(v2):
    """Is the order for a seed the same in a fresh Python process (no hash randomisation)?"""
    import subprocess
    import sys

    code = (
        "from widgets.scenario import load_scenario; from widgets.session import Session; "
        f"print(Session(load_scenario({str(V2)!r}), seed=12345).choice_order())"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == str(Session(v2, seed=12345).choice_order()), result.stderr


def test_shuffle_false_keeps_the_file_order(v2):
    """Does a node with shuffle: false show its choices in file order for every seed?"""
    for seed in range(20):
        assert Session(v2, seed=seed).choice_order("plan") == [0, 1]
    assert Session(v2).choice_order("tells") == []


def test_choose_takes_file_indices_whatever_the_order(v2):
    """Does choose(i) give file choice i, whatever order the choices are shown in?"""
    for seed in range(10):
        s = Session(v2, seed=seed)
        assert s.choose(2).say.startswith("It sounds like fine")


def test_a_saved_session_keeps_its_seed_and_hidden_values(v2):
    """Does a resumed session have the same seed, hidden values and shown order?"""
    s = Session(v2, seed=99)
    s.choose(2)
    again = Session.from_json(v2, s.to_json())
    assert again.seed == 99 and again.hidden == s.hidden
    assert again.to_dict() == s.to_dict()
    assert again.choice_order("ask") == s.choice_order("ask")


def test_a_new_session_gets_a_seed_of_its_own(v2):
    """Does a session made without a seed get one, saved in its data?"""
    seeds = {Session(v2).seed for _ in range(5)}
    assert len(seeds) > 1 and all(isinstance(seed, int) for seed in seeds)
    with pytest.raises(SessionError, match="a seed is a whole number"):
        Session(v2, seed="7")


def test_rewind_returns_to_the_moment_before_a_step(v2):
    """Does rewind(step) restore that node and its field and hidden values, dropping later steps?"""
    s = Session(v2, seed=3)
    s.choose(0)  # ask -> tells
    s.reflect("She trusted me with that.")
    s.advance()  # -> plan
    before_plan = (s.field, s.hidden)
    s.choose(1)  # -> referred
    assert s.finished
    s.rewind(1)
    assert s.node_id == "plan" and not s.finished
    assert (s.field, s.hidden) == before_plan
    assert len(s.history) == 1 and s.visited == ["ask", "tells", "plan"]
    s.rewind(0)
    assert s.node_id == "ask" and s.history == [] and s.visited == ["ask"]
    assert s.field == {"safety": 4, "mutuality": 3} and s.hidden == {"disclosure": 2, "risk": 5}
    assert s.reflections == {"tells": "She trusted me with that."}
    s.choose(1)
    assert s.node_id == "quiet" and s.hidden == {"disclosure": 1, "risk": 6}


def test_rewind_refuses_a_step_not_taken_and_changes_nothing(v2):
    """Is a rewind to a step that was not made refused, leaving the session as it was?"""
    s = Session(v2)
    with pytest.raises(SessionError, match="nothing to go back to"):
        s.rewind(0)
    s.choose(0)
    before = s.to_dict()
    for bad, message in ((1, r"out of range \(0..0"), (-1, "out of range"), ("0", "whole")):
        with pytest.raises(SessionError, match=message):
            s.rewind(bad)
    assert s.to_dict() == before


def test_a_rewound_session_saves_and_resumes(v2):
    """Does a session saved after a rewind come back the same?"""
    s = Session(v2, seed=5)
    s.choose(0)
    s.advance()
    s.choose(0)
    s.rewind(1)
    again = Session.from_dict(v2, s.to_dict())
    assert again.to_dict() == s.to_dict()
    again.choose(1)
    assert again.node_id == "referred"


def test_options_not_taken_per_choice_made(v2):
    """Does the debrief data list, for each choice made, the other options and their feedback?"""
    s = Session(v2)
    s.choose(0)
    s.advance()
    s.choose(1)
    first, second = s.options_not_taken()
    assert (first.step, first.node, first.chosen) == (0, "ask", 0)
    assert [i for i, _ in first.options] == [1, 2]
    assert [c.lens for _, c in first.options] == ["medical", "integrative"]
    assert first.options[0][1].feedback.startswith("Gives structure")
    assert (second.step, second.node, second.chosen) == (1, "plan", 1)
    assert [(i, c.lens) for i, c in second.options] == [(0, "integrative")]


def test_hidden_over_time(v2, scenario):
    """Does the hidden history hold the start and one entry per choice (empty for version 1)?"""
    s = Session(v2)
    s.choose(1)
    assert s.hidden_over_time() == [
        {"disclosure": 2, "risk": 5},
        {"disclosure": 1, "risk": 6},
    ]
    v1 = Session(scenario)
    v1.choose(0)
    assert v1.hidden_over_time() == [{}, {}]


#: What Session.to_dict wrote before format 2, for scenario-valid after choose(1), advance().
FORMAT_1 = {
    "format": 1,
    "scenario": "scenario-valid",
    "node": "choice-two",
    "field": {"safety": 3, "mutuality": 9},
    "history": [
        {
            "node": "message",
            "choice": 1,
            "say": "Before we talk, I need to complete the intake form.",
            "lens": "medical",
            "feedback": "Gains structure; loses the moment.",
            "effects": {"safety": -1},
            "field": {"safety": 3, "mutuality": 9},
            "changes": {"safety": -1},
        }
    ],
    "visited": ["message", "callback", "choice-two"],
    "reflections": {"callback": "A format 1 note."},
}


def test_a_format_1_save_still_loads(scenario):
    """Does a session saved in format 1 load, go on, rewind and save in the new format?"""
    s = Session.from_dict(scenario, FORMAT_1)
    assert s.node_id == "choice-two" and s.field == {"safety": 3, "mutuality": 9}
    assert s.seed == 0 and s.hidden == {} and s.history[0].hidden == {}
    assert s.reflections == {"callback": "A format 1 note."}
    s.rewind(0)
    assert s.node_id == "message" and s.field == {"safety": 4, "mutuality": 9}
    assert s.to_dict()["format"] == 2


def test_a_save_whose_history_does_not_match_its_path_is_refused(scenario):
    """Is a saved session whose steps do not match the nodes it visited refused?"""
    data = dict(FORMAT_1, visited=["callback", "choice-two"])
    with pytest.raises(SessionError, match="history does not match its path"):
        Session.from_dict(scenario, data)
    data = Session(scenario).to_dict()
    data["hidden"] = {"risk": 3}
    with pytest.raises(SessionError, match="hidden values do not match"):
        Session.from_dict(scenario, data)
    data = Session(scenario).to_dict()
    data["seed"] = "x"
    with pytest.raises(SessionError, match="seed"):
        Session.from_dict(scenario, data)
