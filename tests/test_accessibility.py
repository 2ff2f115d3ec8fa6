"""Accessibility: axe-core (through axe-playwright-python) on every page Voila serves.

The landing page, every course page and every workshop page must show no
serious or critical violation; workshop pages are also checked mid-vignette
(feedback and field shown) and at the debrief (chart shown).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from irh_devtools.voila import (
    CONTINUE,
    DEBRIEF,
    FEEDBACK,
    METER,
    START,
    WORKSHOP_VIGNETTES,
    artifact_path,
    course_pages,
    plan_path,
    screenshot,
    wait_rendered,
)
from widgets.scenario import find_scenario, load_scenario

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe() -> Axe:
    """axe-core, as shipped inside axe-playwright-python (nothing is downloaded)."""
    return Axe()


def blocking_violations(axe: Axe, page) -> list[str]:
    """Serious and critical axe violations on the page, one readable line per node."""
    results = axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            for node in violation["nodes"]:
                lines.append(f"{violation['id']} ({violation['impact']}): "
                             f"{violation['help']} at {node['target']}")
    return lines


def open_rendered(browser, server, page_path: str):
    """Open a page at a desktop size and wait until its widgets are drawn."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(30_000)
    page.goto(server.render_url(page_path))
    wait_rendered(page)
    return page


@pytest.mark.parametrize("page_path", course_pages())
def test_page_has_no_serious_violation(browser, server, axe, page_path):
    """Does the page, as first shown, pass axe with no serious or critical violation?"""
    page = open_rendered(browser, server, page_path)
    try:
        assert blocking_violations(axe, page) == []
    finally:
        page.close()


@pytest.mark.parametrize("page_path", sorted(WORKSHOP_VIGNETTES))
def test_vignette_in_play_and_at_debrief_has_no_serious_violation(browser, server, axe,
                                                                   page_path):
    """Do a vignette's feedback, field meter and debrief pass axe, with named controls?"""
    scenario = load_scenario(find_scenario(WORKSHOP_VIGNETTES[page_path]))
    page = open_rendered(browser, server, page_path)
    try:
        page.locator(START).click()
        checked_play = False
        for action in plan_path(scenario):
            if scenario.nodes[action.node].end:
                break
            if action.choice is None:
                page.locator(CONTINUE).click()
                continue
            # Choices are shown in a shuffled order: find the planned one by its words.
            say = scenario.nodes[action.node].choices[action.choice].say.strip()
            page.get_by_role("button", name=say, exact=True).click()
            expect(page.locator(FEEDBACK)).to_be_visible()
            if not checked_play:
                checked_play = True
                assert blocking_violations(axe, page) == []
                meters = page.locator(METER)
                assert meters.count() == len(scenario.field)
                for i in range(meters.count()):
                    meter = meters.nth(i)
                    assert meter.get_attribute("aria-label")
                    value = meter.get_attribute("aria-valuenow")
                    # The state is written as text too, not only as the bar's length.
                    assert f"{value} of " in meter.get_attribute("aria-valuetext")
                    row = meter.locator("xpath=..")
                    assert f"{value}/" in row.inner_text()
                names = page.locator("button:visible").evaluate_all(
                    "bs => bs.map(b => (b.getAttribute('aria-label') || b.innerText).trim())")
                assert all(names), "a button without an accessible name"
        expect(page.locator(DEBRIEF)).to_be_visible()
        screenshot(page, artifact_path("accessibility", f"{scenario.id}-debrief.png"))
        assert blocking_violations(axe, page) == []
    finally:
        page.close()
