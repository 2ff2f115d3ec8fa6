"""Security of the workshop server: a real Voila process, configured by voila.json.

The server serves a copy of course/ laid out like the repository, with planted
files that must never be served: siblings solutions/, exercises/ and instructor/,
and sources, data and hidden files inside the served folder. Every planted file
holds a unique marker; no response may contain one.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from irh_devtools.voila import (
    COURSE_DIR,
    course_pages,
    fetch,
    kernel_alive,
    kernel_id_of,
    kernel_message,
    kernel_ws_url,
    shutdown,
    start_voila,
    talk,
    workshop_config,
)

pytestmark = pytest.mark.slow

MARKER = "IRH-CANARY"

#: Files planted inside the served folder; only the last one may be served.
INSIDE = {
    "secret.py": "py",
    "notes.yaml": "yaml",
    "scores.csv": "csv",
    "settings.json": "json",
    "draft.ipynb": "ipynb",
    ".env": "dotenv",
    ".hidden/pic.png": "hidden-png",
    "workshop/.secret.png": "hidden-file-png",
}
ALLOWED = "figure.png"

#: Files planted beside the served folder (outside it).
OUTSIDE = {
    "solutions/week1/model-answer.ipynb": "solution",
    "exercises/week1/exercise.ipynb": "exercise",
    "instructor/grader-notes.md": "instructor",
    "instructor/chart.png": "instructor-png",
    "gradebook.db": "gradebook",
}

PREFIXES = [
    "/voila/files/",
    "/voila/render/",
    "/voila/tree/",
    "/voila/api/contents/",
    "/voila/static/",
    "/voila/templates/",
    "/voila/labextensions/",
    "/voila/api/themes/",
    "/",
]

#: Spellings of "../": plain, encoded, double-encoded, backslash, overlong UTF-8.
UP = [
    "../",
    "..%2f",
    "..%2F",
    "%2e%2e/",
    "%2e%2e%2f",
    "%2E%2E%2F",
    "..%252f",
    "%252e%252e%252f",
    "%25252e%25252e%25252f",
    "..%5c",
    "..\\",
    "%c0%ae%c0%ae/",
    ".%2e/",
    "....//",
]


def _marker(name: str) -> str:
    return f"{MARKER}-{name}"


def _notebook(source: str) -> str:
    cell = {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
            "outputs": [], "source": [source]}
    return json.dumps({"cells": [cell], "metadata": {"kernelspec": {"name": "python3",
            "display_name": "Python 3", "language": "python"}}, "nbformat": 4,
            "nbformat_minor": 5})


def _plant(root: Path, files: dict[str, str], show: bool) -> None:
    """Write planted files; a notebook holds its marker in its source only.

    With ``show``, the notebook also prints its marker, so rendering it at all
    is caught (for notebooks outside the served folder); without, only a leak
    of its source or of the file itself is (notebooks inside are apps by design).
    """
    for rel, name in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".ipynb"):
            call = "print" if show else "len"
            text = _notebook(f"{call}('{MARKER}-' + '{name}')")
        else:
            text = _marker(name)
        path.write_text(text)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A repository-like tree: a copy of course/ plus planted files in and beside it."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(COURSE_DIR, root / "course", ignore=shutil.ignore_patterns(".ipynb_*"))
    _plant(root / "course", INSIDE, show=False)
    _plant(root / "course", {ALLOWED: "allowed"}, show=False)
    _plant(root, OUTSIDE, show=True)
    return root


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    """One Voila server for the module, with the repository's configuration."""
    voila = start_voila(site / "course", tmp_path_factory.mktemp("voila"),
                        config=workshop_config(pool_size=1))
    yield voila
    voila.stop()


def code_lines(page: str) -> list[str]:
    """Whole code cells and their lines of code, as written in a course page.

    Lines that are only a string literal (prompt text the page shows anyway) or
    only ``Name(`` (the start of a widget's plain-text representation) are left
    out; every other line of 10 characters or more is code that must not appear.
    """
    nb = json.loads((COURSE_DIR / page).read_text())
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]).strip()
            lines.append(source)
            lines += [
                ln.strip()
                for ln in source.splitlines()
                if len(ln.strip()) >= 10
                and not ln.strip().startswith(('"', "'", "f\"", "f'"))
                and not re.fullmatch(r"\w+\(", ln.strip())
            ]
    return [ln for ln in lines if ln]


