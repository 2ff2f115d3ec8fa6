"""Shared test settings.

Browser tests (tests/voila_support.py) need Debian's Chromium at /usr/bin/chromium.
Locally they skip with a printed reason when it is missing; with IRH_REQUIRE_BROWSER=1
(as CI sets) a missing browser is a failure instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Students in the fictional cohort of :func:`demo_db`.
DEMO_STUDENTS = 8


@pytest.fixture(autouse=True)
def journal_dir(tmp_path, monkeypatch) -> Path:
    """A private journal folder for every test, so none touches the user's real journal."""
    folder = tmp_path / "journal"
    monkeypatch.setenv("IRH_JOURNAL_DIR", str(folder))
    for name in ("VOILA_BASE_URL", "VOILA_KERNEL_ID"):
        monkeypatch.delenv(name, raising=False)
    from widgets import journal

    monkeypatch.setattr(journal, "PAGE_JOURNAL", journal.Journal())
    return folder


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """The URL of a gradebook holding a fictional cohort (instructor/demo_gradebook.py)."""
    from instructor import demo_gradebook

    path = tmp_path_factory.mktemp("gb") / "gradebook.db"
    url = f"sqlite:///{path}"
    demo_gradebook.build(url, students=DEMO_STUDENTS)
    return url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real Voila server on 127.0.0.1 serving course/ with the repository's settings.

    One per test module; skips (or fails, with IRH_REQUIRE_BROWSER=1) without Chromium,
    since only browser tests ask for it.
    """
    from irh_devtools.voila import COURSE_DIR, require_chromium, start_voila, workshop_config

    require_chromium()
    voila = start_voila(
        COURSE_DIR, tmp_path_factory.mktemp("voila"), config=workshop_config(pool_size=1)
    )
    yield voila
    voila.stop()


@pytest.fixture(scope="module")
def browser(server):
    """One Chromium per test module; each test opens its own page or context."""
    from playwright.sync_api import sync_playwright

    from irh_devtools.voila import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
