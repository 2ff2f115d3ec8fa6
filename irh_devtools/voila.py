"""Shared helpers for tests that start a real Voila server or drive Chromium.

Servers listen on 127.0.0.1 on a free port, keep their runtime, data and
connection files in a temporary folder, read only the configuration file they
are given (never the machine's), and are stopped by their process id.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]  # the course checkout (editable install)
COURSE_DIR = REPO_ROOT / "course"
WORKSHOP_DIR = COURSE_DIR / "workshop"
VOILA_CONFIG = REPO_ROOT / "voila.json"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Workshop page (relative to course/) -> the vignette id it shows.
WORKSHOP_VIGNETTES: dict[str, str] = {
    "workshop/first-contact.ipynb": "first-contact-voicemail",
    "workshop/assessment.ipynb": "assessment-double-shift",
    "workshop/diagnosis.ipynb": "diagnosis-starting-point",
    "workshop/treatment-planning.ipynb": "treatment-planning-consultation",
    "workshop/termination.ipynb": "termination-return",
    "workshop/capstone.ipynb": "capstone-five-movements",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_rss_kib(pid: int) -> int:
    """Return the resident set size of a process in KiB (Linux ``/proc``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def child_pids(pid: int) -> list[int]:
    """Return the ids of the live direct children of a process (Linux ``/proc``)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return children


@dataclass
class VoilaServer:
    """A running ``voila`` process serving one folder.

    Parameters
    ----------
    root : Path
        The folder served (what ``voila course/`` serves).
    port : int
        The port on 127.0.0.1.
    process : subprocess.Popen
        The server process; stop it with :meth:`stop`.
    log_path : Path
        Where the server's output goes (read it to diagnose a failure).
    """

    root: Path
    port: int
    process: subprocess.Popen
    log_path: Path
    connections: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        """The server's address, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def render_url(self, page: str) -> str:
        """Return the URL of the app for a notebook path relative to the root."""
        return f"{self.base_url}/voila/render/{page}"

    def log(self) -> str:
        """Return what the server has written so far."""
        return self.log_path.read_text(errors="replace")

    def kernel_pids(self) -> list[int]:
        """Return the process ids of the kernels the server is running now."""
        return child_pids(self.process.pid)

    def pool_filled(self, page: str) -> bool:
        """Tell whether the server has logged that the pool of ``page`` is full."""
        return f"Kernel pool of {page} is filled" in self.log()

    def wait_for_pools(self, pages: Sequence[str], timeout: float = 120) -> None:
        """Wait until the kernel pool of every page in ``pages`` is full."""
        deadline = time.monotonic() + timeout
        while not all(self.pool_filled(p) for p in pages):
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel pools not filled:\n{self.log()[-3000:]}")
            time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        """Stop the server by its process id, then reap it."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        if self.connections is not None:
            shutil.rmtree(self.connections, ignore_errors=True)


def workshop_config(pool_size: int | None = None) -> dict:
    """Return the repository's Voila configuration, optionally with smaller pools.

    Parameters
    ----------
    pool_size : int, optional
        Replace the pool size of every workshop page (tests use 1 to spare CPU);
        ``None`` keeps the repository's values.
    """
    config = json.loads(VOILA_CONFIG.read_text())
    if pool_size is not None:
        pools = config["VoilaKernelManager"]["kernel_pools_config"]
        for page, settings in pools.items():
            if page != "default":
                settings["pool_size"] = pool_size
    return config


def start_voila(
    root: Path,
    workdir: Path,
    config: dict | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 60,
    cwd: Path | None = None,
) -> VoilaServer:
    """Start ``voila root`` on 127.0.0.1 and wait until it answers.

    Parameters
    ----------
    root : Path
        The folder to serve.
    workdir : Path
        An empty temporary folder for the runtime, data, configuration and
        connection files, the server's log and its working directory.
    config : dict, optional
        The Voila configuration, written to ``workdir/config/voila.json``, the
        only configuration file the server reads. Defaults to the repository's.
    extra_args : sequence of str
        More command-line options (they override the configuration file).
    timeout : float
        Seconds to wait for the first answer.
    cwd : Path, optional
        Run the server in this folder and let Voila find ``voila.json`` on its
        default search path (the working directory first), as the README's run
        command does; ``config`` is then ignored. The machine's own Jupyter
        configuration folders are still left out.

    Returns
    -------
    VoilaServer
        The running server; call :meth:`VoilaServer.stop` when done.
    """
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "voila.json").write_text(json.dumps(config or workshop_config()))
    config_args = [] if cwd else [f"--Voila.config_file_paths={config_dir}"]
    for name in ("runtime", "data", "jupyter-config"):
        (workdir / name).mkdir(exist_ok=True)
    # Kernels talk over Unix sockets in the connection folder (voila.json), whose paths
    # must stay under about 100 characters: keep that folder short, directly in /tmp.
    connections = Path(tempfile.mkdtemp(prefix="irh-voila-", dir="/tmp"))
    env = {
        **os.environ,
        "JUPYTER_NO_CONFIG": "1",
        "JUPYTER_CONFIG_DIR": str(workdir / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    log_path = workdir / "voila.log"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(root),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        *config_args,
        f"--Voila.connection_dir_root={connections}",
        *extra_args,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd or workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = VoilaServer(root=Path(root), port=port, process=process, log_path=log_path,
                         connections=connections)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.base_url + "/", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                server.stop()
                raise TimeoutError(f"voila did not answer:\n{server.log()}") from None
            time.sleep(0.2)


def fetch(server, path: str, method: str = "GET", hops: int = 3) -> tuple[int, str]:
    """Request a raw path (sent exactly as written), following same-server redirects."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        location = response.getheader("Location")
    finally:
        conn.close()
    if response.status in (301, 302, 303, 307, 308) and location and hops:
        location = re.sub(r"^https?://[^/]+", "", location)
        return fetch(server, location, method, hops - 1)
    return response.status, body


def kernel_id_of(html: str) -> str:
    """The kernel id Voila wrote into a page."""
    match = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', html)
    assert match, "no kernel id in the page"
    return match.group(1)


def kernel_message(msg_type: str, content: dict, session: str, channel: str = "shell") -> str:
    """Return a Jupyter message as a page sends it over the kernel websocket (JSON)."""
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "attendee",
                   "session": session, "date": "2026-01-01T00:00:00Z", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
        "buffers": [],
    })