@pytest.mark.parametrize("page", course_pages())
def test_page_renders_without_its_source(server, page):
    """Does every course and workshop page render, run without error, and hide its code?"""
    status, html = fetch(server, "/voila/render/" + quote(page))
    try:
        assert status == 200
        assert "There was an error when executing cell" not in html
        leaked = [ln for ln in code_lines(page) if ln in html or _escape(ln) in html]
        assert leaked == [], f"source lines in the page: {leaked[:3]}"
    finally:
        if status == 200:
            shutdown(server, html)


#: The only JupyterLab extensions a page loads: the two that draw widgets.
WIDGET_EXTENSIONS = {"@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"}


@pytest.mark.parametrize("page", ["workshop/first-contact.ipynb", "index.ipynb"])
def test_page_loads_only_the_widget_extensions(server, page):
    """Does a page load the widget managers and none of the other installed extensions?"""
    status, html = fetch(server, "/voila/render/" + quote(page))
    try:
        assert status == 200
        found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', html,
                          re.DOTALL)
        assert found, "the page has no page configuration"
        extensions = {ext["name"] for ext in json.loads(found.group(1))["federated_extensions"]}
        assert extensions == WIDGET_EXTENSIONS
    finally:
        if status == 200:
            shutdown(server, html)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def test_allowlisted_image_is_served(server):
    """Does the probe see a planted file when the server may serve it (the control)?"""
    status, body = fetch(server, "/voila/files/" + ALLOWED)
    assert status == 200
    assert _marker("allowed") in body


@pytest.mark.parametrize("rel", sorted(INSIDE))
def test_forbidden_file_in_served_folder_is_refused(server, rel):
    """Is a source, data, configuration or hidden file in the served folder refused?"""
    for prefix in ("/voila/files/", "/voila/render/", "/voila/static/", "/voila/api/contents/"):
        for path in (rel, quote(rel, safe=""), quote(quote(rel, safe=""), safe="")):
            status, body = fetch(server, prefix + path)
            assert MARKER not in body, f"{prefix + path} served {rel}"
            if prefix == "/voila/files/":
                assert status in (403, 404), f"{prefix + path} -> {status}"


def test_traversal_never_reaches_outside_files(server, site):
    """Do encoded, double-encoded and absolute paths all fail to reach files outside course/?"""
    targets = sorted(OUTSIDE)
    served = []
    for prefix in PREFIXES:
        for up in UP:
            for target in targets:
                for depth in (1, 2):
                    path = prefix + up * depth + ("" if depth == 1 else "site/") + target
                    status, body = fetch(server, path)
                    if MARKER in body:
                        served.append((path, status))
            for target in ("etc/passwd",):
                status, body = fetch(server, prefix + up * 12 + target)
                if "root:x:0:0" in body:
                    served.append((prefix + up * 12 + target, status))
        for target in sorted(OUTSIDE):
            absolute = str(site / target)
            for path in (absolute, "/" + absolute, quote(absolute, safe=""),
                         quote(quote(absolute, safe=""), safe="")):
                status, body = fetch(server, prefix + path.lstrip("/") if prefix != "/" else
                                     "/" + path.lstrip("/"))
                if MARKER in body:
                    served.append((prefix + path, status))
    assert served == []


def test_tree_lists_only_notebooks_and_folders(server):
    """Does the page list at / name notebooks and folders only, never hidden or source files?"""
    for path in ("/", "/voila/tree/", "/voila/api/contents/", "/voila/api/contents/workshop"):
        status, body = fetch(server, path)
        assert status == 200
        for rel in INSIDE:
            name = rel.rsplit("/", 1)[-1]
            if not name.endswith(".ipynb"):
                assert name not in body, f"{path} names {name}"
        assert ".hidden" not in body


