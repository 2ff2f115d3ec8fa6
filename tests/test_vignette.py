"""Tests of widgets/vignette.py: the vignette view, driven from Python as a learner would."""

import base64
import re
from pathlib import Path

import ipywidgets as ipw
import pytest

from widgets.journal import Journal
from widgets.scenario import load_scenario, shipped_scenarios
from widgets.vignette import Vignette

VALID = Path(__file__).parent / "fixtures" / "scenario-valid.yaml"
PAYLOADS = ["<script>alert('x')</script>", '<img src=x onerror="alert(1)">']


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / "journal.json")


@pytest.fixture
def view(journal):
    return Vignette.load(str(VALID), journal=journal)


def buttons(v: Vignette) -> list[ipw.Button]:
    return [c for c in v.children if isinstance(c, ipw.Button)]


def click(v: Vignette, label: str) -> None:
    [button] = [b for b in buttons(v) if b.description == label]
    button.click()


def test_before_starting_the_client_card_and_content_note_show(view):
    """Before starting, are the client, the content note and a start button shown?"""
    html = view.html
    assert "Sam" in html and "they/them" in html and "fictional" in html.lower()
    assert "Content note." in html and "Mentions feeling low." in html
    assert [b.description for b in buttons(view)] == ["Begin the vignette"]
    assert view.choice_labels == []


def test_clicking_through_to_an_ending(view):
    """Can a learner click Begin, choose, continue and reach the debrief with restart?"""
    click(view, "Begin the vignette")
    assert view.choice_labels == [
        "Thanks for calling. I'd like to hear what made today the day.",
        "Before we talk, I need to complete the intake form.",
    ]
    click(view, "Before we talk, I need to complete the intake form.")
    assert "Gains structure; loses the moment." in view.html
    assert "Medical lens" in view.html
    click(view, "Continue")
    click(view, "Everything is confidential.")
    assert view.session.finished
    html = view.html
    assert "Debrief" in html and "The first exchange already is therapy." in html
    assert "<svg" in html and "The relational field over this session" in html
    assert [b.description for b in buttons(view)] == ["Restart the vignette"]


def test_field_bars_show_values_and_the_change_as_text(view):
    """Does the field show each value and the change as text and as an ARIA meter?"""
    view.start()
    assert 'aria-valuenow="4"' in view.html and "4/10" in view.html
    view.choose(0)
    html = view.html
    assert 'aria-label="Safety"' in html and 'aria-valuenow="5"' in html
    assert "+1" in html and "(up 1)" in html
    assert 'aria-valuetext="10 of 10, up 1"' in html  # clamped: 9 + 2 shows +1


def test_node_text_is_markdown_rendered(view):
    """Is the node's Markdown rendered to HTML by the Markdown library?"""
    view.start()
    assert "<em>" in view.html


def test_reflection_box_appears_at_reflection_nodes_and_saves(view, journal):
    """At a reflection node, can the learner save a reflection to the session and the journal?"""
    view.start()
    assert not any(isinstance(c, ipw.Textarea) for c in view.children)
    view.choose(0)
    assert any(isinstance(c, ipw.Textarea) for c in view.children)
    view._reflection.value = "I wanted to fix it for them."
    click(view, "Save reflection")
    assert view.session.reflections == {"callback": "I wanted to fix it for them."}
    assert "Reflection saved to your journal." in view.html
    [entry] = journal.entries()
    assert entry.source == "scenario-valid" and entry.key == "callback"
    assert entry.movement == "first-contact"
    assert entry.prompt == "What did you notice in yourself as Sam hesitated?"


def test_an_empty_reflection_is_refused_with_a_message(view, journal):
    """Is an empty reflection refused with a visible message, saving nothing?"""
    view.start()
    view.choose(0)
    view.reflect("   ")
    assert "a reflection cannot be empty" in view.html
    assert journal.entries() == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_typed_reflections_are_escaped_wherever_shown(view, payload):
    """Is a reflection containing markup shown as text in the status, debrief and download?"""
    view.start()
    view.choose(0)
    view.reflect(payload)
    view.advance()
    view.choose(0)
    html = view.html
    assert payload not in html
    assert payload.replace("<", "&lt;").replace(">", "&gt;")[:12] in html
    assert "<script>" not in html and "<img src=x" not in html
    link = re.search(r'href="data:text/markdown;charset=utf-8;base64,([^"]+)"', html)
    assert payload in base64.b64decode(link.group(1)).decode()


