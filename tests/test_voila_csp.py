"""Pages under the server's Content-Security-Policy, and reflected-markup probes.

voila.json sends every page with ``script-src 'self'``: no inline script runs, so the
page's own behaviour (showing the cells once they have run, drawing widgets) must come
from files the server serves. Chromium opens the pages and reports every console error
and policy violation; query strings carrying markup must neither run nor be echoed.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from irh_devtools.voila import (
    START,
    VOILA_CONFIG,
    course_pages,
    fetch,
    require_chromium,
    shutdown,
    start_voila,
    wait_rendered,
    watch_problems,
    workshop_config,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "voila"

#: Script types a browser does not run: data the page's own script reads.
DATA_TYPES = {"application/json", "application/vnd.jupyter.widget-view+json",
              "application/vnd.jupyter.widget-state+json"}


def close_kernel(server, html: str) -> None:
    """Shut a fetched page's kernel down, from a thread of its own (Playwright's sync API
    runs an event loop in the test's thread)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(shutdown, server, html).result()


#: What Voila writes into a page whose cell runs long; the template keeps it inert (see
#: test_slow_page_heartbeat_is_not_blocked).
HEARTBEAT = "window.voila_heartbeat()"


def executable_inline_scripts(html: str) -> list[str]:
    """The inline scripts of a page that a browser would run (not data, no ``src``)."""
    found = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL | re.I):
        kind = re.search(r'\btype\s*=\s*"([^"]*)"', attrs)
        if "src=" in attrs or (kind and kind.group(1).strip().lower() in DATA_TYPES):
            continue
        if body.strip() != HEARTBEAT:
            found.append(body.strip()[:80])
    return found


@pytest.mark.parametrize("page", ["index.ipynb", "workshop/first-contact.ipynb"])
def test_page_has_no_inline_script_to_run(server, page):
    """Is every script of a page a served file or inert data, so that the policy blocks none?"""
    status, html = fetch(server, "/voila/render/" + quote(page))
    try:
        assert status == 200
        assert executable_inline_scripts(html) == []
    finally:
        if status == 200:
            close_kernel(server, html)


@pytest.mark.parametrize("page_path", course_pages())
def test_page_runs_under_the_policy_without_a_violation(browser, server, page_path):
    """Does every course page show its cells and draw its widgets with no policy violation
    and no console error?"""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        problems = watch_problems(page)
        page.goto(server.render_url(page_path))
        wait_rendered(page)
        expect(page.locator("body")).to_have_attribute("data-widgets", "ready", timeout=15_000)
        expect(page.locator("#rendered_cells")).to_be_visible()
        assert page.locator("#rendered_cells .jp-Cell").count() > 0
        if page_path.startswith("workshop/"):
            page.locator(START).click()
            expect(page.locator(START)).to_have_count(0)
        assert problems == []
    finally:
        page.close()


def test_slow_page_heartbeat_is_not_blocked(browser, tmp_path):
    """When a cell runs longer than Voila's keep-alive interval, Voila writes a heartbeat
    script into the page: does the page still show, with no policy violation?"""
    require_chromium()
    server = start_voila(FIXTURES, tmp_path, config=workshop_config(pool_size=0),
                         extra_args=["--VoilaConfiguration.http_keep_alive_timeout=1"])
    try:
        status, html = fetch(server, "/voila/render/slow-cell.ipynb")
        assert status == 200
        # (its kernel ends with the server, below)
        assert "voila_heartbeat" in html, "the server sent no heartbeat: the probe proves nothing"
        page = browser.new_page()
        try:
            problems = watch_problems(page)
            page.goto(server.render_url("slow-cell.ipynb"))
            wait_rendered(page)
            expect(page.locator("#rendered_cells")).to_contain_text("The slow cell has run.")
            assert problems == []
        finally:
            page.close()
    finally:
        server.stop()


#: Query strings that a page echoing its theme or template name would turn into markup.
INJECTIONS = [
    'theme="><script>alert(1)</script>',
    'template="><script>alert(1)</script>',
    "theme=<img src=x onerror=alert(1)>",
    'template=lab"><svg onload=alert(1)>',
    'theme=dark&template="><iframe src=javascript:alert(1)>',
]


@pytest.mark.parametrize("query", INJECTIONS)
def test_markup_in_the_query_string_neither_runs_nor_is_echoed(browser, server, query):
    """Does a page asked for with markup in ``theme`` or ``template`` open no dialog, hold no
    injected element, and carry the security headers?"""
    policy = json.loads(VOILA_CONFIG.read_text())["Voila"]["tornado_settings"]["headers"]
    page = browser.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        problems = watch_problems(page)
        response = page.goto(server.render_url("workshop/first-contact.ipynb") + "?"
                             + quote(query, safe="=&"))
        headers = response.headers
        assert headers.get("content-security-policy") == policy["Content-Security-Policy"]
        assert headers.get("x-content-type-options") == "nosniff"
        assert headers.get("referrer-policy") == policy["Referrer-Policy"]
        expect(page.locator(START)).to_be_visible(timeout=60_000)
        injected = page.evaluate(
            """() => [...document.querySelectorAll('script, img, svg, iframe')]
                 .filter(e => /alert\\(1\\)/.test(e.outerHTML)).map(e => e.outerHTML)""")
        assert injected == []
        assert "alert(1)" not in response.text()
        assert dialogs == []
        assert problems == []
    finally:
        page.close()
