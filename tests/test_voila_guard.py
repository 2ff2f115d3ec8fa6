"""The workshop server under abuse: kernel floods, abandoned pages, oversized messages.

Each test starts a real Voila process with the repository's voila.json, changing only the
guard's numbers (deploy/voila-template/irh_voila_guard.py) so that a test does not wait a
minute for a grace period or start a hundred kernels.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from irh_devtools.voila import (
    COURSE_DIR,
    WORKSHOP_VIGNETTES,
    fetch,
    kernel_alive,
    kernel_id_of,
    kernel_message,
    kernel_ws_url,
    process_rss_kib,
    shutdown,
    start_voila,
    talk,
    workshop_config,
)

pytestmark = pytest.mark.slow

WORKSHOP_PAGES = sorted(WORKSHOP_VIGNETTES)
SECRET = "IRH-SECRET-TRACE"

#: Small pages written into the served folder of a test.
PAGES = {
    # a render that takes three seconds, long enough to walk away from
    "slow.ipynb": ["import time\ntime.sleep(3)\nprint('rendered')"],
    # a page whose kernel keeps talking after its page has gone
    "chatty.ipynb": [
        "import threading, time\n"
        "def talk():\n"
        "    time.sleep(3)\n"
        "    for _ in range(48):\n"
        "        print('x' * 1_000_000, flush=True)\n"
        "        time.sleep(0.02)\n"
        "threading.Thread(target=talk, daemon=True).start()\n"
        "print('started')",
    ],
    # a button whose callback fails inside an Output widget
    "boom.ipynb": [
        "import ipywidgets as w\n"
        "out = w.Output()\n"
        "button = w.Button(description='Go')\n"
        "def go(_):\n"
        "    with out:\n"
        f"        raise ValueError('{SECRET}')\n"
        "button.on_click(go)\n"
        "display(button, out)",
    ],
}


def guarded_config(**guard) -> dict:
    """The repository's configuration with small pools and the given guard settings."""
    config = workshop_config(pool_size=1)
    config["GuardedKernelManager"].update(guard)
    return config


def serve_pages(tmp_path: Path, **guard):
    """Serve the small test pages (no pools) with the repository's settings."""
    root = tmp_path / "site"
    root.mkdir()
    for name, cells in PAGES.items():
        nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(nb, root / name)
    return start_voila(root, tmp_path / "voila", config=guarded_config(**guard))


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


