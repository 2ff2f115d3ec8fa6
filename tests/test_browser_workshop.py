"""Workshop pages in a real browser: Chromium drives each vignette page under Voila.

Each page is played to an ending twice: by clicking at a phone's size (390x844),
checking at every stage that nothing scrolls sideways and every button can be
reached, and by keyboard alone at a desktop size, with a script payload as the
reflection. Screenshots of each stage go to test-artifacts/browser/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from irh_devtools.voila import (
    CHOICE,
    CONTINUE,
    DEBRIEF,
    DOWNLOAD,
    FEEDBACK,
    METER,
    REFLECTION,
    RESTART,
    SAVE,
    START,
    STATUS,
    STORY,
    WORKSHOP_VIGNETTES,
    artifact_path,
    horizontal_overflow,
    meter_values,
    plan_path,
    screenshot,
)
from widgets.html import title_case
from widgets.scenario import find_scenario, load_scenario
from widgets.session import Session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = sorted(WORKSHOP_VIGNETTES)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
REFLECTION_TEXT = "I noticed how much the timing of the message told me."
PAYLOAD = (
    "<script>window.__irh_injected = 1</script>"
    '<img src="x" onerror="window.__irh_injected = 2; alert(1)">'
    "<b id=irh-bold>bold?</b> Still my own words."
)


def open_page(browser, server, page_path: str, viewport: dict) -> tuple[Page, list[str]]:
    """Open a workshop page; return it and the list that collects any dialog's text."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(server.render_url(page_path))
    expect(page.locator(START)).to_be_visible(timeout=60_000)
    return page, dialogs


def shot(page: Page, slug: str, mode: str, stage: str) -> None:
    """Save a screenshot of one stage under test-artifacts/browser/."""
    screenshot(page, artifact_path("browser", f"{slug}-{mode}-{stage}.png"))


def check_phone_layout(page: Page) -> None:
    """No sideways scrolling, and every button and link can be scrolled to and hit."""
    assert horizontal_overflow(page) == [], "something scrolls sideways"
    targets = page.locator(f"button:visible, {DOWNLOAD}")
    for i in range(targets.count()):
        target = targets.nth(i)
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (
            f"button {i} sticks out: {box}")
        hit = target.evaluate(
            "e => { const r = e.getBoundingClientRect();"
            " const h = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return h !== null && (h === e || e.contains(h)); }")
        assert hit, f"button {i} is covered by another element"


def expect_field(page: Page, expected: dict[str, int]) -> None:
    """Wait until each meter of the relational field states its expected value."""
    for name, value in expected.items():
        meter = page.locator(f'{METER}[aria-label="{name}"]')
        expect(meter).to_have_attribute("aria-valuenow", str(value))
    assert set(meter_values(page)) == set(expected)


def tab_to(page: Page, selector: str, nth: int = 0, limit: int = 150) -> None:
    """Press Tab until the element is focused (keyboard only: no click, no focus())."""
    target = page.locator(selector).nth(nth)
    expect(target).to_be_visible()
    focused = "e => e === document.activeElement || e.contains(document.activeElement)"
    for _ in range(limit):
        if target.evaluate(focused):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} #{nth}")