def test_restart_returns_to_the_client_card_with_a_fresh_session(view, journal):
    """Does restart begin again from the card, keeping saved journal entries?"""
    view.start()
    view.choose(0)
    view.reflect("kept")
    view.advance()
    view.choose(1)
    view.restart()
    assert not view.started and view.session.node_id == "message"
    assert view.session.history == [] and view._reflection.value == ""
    assert [b.description for b in buttons(view)] == ["Begin the vignette"]
    assert len(journal.entries()) == 1


def test_an_impossible_action_shows_a_message_and_changes_nothing(view):
    """Does choosing out of range show a message and leave the session unchanged?"""
    view.start()
    before = view.session.to_dict()
    view.choose(9)
    assert "Not possible: choice 9 is out of range" in view.html
    assert view.session.to_dict() == before


def test_debrief_lists_the_path_and_the_download_link(view):
    """Does the debrief list each response with its lens and offer a Markdown download?"""
    view.start()
    view.choose(1)
    view.advance()
    view.choose(0)
    html = view.html
    assert "Lenses of your responses: Medical 1, Relational 0, Integrative 1." in html
    assert 'download="scenario-valid-journal.md"' in html


def test_widget_state_is_serialisable(view):
    """Can every widget's state be sent to a front end (as JupyterLab and Voila do)?"""
    view.start()
    view.choose(0)
    for child in view.children:
        assert isinstance(child.get_state(), dict)
    assert "irh-vignette" in view._dom_classes


def test_a_journal_that_cannot_be_read_is_reported_not_overwritten(tmp_path):
    """With a corrupt journal file, is the reflection kept in the session and the file untouched?"""
    path = tmp_path / "journal.json"
    path.write_text("{not json")
    v = Vignette.load(str(VALID), journal=Journal(path))
    v.start()
    v.choose(0)
    v.reflect("still here")
    assert v.session.reflections == {"callback": "still here"}
    assert "not to your journal" in v.html and "could not be read" in v.html
    assert path.read_text() == "{not json"


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_every_shipped_vignette_plays_to_an_ending(path, journal):
    """Can every shipped vignette be played to an ending by always taking the first choice?"""
    v = Vignette(load_scenario(path), journal=journal)
    v.start()
    for _ in range(200):
        node = v.session.node
        if node.end:
            break
        if node.reflect and node.id not in v.session.reflections:
            v.reflect("A reflection.")
        if node.choices:
            v.choose(0)
        else:
            v.advance()
    assert v.session.finished and "Debrief" in v.html


def live_widgets() -> int:
    """Widgets alive in the kernel (ipywidgets 8.1 registry; ``Widget.widgets`` is deprecated)."""
    from ipywidgets.widgets.widget import _instances

    return len(_instances)


def test_live_widgets_stay_flat_over_100_actions(view):
    """After 100 actions (choices, refused choices, reflections, restarts), is the count of live
    widgets the same at each point of the path as the first time through?"""
    round_ = [
        view.start,
        lambda: view.choose(7),  # refused: out of range
        lambda: view.choose(0),
        lambda: view.choose(0),  # refused: this moment asks to continue
        lambda: view.reflect("I noticed my hurry."),
        lambda: view.reflect("   "),  # refused: empty
        view.advance,
        lambda: view.choose(1),
        lambda: view.choose(0),  # refused: the vignette has ended
        view.restart,
    ]
    counts: list[list[int]] = []
    actions = 0
    while actions < 100:
        counts.append([])
        for action in round_:
            action()
            actions += 1
            counts[-1].append(live_widgets())
    assert view.session.node_id == "message" and not view.started
    assert all(row == counts[0] for row in counts), [row[-1] for row in counts]


def test_an_image_from_another_site_in_a_vignette_is_not_loaded(journal):
    """Does a vignette page show an outside image as a link, so it makes no outside request?"""
    from widgets.scenario import parse_scenario

    text = VALID.read_text(encoding="utf-8").replace(
        "text: Sam books a first session.",
        'text: "Sam books. ![The clinic](https://tracker.example/pixel.png)"',
    )
    view = Vignette(parse_scenario(text, "outside-image.yaml"), journal=journal)
    view.start()
    view.choose(0)
    view.advance()
    view.choose(0)
    assert view.session.node_id == "booked"
    assert "<img" not in view.html
    assert 'href="https://tracker.example/pixel.png">Image: The clinic</a>' in view.html
