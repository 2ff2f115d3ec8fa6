"""Every standard widget drawn by the course's page front end, in Chromium under Voila.

The fixture page tests/fixtures/voila/every-widget.ipynb displays one widget of every
class ipywidgets exports (the list follows the installed ipywidgets), an Output widget
holding text, HTML, an image, a widget and an error, and an ``interactive``. The grading
dashboard's ``interact`` is played through Voila as well.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import ipywidgets
import pytest
from playwright.sync_api import expect

from irh_devtools.voila import (
    REPO_ROOT,
    artifact_path,
    require_chromium,
    screenshot,
    start_voila,
    wait_rendered,
    watch_problems,
    workshop_config,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "voila"
DASHBOARD = REPO_ROOT / "instructor" / "dashboard.ipynb"
#: What the page shows when a widget cannot be drawn.
FAILURES = ("could not be rendered", "Failed to load model class", "Traceback")


def displayable_widget_classes() -> list[str]:
    """Every class ipywidgets exports that has a view of its own, sorted by name."""
    return sorted(
        name for name, cls in vars(ipywidgets).items()
        if inspect.isclass(cls) and issubclass(cls, ipywidgets.DOMWidget)
        and cls._view_name.default_value
    )


def fixture_config() -> dict:
    """The repository's Voila settings, without the pools of pages the fixtures lack."""
    config = workshop_config()
    config["VoilaKernelManager"]["kernel_pools_config"] = {"default": {"pool_size": 0}}
    return config


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Voila server serving tests/fixtures/voila/ with the repository's settings."""
    require_chromium()
    voila = start_voila(FIXTURES, tmp_path_factory.mktemp("voila"), config=fixture_config())
    yield voila
    voila.stop()


def open_rendered(browser, url: str, timeout: float = 90):
    """Open a page, watching for problems, and wait until its widgets are drawn."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    problems = watch_problems(page)
    page.goto(url)
    wait_rendered(page, timeout=timeout)
    expect(page.locator("body")).to_have_attribute("data-widgets", "ready", timeout=15_000)
    return page, problems


def test_every_standard_widget_is_drawn(browser, server):
    """Does the page draw a widget of every standard class, the Output widget with its
    text, HTML, image, nested widget and error, and report no problem?"""
    expected = displayable_widget_classes()
    assert {"Output", "interactive", "Image", "Audio", "Video", "Tab", "Accordion", "Stack",
            "Play", "TagsInput", "FileUpload", "Controller", "DatePicker", "TimePicker",
            "ColorPicker"} <= set(expected)
    page, problems = open_rendered(browser, server.render_url("every-widget.ipynb"))
    try:
        assert page.locator(".irh-widget-name").all_inner_texts() == expected
        hosts = page.locator(".widget-subarea")
        assert hosts.count() == len(expected) + 4  # and the linked pair, a button, an Output
        # each place holds a drawn view (a Lumino widget), not a notice
        empty = page.evaluate(
            "() => [...document.querySelectorAll('.widget-subarea')]"
            ".filter(h => !h.firstElementChild?.classList.contains('lm-Widget'))"
            ".map(h => h.outerHTML)")
        assert empty == []
        text = page.locator("#rendered_cells").inner_text()
        assert [f for f in FAILURES if f in text] == []
        output = page.locator(".widget-output").filter(has_text="Printed inside an Output.")
        expect(output).to_have_count(1)
        expect(output.locator(".irh-in-output")).to_have_text("HTML inside an Output")
        expect(output.locator('img[src^="data:image/png;base64,"]')).to_have_count(1)
        expect(output.get_by_role("button", name="A button inside an Output")).to_be_visible()
        expect(output).to_contain_text("ValueError: an error inside an Output")
        screenshot(page, artifact_path("widgets", "every-widget.png"))
        assert problems == []
    finally:
        page.close()


def test_interactive_output_follows_its_control(browser, server):
    """When the slider of an ``interactive`` moves, does its Output show the new result in
    place of the old one?"""
    page, problems = open_rendered(browser, server.render_url("every-widget.ipynb"))
    try:
        interact = page.locator(".widget-interact")
        output = interact.locator(".widget-output")
        expect(output).to_have_text("x is 5")
        problems.clear()  # what loading reported is test_every_standard_widget_is_drawn's
        interact.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        expect(output).to_have_text("x is 6")
        assert problems == []
    finally:
        page.close()


def test_output_shows_html_without_what_could_run(browser, server):
    """When a button's handler displays HTML with a script, a frame, an event handler and a
    ``javascript:`` link into an Output, does the page show the text with none of them?"""
    page, problems = open_rendered(browser, server.render_url("every-widget.ipynb"))
    try:
        problems.clear()  # what loading reported is test_every_standard_widget_is_drawn's
        page.get_by_role("button", name="Show HTML").click()
        shown = page.locator(".widget-output").filter(has=page.locator(".irh-live-html"))
        expect(shown.locator(".irh-live-html")).to_have_text("HTML shown on request")
        assert shown.locator("script, iframe, [onclick]").count() == 0
        assert shown.locator("a.irh-link").get_attribute("href") is None
        shown.locator(".irh-live-html").click()
        shown.locator("a.irh-link").click()
        assert page.evaluate("window.irhRan") is None
        # Chromium reports an event handler attribute as blocked as soon as it parses one,
        # even in the detached document where the sanitiser then removes it: the only
        # report allowed
        assert [p for p in problems if "script-src-attr" not in p
                and "inline event handler" not in p] == []
    finally:
        page.close()


def test_dashboard_interact_draws_a_new_chart(browser, demo_db, tmp_path, monkeypatch):
    """Served by Voila with the repository's settings, does the grading dashboard's
    student chooser replace the student's chart when another student is chosen?"""
    monkeypatch.setenv("IRH_GRADEBOOK_URL", demo_db)
    dashboard = start_voila(DASHBOARD, tmp_path, config=fixture_config(), timeout=120)
    try:
        page, problems = open_rendered(browser, dashboard.base_url + "/", timeout=240)
        try:
            interact = page.locator(".widget-interact")
            chart = interact.locator('.widget-output img[src^="data:image/png;base64,"]')
            expect(chart).to_have_count(1)
            first = chart.get_attribute("src")
            choices = interact.locator("select option").all_inner_texts()
            assert len(choices) >= 2
            interact.locator("select").select_option(label=choices[1])
            expect(chart).to_have_count(1)
            expect(chart).not_to_have_attribute("src", first, timeout=60_000)
            text = page.locator("#rendered_cells").inner_text()
            assert [f for f in FAILURES if f in text] == []
            screenshot(page, artifact_path("widgets", "dashboard-interact.png"))
            assert problems == []
        finally:
            page.close()
    finally:
        dashboard.stop()
