"""Shared test settings.

Browser tests need Debian's Chromium at /usr/bin/chromium (or IRH_CHROMIUM). Locally
they skip with a printed reason when it is missing; with IRH_REQUIRE_BROWSER=1
(as CI sets) a missing browser is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none."""
    candidate = os.environ.get("IRH_CHROMIUM", "/usr/bin/chromium")
    if Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Chromium; skips (or fails when IRH_REQUIRE_BROWSER=1) without one."""
    path = chromium_path()
    if path is None:
        reason = "no Chromium at /usr/bin/chromium (apt-get install -y chromium)"
        if os.environ.get("IRH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (IRH_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(autouse=True)
def journal_dir(tmp_path, monkeypatch) -> Path:
    """A private journal folder for every test, so none touches the user's real journal."""
    folder = tmp_path / "journal"
    monkeypatch.setenv("IRH_JOURNAL_DIR", str(folder))
    for name in ("VOILA_BASE_URL", "VOILA_KERNEL_ID"):
        monkeypatch.delenv(name, raising=False)
    from widgets.journal import Journal

    Journal._shared.clear()
    yield folder
    Journal._shared.clear()
