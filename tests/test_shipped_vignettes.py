"""The structural minimums every shipped vignette meets, and what the set covers together."""

import re

import pytest

from widgets import force
from widgets.scenario import Scenario, load_scenario, shipped_scenarios
from widgets.session import Session

SCENARIOS = {path.stem: load_scenario(path) for path in shipped_scenarios()}


def endings(s: Scenario) -> list[str]:
    return [n.id for n in s.nodes.values() if n.end]


def reachable_endings(s: Scenario) -> set[str]:
    """Endings reached by some path (depth-first over every choice)."""
    found, seen, stack = set(), set(), [s.start]
    while stack:
        node = s.nodes[stack.pop()]
        if node.id in seen:
            continue
        seen.add(node.id)
        if node.end:
            found.add(node.id)
        stack += [c.next for c in node.choices] + ([node.next] if node.next else [])
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
