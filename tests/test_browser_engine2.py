"""A version 2 vignette in a real browser: endings by tone, options not taken, going back.

Chromium opens tests/fixtures/voila-engine2/second-session.ipynb under Voila (with the
repository's settings: strict Content-Security-Policy, the light front end), which shows
the vignette tests/fixtures/scenario-v2-valid.yaml. A path is played to an ending by
clicking, the tone is read, an option not taken is opened, "Go back to this moment" is
used and a different branch is played to a different ending; then the same by keyboard
alone; and axe checks the debrief with every option not taken open. The choices are
shown in a per-session shuffled order, so they are found by their words, never by their
place. Screenshots go to test-artifacts/engine2/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from irh_devtools.voila import (
    CHOICE,
    CONTINUE,
    DEBRIEF,
    FEEDBACK,
    METER,
    REFLECTION,
    SAVE,
    START,
    STATUS,
    STORY,
    artifact_path,
    collect_dialogs,
    meter_values,
    require_chromium,
    screenshot,
    start_voila,
    watch_problems,
    workshop_config,
)
from widgets.html import title_case
from widgets.scenario import load_scenario
from widgets.session import Session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGE = "second-session.ipynb"
SCENARIO = load_scenario(FIXTURES / "scenario-v2-valid.yaml")
DESKTOP = {"width": 1280, "height": 900}
REWIND = "button.irh-rewind"
NOT_TAKEN = "details.irh-not-taken"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Voila server serving the fixture page with the repository's settings."""
    require_chromium()
    config = workshop_config()
    # no pools: the repository's pools name workshop pages this folder does not have
    config["VoilaKernelManager"]["kernel_pools_config"] = {"default": {"pool_size": 0}}
    voila = start_voila(FIXTURES / "voila-engine2", tmp_path_factory.mktemp("voila"),
                        config=config)
    yield voila
    voila.stop()


def open_page(browser, server) -> tuple[Page, list[str], list[str]]:
    """Open the fixture page; return it, its reported problems and any dialog's text."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems = watch_problems(page)
    dialogs = collect_dialogs(page)
    page.goto(server.render_url(PAGE))
    expect(page.locator(START)).to_be_visible(timeout=90_000)
    return page, problems, dialogs


def say(node: str, index: int) -> str:
    return SCENARIO.nodes[node].choices[index].say.strip()


def choice_button(page: Page, node: str, index: int) -> Locator:
    """The button of choice ``index`` (file order) of ``node``, found by its words."""
    return page.get_by_role("button", name=say(node, index), exact=True)


def rewind_button(page: Page, step: int) -> Locator:
    return page.get_by_role("button", name=f"Go back to this moment (choice {step + 1})")


def expect_values(page: Page, session: Session) -> None:
    """The page's field meters state the session's field."""
    for name, value in session.field.items():
        meter = page.locator(f'{METER}[aria-label="{title_case(name)}"]')
        expect(meter).to_have_attribute("aria-valuenow", str(value))
    assert set(meter_values(page)) == {title_case(name) for name in session.field}


def expect_choices(page: Page, node: str, in_file_order: bool = False) -> None:
    """Every choice of ``node`` is shown once (in file order where it must be)."""
    says = [c.say.strip() for c in SCENARIO.nodes[node].choices]
    buttons = page.locator(CHOICE)
    if in_file_order:
        expect(buttons).to_have_text(says)
    else:
        expect(buttons).to_have_count(len(says))
        assert sorted(t.strip() for t in buttons.all_inner_texts()) == sorted(says)


def expect_hidden_state_unseen(page: Page) -> None:
    """While playing, the hidden variables appear nowhere on the page."""
    text = page.locator("#rendered_cells").inner_text()
    for name in SCENARIO.hidden:
        assert title_case(name) not in text, f"{name} shown while playing"


def expect_ending(page: Page, session: Session) -> None:
    """The ending reached states its tone in words, in the story and in the debrief."""
    assert session.finished
    expect(page.locator(STORY)).to_contain_text(f"Ending: {session.tone}")
    debrief = page.locator(DEBRIEF)
    expect(debrief).to_be_visible()
    expect(debrief).to_contain_text(f"This ending is {session.tone}")
    expect(debrief.locator("svg")).to_have_count(2)  # the field and the hidden state
    expect(rewind_button(page, 0)).to_be_visible()
    expect(page.locator(REWIND)).to_have_count(len(session.history))


def shot(page: Page, name: str) -> None:
    screenshot(page, artifact_path("engine2", f"{name}.png"))


def test_click_path_back_and_a_different_ending(browser, server):
    """By clicking: does a path reach an ending that names its tone, does an option not
    taken open with its lens and feedback, does "Go back to this moment" restore that
    moment's field, and does another branch then reach a different ending?"""
    page, problems, dialogs = open_page(browser, server)
    session = Session(SCENARIO)
    try:
        page.locator(START).click()
        expect_choices(page, "ask")
        expect_values(page, session)
        choice_button(page, "ask", 0).click()
        session.choose(0)
        expect(page.locator(FEEDBACK)).to_contain_text(say("ask", 0))
        expect(page.locator(STORY)).to_contain_text("pills she has been saving")
        expect_values(page, session)
        page.locator(REFLECTION).fill("I felt the weight of it.")
        page.locator(SAVE).click()
        expect(page.locator(STATUS)).to_contain_text("Reflection saved")
        expect_hidden_state_unseen(page)
        page.locator(CONTINUE).click()
        session.advance()
        expect_choices(page, "plan", in_file_order=True)  # shuffle: false
        choice_button(page, "plan", 1).click()
        session.choose(1)
        assert session.node_id == "referred" and session.tone == "mixed"
        expect_ending(page, session)
        expect_values(page, session)
        shot(page, "click-1-mixed-ending")

        first = page.locator(NOT_TAKEN).first
        passed_over = SCENARIO.nodes["ask"].choices[1]
        expect(first).not_to_have_attribute("open", "")
        expect(first.get_by_text(passed_over.feedback.strip())).to_be_hidden()
        first.locator("summary").click()
        expect(first.get_by_text(passed_over.feedback.strip())).to_be_visible()
        expect(first).to_contain_text(f"{title_case(passed_over.lens)} lens")
        expect(first).to_contain_text(say("ask", 2))
        shot(page, "click-2-not-taken-open")

        rewind_button(page, 0).click()
        session.rewind(0)
        expect(page.locator(DEBRIEF)).to_be_hidden()
        expect(page.locator(STATUS)).to_contain_text("You are back at choice 1")
        expect(page.locator(STORY)).to_contain_text('Rae says the week was "fine".')
        expect_values(page, session)
        expect_choices(page, "ask")
        choice_button(page, "ask", 1).click()
        session.choose(1)
        expect(page.locator(FEEDBACK)).to_contain_text(say("ask", 1))
        page.locator(CONTINUE).click()
        session.advance()
        assert session.node_id == "missed" and session.tone == "costly"
        expect_ending(page, session)
        expect_values(page, session)
        # the reflection written on the first path is kept
        expect(page.locator(DEBRIEF)).to_contain_text("I felt the weight of it.")
        shot(page, "click-3-costly-ending")
        assert dialogs == [] and problems == []
    finally:
        page.context.close()


