"""Workshop pages in a real browser: Chromium drives each vignette page under Voila.

Each page is played to an ending twice: by clicking at a phone's size (390x844),
checking at every stage that nothing scrolls sideways and every button can be
reached, and by keyboard alone at a desktop size, with a script payload as the
reflection. Screenshots of each stage go to test-artifacts/browser/.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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
    collect_dialogs,
    fetch,
    horizontal_overflow,
    kernel_message,
    kernel_ws_url,
    meter_values,
    plan_path,
    screenshot,
    talk,
    workshop_config,
)
from widgets.html import title_case
from widgets.scenario import find_scenario, load_scenario
from widgets.session import Session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = sorted(WORKSHOP_VIGNETTES)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
REFLECTION_TEXT = "I noticed how much the timing of the message told me."
CONNECTION_NOTICE = ".irh-connection"
RECONNECTING = "Connection lost, reconnecting…"
GAVE_UP = "The connection could not be restored. Reload the page to continue."
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
    dialogs = collect_dialogs(page)
    page.goto(server.render_url(page_path))
    expect(page.locator(START)).to_be_visible(timeout=60_000)
    return page, dialogs


def shutdown_kernel(server, kernel: str) -> None:
    """Shut a kernel down from outside its page (a shutdown request over a second
    websocket), and wait until the server no longer knows it."""
    session = uuid.uuid4().hex
    message = kernel_message("shutdown_request", {"restart": False}, session, channel="control")

    # in a thread of its own: Playwright's sync API runs an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, talk(kernel_ws_url(server, kernel, session), [message], 0.5)
                    ).result()
    deadline = time.monotonic() + 20
    while fetch(server, f"/api/kernels/{kernel}")[0] == 200:
        assert time.monotonic() < deadline, f"kernel {kernel} still runs"
        time.sleep(0.2)


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
        shown: list[str] = []
        if node.choices:
            # choices are shown in a per-session shuffled order: the same set, any order
            expect(page.locator(CHOICE)).to_have_count(len(node.choices))
            shown = [t.strip() for t in page.locator(CHOICE).all_inner_texts()]
            assert sorted(shown) == sorted(c.say.strip() for c in node.choices)
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
        press(CHOICE, nth=shown.index(node.choices[action.choice].say.strip()),
              key="Space" if number % 2 else "Enter")
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


def expect_connection_notice(page: Page, text: str) -> None:
    """Wait until the page's connection notice says ``text``, as a polite live region."""
    notice = page.locator(CONNECTION_NOTICE)
    expect(notice).to_be_visible()
    expect(notice).to_have_text(text)
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_have_attribute("aria-live", re.compile("polite|assertive"))


def test_page_carries_on_after_its_connection_drops(browser, server):
    """After the kernel connection drops (a laptop that slept), does the page say it is
    reconnecting, reconnect to the same kernel, withdraw the notice and answer the next
    choice?"""
    page, dialogs = open_page(browser, server, "workshop/first-contact.ipynb", DESKTOP)
    try:
        page.locator(START).click()
        expect(page.locator(CHOICE).first).to_be_visible()
        expect(page.locator(CONNECTION_NOTICE)).to_be_hidden()
        kernel = page.evaluate("window.irhKernel.id")
        page.evaluate("window.irhKernel.ws.close()")
        page.wait_for_function("window.irhKernel.drops === 1")
        expect_connection_notice(page, RECONNECTING)
        page.locator(CHOICE).first.click()
        expect(page.locator(FEEDBACK).first).to_be_visible(timeout=30_000)
        expect(page.locator(CONNECTION_NOTICE)).to_be_hidden()
        assert page.evaluate("window.irhKernel.ws.readyState") == 1  # open again
        assert page.evaluate("window.irhKernel.id") == kernel
        assert dialogs == []
    finally:
        page.context.close()


