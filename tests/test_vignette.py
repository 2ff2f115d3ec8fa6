"""Tests of widgets/vignette.py: the vignette view, driven from Python as a learner would."""

import base64
import json
import re
from pathlib import Path

import ipywidgets as ipw
import pytest

from widgets.html import escape, markdown, title_case
from widgets.journal import Journal
from widgets.scenario import load_scenario, shipped_scenarios
from widgets.vignette import Vignette

VALID = Path(__file__).parent / "fixtures" / "scenario-valid.yaml"
V2 = Path(__file__).parent / "fixtures" / "scenario-v2-valid.yaml"
#: A seed whose order at the v2 fixture's first node is not the file order: [2, 0, 1].
SHUFFLING_SEED = 1
PAYLOADS = ["<script>alert('x')</script>", '<img src=x onerror="alert(1)">']


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / "journal.json")


@pytest.fixture
def view(journal):
    return Vignette.load(str(VALID), journal=journal)


def buttons(v: ipw.Box) -> list[ipw.Button]:
    """Every button the view shows, in page order (inside its boxes too)."""
    found = []
    for child in v.children:
        if isinstance(child, ipw.Button):
            found.append(child)
        elif isinstance(child, ipw.Box):
            found += buttons(child)
    return found


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
    assert sorted(view.choice_labels) == [
        "Before we talk, I need to complete the intake form.",
        "Thanks for calling. I'd like to hear what made today the day.",
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
    assert [b.description for b in buttons(view)][-1] == "Restart the vignette"


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


# --- version 2: shuffled choices, tones, the debrief's paths not taken and going back ----


@pytest.fixture
def v2(journal):
    return Vignette.load(str(V2), journal=journal, seed=SHUFFLING_SEED)


def says(v: Vignette, node_id: str) -> list[str]:
    return [c.say.strip() for c in v.scenario.nodes[node_id].choices]


def test_choice_buttons_follow_the_sessions_order(v2):
    """Are the choice buttons in the session's shuffled order, each still giving its own
    response (the file index), and in file order where the vignette says shuffle: false?"""
    v2.start()
    order = v2.session.choice_order()
    assert order != sorted(order), "the seed must shuffle this node"
    assert v2.choice_labels == [says(v2, "ask")[i] for i in order]
    choice_buttons = [b for b in buttons(v2) if "irh-choice" in b._dom_classes]
    choice_buttons[0].click()
    assert v2.session.history[0].choice == order[0] == 2
    assert v2.session.node_id == "tells"
    v2.advance()
    assert v2.session.choice_order() == [0, 1]
    assert v2.choice_labels == says(v2, "plan")


def test_a_version_1_vignette_is_shuffled_too_and_the_order_is_fixed_per_session(journal):
    """Does a version 1 vignette show its choices in its session's order, the same order
    on every visit, and a new order only with a new session?"""
    orders = set()
    for seed in range(6):
        v = Vignette.load(str(VALID), journal=journal, seed=seed)
        v.start()
        order = v.session.choice_order()
        assert v.choice_labels == [says(v, "message")[i] for i in order]
        v.choose(order[0])
        v.advance()
        v.choose(0)
        v.rewind(0)
        assert v.choice_labels == [says(v, "message")[i] for i in order]
        orders.add(tuple(order))
    assert orders == {(0, 1), (1, 0)}


def test_restart_keeps_a_given_seed(v2):
    """With a seed given to the view, does a restart show the same order again?"""
    v2.start()
    before = v2.choice_labels
    v2.choose(1)
    v2.restart()
    v2.start()
    assert v2.session.seed == SHUFFLING_SEED and v2.choice_labels == before


@pytest.mark.parametrize(
    ("moves", "ending", "tone"),
    [
        (["choose 0", "advance", "choose 0"], "together", "hopeful"),
        (["choose 0", "advance", "choose 1"], "referred", "mixed"),
        (["choose 1", "advance"], "missed", "costly"),
    ],
)
def test_the_ending_says_its_tone_in_words(v2, moves, ending, tone):
    """Does an ending say in words whether it is hopeful, mixed or costly, in the story and
    in the debrief?"""
    v2.start()
    for move in moves:
        v2.choose(int(move.split()[1])) if move.startswith("choose") else v2.advance()
    assert v2.session.node_id == ending
    html = v2.html
    assert f"Ending: {tone}" in html
    assert f"This ending is <strong>{tone}</strong>" in html
    assert "irh-tone-" + tone in html
    assert html.count("Ending:") == 1


def test_a_version_1_ending_is_hopeful(view):
    """Does a version 1 vignette's ending (no tone in the file) show as hopeful?"""
    view.start()
    view.choose(1)
    view.advance()
    view.choose(1)
    assert "Ending: hopeful" in view.html


def play_to_referred(v: Vignette) -> None:
    """ask: relational (choice 0) -> tells (reflect) -> plan: medical (choice 1) -> referred."""
    v.start()
    v.choose(0)
    v.reflect("She trusted me with it.")
    v.advance()
    v.choose(1)
    assert v.session.node_id == "referred"


def test_going_back_from_the_debrief_restores_the_moment(v2, journal):
    """Does "Go back to this moment" return to that choice with the field and hidden values
    as they were then, keeping every reflection in the session and the journal?"""
    play_to_referred(v2)
    after_first = v2.session.history[0]
    click(v2, "Go back to this moment (choice 2)")
    assert v2.session.node_id == "plan" and not v2.session.finished
    assert v2.session.field == after_first.field
    assert v2.session.hidden == after_first.hidden == {"disclosure": 4, "risk": 5}
    assert 'aria-label="Mutuality"' in v2.html and 'aria-valuenow="4"' in v2.html
    assert "Debrief" not in v2.html
    assert "You are back at choice 2" in v2.html and "reflections are kept" in v2.html
    v2.choose(0)
    assert v2.session.node_id == "together"
    click(v2, "Go back to this moment (choice 1)")
    assert v2.session.node_id == "ask" and v2.session.history == []
    assert v2.session.field == {"safety": 4, "mutuality": 3}
    assert v2.session.hidden == {"disclosure": 2, "risk": 5}
    assert 'aria-valuenow="3"' in v2.html and v2.choice_labels
    v2.choose(1)
    v2.advance()
    assert v2.session.node_id == "missed"
    assert v2.session.reflections == {"tells": "She trusted me with it."}
    assert "She trusted me with it." in v2.html  # still listed in the debrief
    assert [e.key for e in journal.entries()] == ["tells"]


def test_going_back_is_also_a_method_and_a_bad_step_changes_nothing(v2):
    """Does view.rewind(step) go back as the button does, and a step that was never taken
    show a message and change nothing?"""
    play_to_referred(v2)
    before = v2.session.to_dict()
    v2.rewind(5)
    assert "Not possible: step 5 is out of range" in v2.html
    assert v2.session.to_dict() == before
    v2.rewind(1)
    assert v2.session.node_id == "plan" and len(v2.session.history) == 1


def test_the_debrief_offers_one_way_back_per_choice_made(v2):
    """Is there a "Go back to this moment" button for every choice made, in order?"""
    play_to_referred(v2)
    labels = [b.description for b in buttons(v2)]
    assert labels == [
        "Go back to this moment (choice 1)",
        "Go back to this moment (choice 2)",
        "Restart the vignette",
    ]


def test_options_not_taken_show_lens_and_feedback_collapsed(v2):
    """For each choice node visited, are the options not taken listed with their lens and
    feedback, inside a collapsed <details>?"""
    play_to_referred(v2)
    html = v2.html
    blocks = re.findall(r"<details class=\"irh-not-taken\"[^>]*>(.*?)</details>", html, re.S)
    assert len(blocks) == 2
    assert not re.search(r"<details class=\"irh-not-taken\"[^>]*\bopen\b", html)
    first, second = blocks
    assert "<summary>Options you did not take (2)</summary>" in first
    ask = v2.scenario.nodes["ask"].choices
    for choice in (ask[1], ask[2]):
        assert escape(choice.say.strip()) in first
        assert choice.feedback.strip() in first
        assert f"{title_case(choice.lens)} lens" in first
    assert escape(ask[0].say.strip()) not in first  # the one taken
    plan = v2.scenario.nodes["plan"].choices
    assert "Options you did not take (1)" in second
    assert escape(plan[0].say.strip()) in second and "Integrative lens" in second
    assert plan[0].feedback.strip() in second


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_from_yaml_in_the_debrief_is_escaped(journal, payload):
    """Are an option's words and feedback from the YAML shown as text in the options not
    taken, never as markup?"""
    from widgets.scenario import parse_scenario

    quoted = json.dumps(payload)  # a double-quoted YAML string
    text = V2.read_text(encoding="utf-8")
    text = text.replace('"Let\'s go through the screening questions first."', quoted)
    text = text.replace("Gives structure; the door to more closes a little.", quoted)
    v = Vignette(parse_scenario(text, "payload.yaml"), journal=journal, seed=0)
    assert v.scenario.nodes["ask"].choices[1].say == payload
    v.start()
    v.choose(0)
    v.advance()
    v.choose(0)
    html = v.html
    assert payload not in html and "<script>" not in html and "<img src=x" not in html
    assert escape(payload) in html  # its words
    assert markdown(payload).strip() in html  # its feedback, as Markdown shows text


def test_hidden_values_stay_hidden_until_the_debrief(v2):
    """Are the hidden variables kept out of view while playing, and shown with how they
    moved, in a chart beside the field chart, in the debrief?"""
    v2.start()
    v2.choose(0)
    v2.reflect("noted")
    v2.advance()
    assert "Disclosure" not in v2.html and "Risk" not in v2.html
    v2.choose(1)
    html = v2.html
    assert html.count("<svg") == 2
    assert "<title>The relational field over this session</title>" in html
    assert "<title>The client&#x27;s hidden state over this session</title>" in html
    assert 'class="irh-charts"' in html
    assert "Disclosure from 2 to 4" in html and "Risk from 5 to 4" in html
    assert "Disclosure up 2" in html  # how the first choice moved it, beside that choice


def test_a_version_1_debrief_has_no_hidden_chart(view):
    """Does a version 1 vignette's debrief show the field chart alone, as before, and no
    hidden state anywhere?"""
    view.start()
    view.choose(0)
    view.advance()
    view.choose(1)
    html = view.html
    assert html.count("<svg") == 1
    assert "<h4>The relational field over the session</h4>" in html
    assert "hidden state" not in html and "; hidden:" not in html
    assert 'class="irh-charts"' not in html
    assert view.session.finished and "Options you did not take (1)" in html


def test_live_widgets_stay_flat_while_going_back_and_forth(v2):
    """Over rounds of choosing, going back from the debrief, refused steps and restarts,
    is the count of live widgets the same at each point as the first time through?"""
    round_ = [
        v2.start,
        lambda: v2.choose(0),
        lambda: v2.reflect("noted"),
        v2.advance,
        lambda: v2.choose(1),  # referred
        lambda: v2.rewind(1),
        lambda: v2.choose(0),  # together
        lambda: v2.rewind(9),  # refused
        lambda: v2.rewind(0),
        lambda: v2.choose(1),
        v2.advance,  # missed
        v2.restart,
    ]
    counts = []
    for _ in range(6):
        counts.append([])
        for action in round_:
            action()
            counts[-1].append(live_widgets())
    assert all(row == counts[0] for row in counts), [row[-1] for row in counts]