def abandon(server, page: str, after: float = 0.1) -> None:
    """Send a page request and hang up after ``after`` seconds, as a flood's client does."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /voila/render/{page} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(after)


def tree_rss_mib(server) -> float:
    """Memory of the server and all its kernels, in MiB."""
    pids = [server.process.pid, *server.kernel_pids()]
    return sum(process_rss_kib(pid) for pid in pids) / 1024


def kernel_count(server) -> int:
    return len(server.kernel_pids())


@pytest.fixture()
def course_server(tmp_path, request):
    """The course with one kernel per workshop pool and the guard settings of the test."""
    guard = getattr(request, "param", {})
    server = start_voila(COURSE_DIR, tmp_path / "voila", config=guarded_config(**guard))
    try:
        server.wait_for_pools(WORKSHOP_PAGES)
        wait_until(lambda: kernel_count(server) == len(WORKSHOP_PAGES), 60, "pools started")
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("course_server", [
    {"max_kernels_per_client": 2, "connect_grace": 600}], indirect=True)
def test_a_client_beyond_its_cap_finds_the_room_full(course_server):
    """Does a third page from one client get "the room is full" and start no kernel?"""
    server = course_server
    pages = [fetch(server, "/voila/render/index.ipynb") for _ in range(2)]
    assert [status for status, _ in pages] == [200, 200]
    held = kernel_count(server)
    status, body = fetch(server, "/voila/render/index.ipynb")
    assert status == 503
    assert "The room is full, try again shortly" in body
    assert "<script" not in body
    time.sleep(1)
    assert kernel_count(server) == held, "a refused request started a kernel"
    shutdown(server, pages[0][1])
    status, again = fetch(server, "/voila/render/index.ipynb")
    assert status == 200, "a freed seat is not given again"
    for html in (pages[1][1], again):
        shutdown(server, html)


@pytest.mark.parametrize("course_server", [
    {"max_kernels": 1, "max_kernels_per_client": 0, "connect_grace": 600}], indirect=True)
def test_the_room_has_a_global_cap(course_server):
    """Once max_kernels attendee kernels run, is a further page refused, pools included?"""
    server = course_server
    status, html = fetch(server, "/voila/render/" + WORKSHOP_PAGES[0])
    assert status == 200
    status, body = fetch(server, "/voila/render/" + WORKSHOP_PAGES[1])
    assert status == 503 and "room is full" in body
    kernels = {kernel_id_of(html)}
    assert fetch(server, "/voila/render/index.ipynb")[0] == 503, "a kernel outside the pools"
    shutdown(server, html)
    status, html = fetch(server, "/voila/render/" + WORKSHOP_PAGES[1])
    assert status == 200, "the freed seat is not given again"
    assert kernel_id_of(html) not in kernels
    shutdown(server, html)


@pytest.mark.parametrize("course_server", [{"connect_grace": 3}], indirect=True)
def test_a_kernel_whose_page_never_connects_is_shut_down(course_server):
    """Is a handed-out kernel ended after the grace period unless its page connected?"""
    server = course_server
    _, lost = fetch(server, "/voila/render/index.ipynb")
    _, kept = fetch(server, "/voila/render/index.ipynb")
    lost_id, kept_id = kernel_id_of(lost), kernel_id_of(kept)
    session = uuid.uuid4().hex
    url = kernel_ws_url(server, kept_id, session)

    async def stay_connected():
        hello = kernel_message("kernel_info_request", {}, session)
        return await talk(url, [hello], 7)

    received = asyncio.run(stay_connected())
    assert any(m.get("header", {}).get("msg_type") == "kernel_info_reply" for m in received)
    wait_until(lambda: not kernel_alive(server, lost_id), 10, "unconnected kernel ended")
    assert kernel_alive(server, kept_id), "a connected page lost its kernel"
    assert "never connected within 3 s" in server.log()
    shutdown(server, kept)


def test_an_aborted_render_does_not_keep_its_kernel(tmp_path):
    """Does a client that hangs up during a render leave no kernel behind (grace aside)?"""
    server = serve_pages(tmp_path, connect_grace=600)
    try:
        time.sleep(2)
        before = kernel_count(server)
        abandon(server, "slow.ipynb", after=0.5)
        wait_until(lambda: kernel_count(server) == before + 1, 20, "the render's kernel starts")
        wait_until(lambda: kernel_count(server) == before, 20, "the aborted kernel ends")
        assert "aborted by the client" in server.log()
    finally:
        server.stop()


@pytest.mark.parametrize("course_server", [
    {"connect_grace": 5, "max_kernels_per_client": 20, "max_kernels": 40}], indirect=True)
def test_abandoned_requests_give_their_memory_back(course_server):
    """After 200 abandoned page requests, are only the pools left, in kernels and memory?"""
    server = course_server
    time.sleep(3)  # let the pools' first pages settle
    before_mib = tree_rss_mib(server)
    for i in range(200):
        abandon(server, WORKSHOP_PAGES[i % len(WORKSHOP_PAGES)])
    peak = kernel_count(server)
    # the grace period, then the pools' refill delay (voila.json's fill_delay)
    wait_until(lambda: kernel_count(server) == len(WORKSHOP_PAGES), 120,
               "kernels back to the pools' size")
    time.sleep(3)
    after_mib = tree_rss_mib(server)
    print(f"\n200 abandoned requests: {before_mib:.0f} MiB before, at most {peak} kernels, "
          f"{after_mib:.0f} MiB after ({len(WORKSHOP_PAGES)} pooled kernels)")
    assert after_mib < before_mib * 1.15, (before_mib, after_mib)


def _page_models(html: str) -> list[str]:
    return re.findall(r'"model_id":\s*"([0-9a-f]+)"', html)


def test_an_oversized_message_closes_the_connection(tmp_path):
    """Is a 2 MiB websocket message refused (connection closed) without growing the kernel?"""
    server = serve_pages(tmp_path)
    try:
        status, html = fetch(server, "/voila/render/boom.ipynb")
        assert status == 200
        kernel = kernel_id_of(html)
        kernel_pid = max(server.kernel_pids())
        rss = process_rss_kib(kernel_pid)
        session = uuid.uuid4().hex
        model = _page_models(html)[0]
        big = kernel_message("comm_msg", {"comm_id": model, "data": {
            "method": "update", "state": {"description": "y" * 2_000_000},
            "buffer_paths": []}}, session)
        received = asyncio.run(talk(kernel_ws_url(server, kernel, session), [big], 5))
        # tornado sends close code 1009 and drops the connection at once, so the code
        # does not always arrive before the connection is gone
        assert received and received[-1].get("closed") in (1009, None), received
        assert "closed" in received[-1]
        assert process_rss_kib(kernel_pid) - rss < 4 * 1024
        assert kernel_alive(server, kernel)
        shutdown(server, html)
    finally:
        server.stop()


def test_what_a_disconnected_page_misses_is_bounded(tmp_path, buffer_cap=2 * 1024 * 1024):
    """Does the server keep at most max_buffered_bytes for a page whose connection dropped?"""
    server = serve_pages(tmp_path, max_buffered_bytes=buffer_cap)
    try:
        status, warm_up = fetch(server, "/voila/render/boom.ipynb")  # the first render's cost
        shutdown(server, warm_up)
        time.sleep(1)
        server_rss = process_rss_kib(server.process.pid)
        status, html = fetch(server, "/voila/render/chatty.ipynb")
        assert status == 200
        kernel = kernel_id_of(html)
        session = uuid.uuid4().hex
        hello = kernel_message("kernel_info_request", {}, session)
        asyncio.run(talk(kernel_ws_url(server, kernel, session), [hello], 1))
        # the page is gone; its kernel now writes 48 MB of output over about 4 s
        time.sleep(10)
        grown = (process_rss_kib(server.process.pid) - server_rss) / 1024
        print(f"\nserver grew by {grown:.1f} MiB while 48 MB went to a disconnected page")
        assert grown < 20, f"the server kept {grown:.0f} MiB for a page that left"
        assert "dropped" in server.log()
        shutdown(server, html)
    finally:
        server.stop()


def test_kernel_tracebacks_go_to_the_log_not_the_browser(tmp_path):
    """Is an error in a widget callback logged on the server and kept from the page?"""
    server = serve_pages(tmp_path)
    try:
        status, html = fetch(server, "/voila/render/boom.ipynb")
        assert status == 200
        kernel = kernel_id_of(html)
        session = uuid.uuid4().hex
        clicks = [kernel_message("comm_msg", {"comm_id": model, "data": {
            "method": "custom", "content": {"event": "click"}}}, session)
            for model in _page_models(html)]
        received = asyncio.run(talk(kernel_ws_url(server, kernel, session), clicks, 4))
        text = json.dumps(received)
        assert any(m.get("header", {}).get("msg_type") == "error" for m in received), (
            "the click raised no error to check")
        assert SECRET not in text and "Traceback" not in text
        wait_until(lambda: SECRET in server.log(), 10, "the traceback reaches the server log")
        shutdown(server, html)
    finally:
        server.stop()