def play(page: Page, page_path: str, *, keyboard: bool, text: str, mode: str,
         phone: bool) -> str:
    """Play a planned path to the ending; return the downloaded journal's text."""
    slug = Path(page_path).stem
    scenario = load_scenario(find_scenario(WORKSHOP_VIGNETTES[page_path]))
    path = plan_path(scenario, rotate=1 if keyboard else 0)
    session = Session(scenario)
    for old in artifact_path("browser", "x").parent.glob(f"{slug}-{mode}-*.png"):
        old.unlink()
    label = {dim: title_case(dim) for dim in scenario.field}
    shot(page, slug, mode, "00-intro")
    if phone:
        check_phone_layout(page)

    def press(selector: str, nth: int = 0, key: str = "Enter") -> None:
        if keyboard:
            tab_to(page, selector, nth)
            page.keyboard.press(key)
        else:
            page.locator(selector).nth(nth).click()

    press(START, key="Space")
    expect(page.locator(STORY)).to_be_visible()
    saved = False
    for number, action in enumerate(path, start=1):
        node = scenario.nodes[action.node]
        expect_field(page, {label[d]: v for d, v in session.field.items()})
        if node.choices:
            expect(page.locator(CHOICE)).to_have_text([c.say.strip() for c in node.choices])
        if action.reflect and not saved:
            if keyboard:
                tab_to(page, REFLECTION)
                page.keyboard.type(text)
            else:
                page.locator(REFLECTION).fill(text)
            press(SAVE, key="Space")
            expect(page.locator(STATUS)).to_contain_text("Reflection saved")
            session.reflect(text)
            saved = True
            shot(page, slug, mode, f"{number:02d}-reflection-saved")
        if phone:
            check_phone_layout(page)
        if node.end:
            break
        story = page.locator(STORY).inner_text()
        if action.choice is None:
            press(CONTINUE)
            session.advance()
            expect(page.locator(STORY)).not_to_have_text(story)
            continue
        step = session.choose(action.choice)
        press(CHOICE, nth=action.choice, key="Space" if number % 2 else "Enter")
        feedback = page.locator(FEEDBACK)
        expect(feedback).to_be_visible()
        expect(feedback).to_contain_text(step.say.strip())
        expect(feedback).to_contain_text(title_case(step.lens))
        expect_field(page, {label[d]: v for d, v in step.field.items()})
        for delta in step.changes.values():
            expect(page.locator(".irh-field")).to_contain_text(f"{delta:+d}")
        shot(page, slug, mode, f"{number:02d}-feedback")
    assert saved, f"{scenario.id}: no reflection prompt on any path"
    debrief = page.locator(DEBRIEF)
    expect(debrief).to_be_visible()
    expect(debrief.locator("svg")).to_have_count(1)
    expect(debrief).to_contain_text(text.strip())
    assert page.locator('img[src="x"], #irh-bold').count() == 0, "typed HTML became live"
    shot(page, slug, mode, "90-debrief")
    if phone:
        check_phone_layout(page)
    with page.expect_download() as download_info:
        press(DOWNLOAD)
    journal = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert download_info.value.suggested_filename == f"{scenario.id}-journal.md"
    for step in session.history:
        assert step.say.strip() in journal
    press(RESTART, key="Space")
    expect(page.locator(START)).to_be_visible()
    expect(page.locator(CHOICE)).to_have_count(0)
    shot(page, slug, mode, "99-restarted")
    return journal


@pytest.mark.parametrize("page_path", PAGES)
def test_click_path_on_a_phone(browser, server, page_path):
    """Can a path be played to its ending by tapping at 390x844, with nothing off-screen?"""
    page, dialogs = open_page(browser, server, page_path, PHONE)
    try:
        journal = play(page, page_path, keyboard=False, text=REFLECTION_TEXT, mode="phone",
                       phone=True)
        assert REFLECTION_TEXT in journal
        assert dialogs == []
    finally:
        page.context.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_keyboard_path_with_a_script_payload(browser, server, page_path):
    """Can a path be played by keyboard alone, with a typed payload staying inert text?"""
    page, dialogs = open_page(browser, server, page_path, DESKTOP)
    try:
        journal = play(page, page_path, keyboard=True, text=PAYLOAD, mode="keyboard",
                       phone=False)
        assert PAYLOAD in journal
        assert dialogs == []
        assert page.evaluate("() => window.__irh_injected") is None
    finally:
        page.context.close()


def test_page_carries_on_after_its_connection_drops(browser, server):
    """After the kernel connection drops (a laptop that slept), does the page reconnect
    to the same kernel and answer the next choice?"""
    page, dialogs = open_page(browser, server, "workshop/first-contact.ipynb", DESKTOP)
    try:
        page.locator(START).click()
        expect(page.locator(CHOICE).first).to_be_visible()
        kernel = page.evaluate("window.irhKernel.id")
        page.evaluate("window.irhKernel.ws.close()")
        page.wait_for_function("window.irhKernel.drops === 1")
        page.locator(CHOICE).first.click()
        expect(page.locator(FEEDBACK).first).to_be_visible(timeout=30_000)
        assert page.evaluate("window.irhKernel.ws.readyState") == 1  # open again
        assert page.evaluate("window.irhKernel.id") == kernel
        assert dialogs == []
    finally:
        page.context.close()
