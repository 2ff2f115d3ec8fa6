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