def test_page_says_when_its_connection_cannot_be_restored(browser, server):
    """When every reconnection attempt fails (its kernel is gone), does the page stop trying
    and tell the attendee to reload?"""
    context = browser.new_context(viewport=DESKTOP)
    # three quick attempts instead of the real schedule (about two minutes)
    context.add_init_script("window.irhReconnectWaits = [100, 200, 300];")
    page = context.new_page()
    try:
        page.goto(server.render_url("workshop/first-contact.ipynb"))
        expect(page.locator(START)).to_be_visible(timeout=60_000)
        kernel = page.evaluate("window.irhKernel.id")
        shutdown_kernel(server, kernel)
        page.evaluate("window.irhKernel.ws.close()")  # if the server has not closed it yet
        expect_connection_notice(page, GAVE_UP)
        attempts = page.evaluate("window.irhKernel.attempts")
        assert attempts == 3
        page.wait_for_timeout(1500)
        assert page.evaluate("window.irhKernel.attempts") == attempts  # no more tries
    finally:
        context.close()


def test_messages_sent_while_disconnected_are_bounded(browser, server):
    """While the connection is down, does the page keep at most 200 unsent messages and
    1 MiB, dropping the oldest first?"""
    context = browser.new_context(viewport=DESKTOP)
    context.add_init_script("window.irhReconnectWaits = [60000];")
    page = context.new_page()
    try:
        page.goto(server.render_url("workshop/first-contact.ipynb"))
        expect(page.locator(START)).to_be_visible(timeout=60_000)
        page.evaluate("window.irhKernel.ws.close()")
        page.wait_for_function("window.irhKernel.drops === 1")
        queued = page.evaluate("""() => {
            const k = window.irhKernel;
            for (let i = 0; i < 250; i++) k.send('comm_info_request', {target_name: `t${i}`});
            // each queued message is a frame of jupyter_server's v1 protocol: content is
            // its fifth part
            const content = (frame) => {
                const v = new DataView(frame);
                const at = (i) => Number(v.getBigUint64(8 * (i + 1), true));
                return JSON.parse(new TextDecoder().decode(frame.slice(at(4), at(5))));
            };
            const names = () => k.pending.map(m => content(m).target_name);
            const many = {count: k.pending.length, first: names()[0], last: names().at(-1)};
            const big = 'x'.repeat(400 * 1024);
            for (let i = 0; i < 4; i++) k.send('comm_info_request', {target_name: big + i});
            return {many, count: k.pending.length, bytes: k.pendingBytes,
                    last: names().at(-1).slice(-1), dropped: k.dropped};
        }""")
        assert queued["many"] == {"count": 200, "first": "t50", "last": "t249"}
        assert queued["bytes"] <= 1024 * 1024
        assert queued["last"] == "3"  # the newest kept
        assert queued["dropped"] >= 50 + 1
    finally:
        context.close()


def test_page_restored_from_the_back_forward_cache_reloads(browser, server):
    """A page left (its kernel shut down) can come back from the browser's back-forward
    cache, as Safari keeps it: does it load afresh, with a new kernel, instead of showing
    widgets that no longer answer?"""
    page, _ = open_page(browser, server, "workshop/first-contact.ipynb", DESKTOP)
    try:
        kernel = page.evaluate("window.irhKernel.id")
        with page.expect_navigation():
            # what the browser fires when it leaves a page for the cache and brings it back
            page.evaluate("""() => {
                dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}));
                dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
            }""")
        expect(page.locator(START)).to_be_visible(timeout=60_000)
        assert page.evaluate("window.irhKernel.id") != kernel
    finally:
        page.context.close()


def test_closing_the_tab_shuts_its_kernel_down(browser, server):
    """With the server's cross-site request check on, does closing a page's tab end its
    kernel?"""
    settings = workshop_config()["Voila"].get("tornado_settings", {})
    assert not settings.get("disable_check_xsrf"), "the probe needs the XSRF check on"
    page, _ = open_page(browser, server, "workshop/first-contact.ipynb", DESKTOP)
    kernel = page.evaluate("window.irhKernel.id")
    assert fetch(server, f"/api/kernels/{kernel}")[0] == 200
    page.context.close()
    deadline = time.monotonic() + 20
    while fetch(server, f"/api/kernels/{kernel}")[0] == 200:
        assert time.monotonic() < deadline, "the kernel of a closed tab still runs"
        time.sleep(0.2)