def tab_to(page: Page, target: Locator, limit: int = 150) -> None:
    """Press Tab until ``target`` has the focus (keyboard only: no click, no focus())."""
    expect(target).to_be_visible()
    focused = "e => e === document.activeElement || e.contains(document.activeElement)"
    for _ in range(limit):
        if target.evaluate(focused):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_keyboard_path_back_and_a_different_ending(browser, server):
    """By keyboard alone (Tab, Enter, Space): can a path be played to an ending, an option
    not taken be opened, a moment be gone back to, and a different ending be reached?"""
    page, problems, dialogs = open_page(browser, server)
    session = Session(SCENARIO)

    def press(target: Locator, key: str) -> None:
        tab_to(page, target)
        page.keyboard.press(key)

    try:
        press(page.locator(START), "Space")
        expect_choices(page, "ask")
        press(choice_button(page, "ask", 2), "Enter")
        session.choose(2)
        expect(page.locator(FEEDBACK)).to_contain_text(say("ask", 2))
        press(page.locator(REFLECTION), "End")
        page.keyboard.type("Typed, not clicked.")
        press(page.locator(SAVE), "Space")
        expect(page.locator(STATUS)).to_contain_text("Reflection saved")
        press(page.locator(CONTINUE), "Enter")
        session.advance()
        press(choice_button(page, "plan", 0), "Space")
        session.choose(0)
        assert session.node_id == "together" and session.tone == "hopeful"
        expect_ending(page, session)
        expect_values(page, session)

        details = page.locator(NOT_TAKEN).first
        press(details.locator("summary"), "Enter")
        expect(details).to_have_attribute("open", "")
        expect(details.get_by_text(SCENARIO.nodes["ask"].choices[0].feedback.strip())
               ).to_be_visible()
        shot(page, "keyboard-1-hopeful-ending")

        press(rewind_button(page, 1), "Enter")
        session.rewind(1)
        expect(page.locator(STATUS)).to_contain_text("You are back at choice 2")
        expect(page.locator(STORY)).to_contain_text("You have ten minutes left.")
        expect_values(page, session)
        press(choice_button(page, "plan", 1), "Enter")
        session.choose(1)
        assert session.node_id == "missed" and session.tone == "costly"
        expect_ending(page, session)
        expect_values(page, session)
        expect(page.locator(DEBRIEF)).to_contain_text("Typed, not clicked.")
        shot(page, "keyboard-2-costly-ending")
        assert dialogs == [] and problems == []
    finally:
        page.context.close()


def blocking_violations(page: Page) -> list[str]:
    """Serious and critical axe violations on the page, one readable line per node."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
        for v in results.response["violations"] if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def test_debrief_with_options_not_taken_open_passes_axe(browser, server):
    """With every option not taken open (and the charts' tables), does the debrief pass
    axe with no serious or critical violation?"""
    page, problems, _dialogs = open_page(browser, server)
    try:
        page.locator(START).click()
        choice_button(page, "ask", 0).click()
        page.locator(CONTINUE).click()
        choice_button(page, "plan", 1).click()
        expect(page.locator(DEBRIEF)).to_be_visible()
        summaries = page.locator(f"{DEBRIEF} details summary")
        assert summaries.count() == 2 + 2  # two choices made, two charts' tables
        for i in range(summaries.count()):
            summaries.nth(i).click()
        expect(page.locator(f"{DEBRIEF} details[open]")).to_have_count(4)
        shot(page, "axe-debrief-open")
        assert blocking_violations(page) == []
        assert problems == []
    finally:
        page.context.close()