def _types(received: list[dict]) -> list[str]:
    return [m["header"]["msg_type"] for m in received if "header" in m]


def test_execute_request_over_websocket_does_not_run(server, tmp_path):
    """Does the kernel ignore an execute request while still answering kernel_info?"""
    page = "workshop/first-contact.ipynb"
    status, html = fetch(server, "/voila/render/" + page)
    assert status == 200
    kernel = kernel_id_of(html)
    proof = tmp_path / "executed.txt"
    session = uuid.uuid4().hex
    url = kernel_ws_url(server, kernel, session)
    code = f"open({str(proof)!r}, 'w').write('ran')"
    try:
        hello = kernel_message("kernel_info_request", {}, session)
        control = _types(asyncio.run(talk(url, [hello], 10)))
        assert "kernel_info_reply" in control
        received = _types(asyncio.run(talk(url, [kernel_message("execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}, session)], 5)))
        assert "execute_reply" not in received
        assert not proof.exists()
    finally:
        shutdown(server, html)


def test_legacy_protocol_websocket_is_refused(server):
    """Is a kernel websocket without the v1 subprotocol closed before it reaches the kernel?"""
    status, html = fetch(server, "/voila/render/index.ipynb")
    assert status == 200
    session = uuid.uuid4().hex
    url = kernel_ws_url(server, kernel_id_of(html), session)
    try:
        hello = kernel_message("kernel_info_request", {}, session)
        received = asyncio.run(talk(url, [hello], 5, legacy=True))
        assert received == [{"closed": 1002}], received
        assert "without the v1.kernel.websocket.jupyter.org subprotocol" in server.log()
    finally:
        shutdown(server, html)


def test_v1_frame_with_a_huge_part_count_is_dropped(server):
    """Does a frame claiming billions of parts get dropped, the server answering on?"""
    status, html = fetch(server, "/voila/render/index.ipynb")
    assert status == 200
    session = uuid.uuid4().hex
    url = kernel_ws_url(server, kernel_id_of(html), session)
    try:
        bomb = (10**12).to_bytes(8, "little") + b"\0" * 64
        hello = kernel_message("kernel_info_request", {}, session)
        received = asyncio.run(talk(url, [bomb, hello], 10))
        assert "kernel_info_reply" in _types(received)
        assert fetch(server, "/voila/render/index.ipynb")[0] in (200, 503)
    finally:
        shutdown(server, html)


def test_websocket_from_another_site_is_refused(server):
    """Is a kernel websocket opened by a page on another origin refused?"""
    from tornado.httpclient import HTTPClientError

    status, html = fetch(server, "/voila/render/index.ipynb")
    assert status == 200
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id_of(html)}/channels"
    try:
        with pytest.raises(HTTPClientError):
            asyncio.run(talk(url, [], 1, origin="http://attacker.example"))
    finally:
        shutdown(server, html)


def test_page_close_shutdown_reclaims_the_kernel(server):
    """Does a shutdown request over the page's own websocket end its kernel process?"""
    status, html = fetch(server, "/voila/render/index.ipynb")
    assert status == 200
    kernel = kernel_id_of(html)
    before = set(server.kernel_pids())
    assert kernel_alive(server, kernel)
    shutdown(server, html)  # sends shutdown_request, waits until the model is gone
    assert not kernel_alive(server, kernel)
    deadline = time.monotonic() + 20
    while len(set(server.kernel_pids())) >= len(before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(set(server.kernel_pids())) == len(before) - 1, "the kernel process still runs"


def test_cross_site_shutdown_post_is_refused(server):
    """Is Voila's shutdown endpoint guarded by the XSRF check again (a POST without a token)?"""
    status, html = fetch(server, "/voila/render/index.ipynb")
    assert status == 200
    kernel = kernel_id_of(html)
    try:
        status, _ = fetch(server, f"/voila/api/shutdown/{kernel}", method="POST")
        assert status == 403
        assert kernel_alive(server, kernel)
    finally:
        shutdown(server, html)