def kernel_ws_url(server, kernel_id: str, session: str | None = None) -> str:
    """Return the websocket address of a kernel, as a page opens it."""
    session = session or uuid.uuid4().hex
    return f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session}"


#: The kernel websocket protocol the course's server speaks (jupyter_server's v1).
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"


def to_v1(message: str) -> bytes:
    """Turn a JSON kernel message (as :func:`kernel_message` makes it) into a v1 frame."""
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    msg = json.loads(message)
    parts = [json.dumps(msg[key]).encode() for key in
             ("header", "parent_header", "metadata", "content")]
    return serialize_msg_to_ws_v1(parts, msg.get("channel", "shell"))


def from_v1(frame: bytes) -> dict:
    """Read a v1 frame into a message dict (buffers listed by size)."""
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    channel, parts = deserialize_msg_from_ws_v1(frame)
    keys = ("header", "parent_header", "metadata", "content")
    msg = {key: json.loads(part) for key, part in zip(keys, parts[:4], strict=True)}
    msg["channel"] = channel
    msg["buffers"] = [len(b) for b in parts[4:]]
    return msg


async def talk(url: str, messages: Sequence[str | bytes], wait: float,
               origin: str | None = None, legacy: bool = False) -> list[dict]:
    """Send messages over a kernel websocket; return the messages received within ``wait``.

    JSON messages are sent as v1 frames, as the course's pages send them (``legacy``
    speaks the old JSON protocol instead, which the server refuses); bytes are sent as
    they are. A closed connection ends the wait early and is listed as ``{"closed": code}``.
    """
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import WebSocketClosedError, websocket_connect

    headers = {"Origin": origin} if origin else {}
    ws = await websocket_connect(HTTPRequest(url, headers=headers),
                                 max_message_size=64 * 1024 * 1024,
                                 subprotocols=None if legacy else [V1_PROTOCOL])
    received: list[dict] = []
    try:
        for message in messages:
            if isinstance(message, str) and not legacy:
                message = to_v1(message)
            try:
                await ws.write_message(message, binary=isinstance(message, bytes))
            except WebSocketClosedError:
                break  # the server closed it; the read below reports how
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (left := deadline - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(ws.read_message(), left)
            except TimeoutError:
                break
            if raw is None:
                received.append({"closed": ws.close_code})
                break
            if isinstance(raw, str):
                received.append(json.loads(raw))
            else:
                received.append(from_v1(raw) if not legacy else {"binary": len(raw)})
    finally:
        ws.close()
    return received


def kernel_alive(server, kernel_id: str) -> bool:
    """Tell whether the server still runs a kernel (its REST model answers)."""
    return fetch(server, f"/api/kernels/{kernel_id}")[0] == 200


def shutdown(server, html: str, timeout: float = 20) -> None:
    """Shut a page's kernel down as the page does when its tab closes, and wait for it.

    The page sends ``shutdown_request`` over its own kernel websocket.
    """
    kernel = kernel_id_of(html)
    if not kernel_alive(server, kernel):
        return
    message = kernel_message("shutdown_request", {"restart": False}, uuid.uuid4().hex,
                             channel="control")
    asyncio.run(talk(kernel_ws_url(server, kernel), [message], 1))
    deadline = time.monotonic() + timeout
    while kernel_alive(server, kernel):
        if time.monotonic() > deadline:
            raise TimeoutError(f"kernel {kernel} still runs after its page asked to shut down")
        time.sleep(0.2)


def require_chromium() -> None:
    """Skip the calling test when Chromium is missing, or fail when CI requires it.

    CI sets ``IRH_REQUIRE_BROWSER=1`` so that a missing browser cannot turn the
    browser tests into silent skips there.
    """
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing (install Debian's chromium package)"
    import pytest  # only tests call this

    if os.environ.get("IRH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"IRH_REQUIRE_BROWSER=1 but {reason}")
    print(f"skipping browser test: {reason}")
    pytest.skip(reason)


def launch_chromium(playwright):
    """Launch Debian's Chromium through Playwright with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def artifact_path(*parts: str) -> Path:
    """Return a path under the git-ignored ``test-artifacts/`` folder, creating its folder."""
    path = ARTIFACTS_DIR.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def course_pages() -> list[str]:
    """Return every notebook under course/ as a path relative to course/, sorted."""
    return sorted(
        p.relative_to(COURSE_DIR).as_posix()
        for p in COURSE_DIR.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


# --- driving a vignette page in Chromium ---------------------------------------------------

#: Selectors of the vignette view (widgets/vignette.py adds these classes).
START = "button.irh-start"
CHOICE = "button.irh-choice"
CONTINUE = "button.irh-continue"
SAVE = "button.irh-save"
RESTART = "button.irh-restart"
REFLECTION = ".irh-reflection textarea"
FEEDBACK = ".irh-feedback"
STORY = ".irh-story"
STATUS = ".irh-status"
DEBRIEF = ".irh-debrief"
DOWNLOAD = "a.irh-download"
METER = ".irh-field [role=meter]"


@dataclass(frozen=True)
class Action:
    """One step of a planned path: reflect (optional), then choose or continue or end."""

    node: str
    reflect: bool
    choice: int | None  # index of the choice; None for Continue or an ending


def plan_path(scenario, rotate: int = 0) -> list[Action]:
    """Plan a path from the start to an ending that saves at least one reflection.

    The path is found by playing sessions, not by walking the graph: where a
    branching ``next`` leads depends on the field and hidden values at that moment,
    and a session reads them as the page's own session will.

    Parameters
    ----------
    scenario : widgets.scenario.Scenario
        The vignette.
    rotate : int
        Which choice to try first at each choice node (tried in rotation), so
        that different tests walk different branches.

    Returns
    -------
    list of Action
        One action per node visited, the ending last; ``choice`` is the choice's
        index in the file, whatever order the page shows the choices in. Falls
        back to a path without a reflection only when the vignette has no
        reachable prompt.
    """
    from widgets.session import Session

    best: list[Action] | None = None

    def state(session: Session) -> tuple:
        return session.node_id, tuple(sorted(session.values.items()))

    def walk(session: Session, seen: frozenset, path: list[Action]) -> list[Action] | None:
        nonlocal best
        node = session.node
        here = [*path, Action(node.id, node.reflect is not None, None)]
        if node.end:
            if any(a.reflect for a in here):
                return here
            best = best or here
            return None
        n = len(node.choices)
        moves = [(rotate + i) % n for i in range(n)] if n else [None]
        for index in moves:
            after = Session.from_dict(scenario, session.to_dict())
            after.advance() if index is None else after.choose(index)
            # The same node with the same values again is a loop that leads nowhere new.
            if state(after) in seen:
                continue
            step = [*path, Action(node.id, node.reflect is not None, index)]
            found = walk(after, seen | {state(after)}, step)
            if found:
                return found
        return None

    start = Session(scenario, seed=0)
    found = walk(start, frozenset({state(start)}), [])
    path = found or best
    assert path, f"no path to an ending in {scenario.id}"
    return path


def meter_values(page) -> dict[str, int]:
    """The relational field as the page states it: meter name -> aria-valuenow."""
    return page.eval_on_selector_all(
        METER,
        "els => Object.fromEntries(els.map(e => [e.getAttribute('aria-label'), "
        "Number(e.getAttribute('aria-valuenow'))]))",
    )


def horizontal_overflow(page) -> list[str]:
    """Whatever scrolls sideways: the page itself, or any element that can scroll sideways.

    Voila scrolls its cells inside ``#rendered_cells`` rather than the document,
    so checking the document alone would miss a page that is too wide.
    """
    return page.evaluate(
        """() => {
          const out = [];
          const doc = document.documentElement;
          if (doc.scrollWidth > window.innerWidth) out.push(`page: ${doc.scrollWidth}px`);
          for (const e of document.querySelectorAll('*')) {
            const x = getComputedStyle(e).overflowX;
            if ((x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1)
              out.push(`${e.tagName}#${e.id}.${e.className}: ${e.scrollWidth}>${e.clientWidth}`);
          }
          return out;
        }"""
    )


def screenshot(page, path: Path) -> None:
    """Save a screenshot of the whole page, not only of what the viewport shows.

    Voila scrolls its cells inside ``#rendered_cells``, so a full-page screenshot
    would show one viewport: the viewport is made as tall as the content for the
    shot, then restored.
    """
    size = page.viewport_size
    height = page.evaluate(
        "() => { const c = document.querySelector('#rendered_cells');"
        " return c ? c.scrollHeight : document.documentElement.scrollHeight; }"
    )
    try:
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        page.screenshot(path=path)
    finally:
        page.set_viewport_size(size)


def wait_rendered(page, timeout: float = 60, settle: float = 1.0) -> None:
    """Wait until Voila has run the page and its widgets have stopped appearing.

    Voila hides its ``#loading`` spinner when the notebook has run; the widgets
    are then drawn by the page's JavaScript, so wait until the number of
    rendered widgets has stayed the same for ``settle`` seconds.
    """
    page.locator("#loading").wait_for(state="hidden", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = page.locator(".jupyter-widgets, .jp-OutputArea-output").count()
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= settle:
            return
        time.sleep(0.1)
    raise TimeoutError("the page's widgets kept changing")


# --- what a page reports while a test drives it ------------------------------------------

#: Reports every Content-Security-Policy violation of a document to the test, before any
#: of the page's own scripts runs (Playwright's init scripts are exempt from the policy).
_REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__irhReportViolation(`${e.effectiveDirective} blocked ${e.blockedURI} (${where})`);
});
"""


def collect_dialogs(page) -> list[str]:
    """Dismiss every dialog (alert, confirm) a page opens and return the list of their texts.

    Call before ``page.goto``; a page of the course never opens one, so tests assert the
    list stays empty (an injected ``alert`` would land in it).
    """
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def watch_problems(page) -> list[str]:
    """Collect what a page reports as wrong, from now on: call before ``page.goto``.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page that has not loaded anything yet.

    Returns
    -------
    list of str
        A list that fills as the page runs: console errors, uncaught script errors and
        Content-Security-Policy violations (blocked scripts, images, connections), one
        line each.
    """
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.expose_function("__irhReportViolation", lambda text: problems.append(f"CSP: {text}"))
    page.add_init_script(_REPORT_VIOLATIONS)
    return problems
