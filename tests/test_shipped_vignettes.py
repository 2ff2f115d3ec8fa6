"""The structural minimums every shipped vignette meets, and what the set covers together."""

import re
from pathlib import Path

import pytest

from irh_devtools.voila import plan_path
from widgets import force
from widgets.scenario import Scenario, load_scenario, shipped_scenarios
from widgets.session import Session

SCENARIOS = {path.stem: load_scenario(path) for path in shipped_scenarios()}
#: A version 2 vignette whose choices and nodes branch on hidden values.
BRANCHING = load_scenario(Path(__file__).parent / "fixtures" / "scenario-v2-valid.yaml")


def endings(s: Scenario) -> list[str]:
    return [n.id for n in s.nodes.values() if n.end]


def reachable_endings(s: Scenario) -> set[str]:
    """Endings reached by some path, played in sessions (depth-first over every choice).

    Sessions are played rather than the graph walked, because where a branch leads
    depends on the field and hidden values at that moment. Two sessions at the same
    node whose values differ only where no condition looks lead to the same endings.
    """
    nexts = [n.next for n in s.nodes.values()] + [
        c.next for n in s.nodes.values() for c in n.choices
    ]
    read = sorted({c.variable for n in nexts if isinstance(n, tuple) for b in n
                   for c in b.conditions})
    found, seen, stack = set(), set(), [Session(s, seed=0)]
    while stack:
        session = stack.pop()
        state = (session.node_id, *(session.values[name] for name in read))
        if state in seen:
            continue
        seen.add(state)
        node = session.node
        if node.end:
            found.add(node.id)
            continue
        for index in range(len(node.choices)) if node.choices else [None]:
            after = Session.from_dict(s, session.to_dict())
            after.advance() if index is None else after.choose(index)
            stack.append(after)
    return found


@pytest.mark.parametrize("vid", sorted(SCENARIOS))
def test_structural_minimums(vid):
    """Does the vignette have 4+ choice nodes, all three lenses, feedback, a reflection,
    two reachable endings with different texts, and a debrief?"""
    s = SCENARIOS[vid]
    assert s.choice_node_count >= 4
    lenses = {c.lens for n in s.nodes.values() for c in n.choices}
    assert lenses == set(force.LENSES)
    for node in s.nodes.values():
        for choice in node.choices:
            assert len(choice.feedback.split()) >= 15, f"thin feedback at {node.id}"
    assert any(n.reflect for n in s.nodes.values())
    ends = endings(s)
    assert len(ends) >= 2 and reachable_endings(s) == set(ends)
    assert len({s.nodes[e].text for e in ends}) == len(ends)
    assert len(s.debrief.split()) >= 60


def test_reachable_endings_follow_branches():
    """Are the endings of a vignette whose choices branch on hidden values found, each
    reached by playing, and no more?"""
    nexts = [c.next for n in BRANCHING.nodes.values() for c in n.choices]
    assert any(isinstance(n, tuple) for n in nexts), "the fixture must branch"
    assert reachable_endings(BRANCHING) == {"together", "referred", "missed"}


@pytest.mark.parametrize("scenario", [*SCENARIOS.values(), BRANCHING], ids=lambda s: s.id)
@pytest.mark.parametrize("rotate", [0, 1, 2])
def test_a_planned_path_plays_to_an_ending(scenario, rotate):
    """Does the path the browser tests follow play, action by action, to an ending in a
    session (branches read as the session reads them), saving a reflection on the way?"""
    path = plan_path(scenario, rotate=rotate)
    session = Session(scenario)
    for action in path[:-1]:
        assert action.node == session.node_id
        if action.choice is None:
            session.advance()
        else:
            session.choose(action.choice)
    assert path[-1].node == session.node_id and session.finished
    assert any(action.reflect for action in path)


def test_planned_paths_differ_by_rotation():
    """Do different rotations walk different branches of a branching vignette?"""
    ends = {plan_path(BRANCHING, rotate=r)[-1].node for r in range(3)}
    assert len(ends) >= 2, ends


@pytest.mark.parametrize("vid", sorted(SCENARIOS))
def test_every_choice_node_offers_more_than_one_lens(vid):
    """Does every choice node let the learner choose between lenses, not between wordings?"""
    for node in SCENARIOS[vid].nodes.values():
        if node.choices:
            assert len({c.lens for c in node.choices}) >= 2, node.id


@pytest.mark.parametrize("vid", sorted(SCENARIOS))
def test_fictional_and_own_words(vid):
    """Does the vignette say its client is fictional, and never spell out the letters of FORCE?"""
    s = SCENARIOS[vid]
    assert "fictional" in (s.summary + s.client.about).lower()
    every_text = " ".join(
        [s.summary, s.debrief, s.client.about]
        + [n.text for n in s.nodes.values()]
        + [c.feedback + c.say for n in s.nodes.values() for c in n.choices]
    )
    assert not re.search(r"F\s*=|F is for|stands for", every_text)


def test_every_movement_has_a_vignette_and_there_is_a_capstone():
    """Is there at least one vignette per movement, plus a capstone spanning all five in order?"""
    movements = {s.movement for s in SCENARIOS.values()}
    assert set(force.slugs()) <= movements
    capstones = [s for s in SCENARIOS.values() if s.movement == force.CAPSTONE]
    assert capstones
    for s in capstones:
        order = []
        session = Session(s)
        while not session.finished:
            slug = session.node.movement
            if not order or order[-1] != slug:
                order.append(slug)
            session.choose(0) if session.node.choices else session.advance()
        assert order == force.slugs(), order


def test_the_set_covers_the_required_ethics_and_situations():
    """Across the set: a safety concern met with risk assessment, consent early, a system's
    distress, a termination that becomes a beginning, and content notes before heavy material?"""

    def text(s: Scenario) -> str:
        parts = [s.summary, s.debrief, s.content_note or ""]
        parts += [n.text for n in s.nodes.values()]
        parts += [c.say + " " + c.feedback for n in s.nodes.values() for c in n.choices]
        return " ".join(parts).lower()

    texts = {vid: text(s) for vid, s in SCENARIOS.items()}
    safety = [v for v, t in texts.items() if "suicid" in t and "safety plan" in t]
    assert safety, "a vignette where a safety concern is met with a safety plan"
    for vid in safety:
        assert SCENARIOS[vid].content_note, f"{vid} needs a content note"
    assert any("consent" in t and "confidential" in t for t in texts.values())
    assert any(
        ("return" in t or "new therapist" in t)
        for v, t in texts.items()
        if SCENARIOS[v].movement == "termination"
    )
    first = [s for s in SCENARIOS.values() if s.movement == "first-contact"]
    assert any("confidential" in text(s) for s in first), "consent early, at first contact"


def test_clients_are_varied():
    """Does every vignette have its own client?"""
    names = [s.client.name for s in SCENARIOS.values()]
    assert len(set(names)) == len(names)
