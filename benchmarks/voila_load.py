"""Load time and scale of a workshop page under Voila; prints a Markdown table.

Time to interactive (TTI) is measured in Chromium from navigation start until the
vignette's first button (Start, or a choice) is visible, median of ``--runs``
runs, for:

- the floor: the same page executed by nbclient with its widget state, exported
  by nbconvert and served as static files, with the widget JavaScript from a
  local copy of @jupyter-widgets/html-manager (nothing is fetched from the
  internet: Chromium aborts every request that does not go to 127.0.0.1);
- Voila cold (no preheated kernels) and Voila preheated (the repository's
  voila.json), each run starting once the server's kernels are quiet;
- a room: K attendees opening the page at the same moment, ``--bursts`` times.
  In each burst one attendee is a real Chromium page, whose TTI is measured, and
  the other K - 1 are protocol-level attendees: each makes the requests Chromium
  made for the page (recorded from the preheated runs: the page, its stylesheets
  and scripts, the kernel's model) over six keep-alive connections, as a browser
  does, then opens its kernel's websocket and asks for the widget state the page
  is drawn from. Their time is the server's share of TTI (no page is drawn). A
  room of real browsers cannot be measured on one machine: forty Chromiums
  drawing pages on the server's own two cores measure the browsers, not the
  server, while in a workshop each attendee brings their own machine.

It also reports the resident memory of one vignette kernel and how many kernels
are left ``--leave-wait`` seconds after the attendees left (Chromium closes its
tab, which asks for a shutdown over the page's websocket; a protocol-level attendee sends the
same request).

Usage, from the repository root::

    python benchmarks/voila_load.py --fetch-widget-js   # once: npm pack, needs the registry
    python benchmarks/voila_load.py                     # 20 attendees, 2 minutes' wait
    python benchmarks/voila_load.py --attendees 40 --leave-wait 120
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path

# The server and browser helpers are shared with the tests.
from irh_devtools.voila import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COURSE_DIR,
    REPO_ROOT,
    V1_PROTOCOL,
    from_v1,
    process_rss_kib,
    start_voila,
    to_v1,
    workshop_config,
)

HTML_MANAGER = "@jupyter-widgets/html-manager@1.0.15"
WIDGET_JS_DIR = REPO_ROOT / "test-artifacts" / "widget-js"
READY = "button.irh-start, button.irh-choice"

#: Records, in the page itself, when the first Start or choice button becomes visible.
TTI_SCRIPT = """
window.__irh_tti = null;
(() => {
  const seen = () => {
    for (const b of document.querySelectorAll(SELECTOR)) {
      const r = b.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { window.__irh_tti = performance.now(); return true; }
    }
    return false;
  };
  const observer = new MutationObserver(() => { if (seen()) observer.disconnect(); });
  observer.observe(document, {subtree: true, childList: true, attributes: true});
})();
""".replace("SELECTOR", json.dumps(READY))


def fetch_widget_js(target: Path = WIDGET_JS_DIR) -> Path:
    """Download the html-manager package once with npm and unpack its dist/ folder."""
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", HTML_MANAGER, "--pack-destination", str(target)],
                   check=True, cwd=target)
    tarball = next(target.glob("jupyter-widgets-html-manager-*.tgz"))
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "package" / "dist"


def build_floor(page: str, widget_dist: Path, out: Path) -> Path:
    """Execute the page, export it with its widget state, and lay out a static site."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    source = COURSE_DIR / page
    nb = nbformat.read(source, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name=nb.metadata.kernelspec.name,
                   store_widget_state=True,
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        require_js_url="require.min.js",
        widget_renderer_url="html-manager/embed-amd.js",
        mathjax_url="mathjax-not-used.js",
    )
    html, _ = exporter.from_notebook_node(nb)
    out.mkdir(parents=True, exist_ok=True)
    (out / "page.html").write_text(html, encoding="utf-8")
    voila_static = Path(sys.prefix) / "share/jupyter/voila/templates/base/static"
    shutil.copy(voila_static / "require.min.js", out / "require.min.js")
    shutil.copytree(widget_dist, out / "html-manager", dirs_exist_ok=True)
    return out / "page.html"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_static(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    """Serve a folder on 127.0.0.1 on a free port, in a background thread."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class Browser:
    """One Chromium; pages record their TTI; requests off 127.0.0.1 are aborted."""

    def __init__(self, playwright_browser):
        self.browser = playwright_browser
        self.external: set[str] = set()

    async def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            await route.continue_()
        else:
            self.external.add(url.split("?")[0])
            await route.abort()

    async def open(self, url: str, timeout: float = 180, record: list | None = None):
        """Open ``url`` in a fresh context; return (page, TTI in seconds).

        A page that does not become interactive within ``timeout`` gives a TTI of None.
        With ``record``, the URL of every script, stylesheet and fetch the page makes
        is appended to it.
        """
        context = await self.browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.route("**/*", self._route)
        if record is not None:
            page.on("request", lambda r: record.append(r.url) if r.resource_type in
                    ("script", "stylesheet", "fetch") else None)
        await page.add_init_script(TTI_SCRIPT)
        try:
            await page.goto(url, wait_until="commit", timeout=timeout * 1000)
            await page.wait_for_function("() => window.__irh_tti !== null",
                                         timeout=timeout * 1000, polling=50)
        except Exception:  # a page that never becomes interactive is a result
            return page, None
        return page, await page.evaluate("window.__irh_tti") / 1000

    @staticmethod
    async def leave(page) -> None:
        """Close the tab as an attendee does (beforeunload runs), then its context."""
        context = page.context
        async with page.expect_event("close", timeout=60_000):
            await page.close(run_before_unload=True)
        await asyncio.sleep(1)  # let the page-close beacon leave before the context goes
        await context.close()


async def sequential(browser: Browser, url: str, runs: int, before_each=None,
                     record: list | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        if before_each:
            await before_each()
        page, tti = await browser.open(url, record=record)
        if tti is None:
            raise TimeoutError(f"{url} never became interactive")
        times.append(tti)
        await Browser.leave(page)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def wait_until(check, timeout: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(step)
    return check()


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the given processes have used so far."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has just ended
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def wait_quiet(server, expected: int, timeout: float = 900) -> None:
    """Wait until ``server`` runs ``expected`` kernels, and it and they have gone idle.

    Voila logs that a pool "is filled" once its kernels have started, before they
    have run their page (the server renders each page as its kernel runs it); a
    run started then would measure that work too.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = server.kernel_pids()
        watched = [server.process.pid, *kernels]
        before = cpu_seconds(watched)
        await asyncio.sleep(2)
        if (len(kernels) >= expected and sorted(server.kernel_pids()) == sorted(kernels)
                and cpu_seconds(watched) - before < 0.01 * len(watched) + 0.05):
            return
    raise TimeoutError(f"the server's {expected} kernels did not go quiet in {timeout:.0f} s")


#: The version of ipywidgets' control protocol (widget state requests) the page speaks.
CONTROL_PROTOCOL = "1.0.0"
KERNEL_ID = re.compile(r"""kernelId["']?\s*:\s*["']([0-9a-f-]{36})["']""")


def wire_message(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> str:
    """Return a Jupyter message as the kernel websocket takes it (JSON, shell channel)."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
              "username": "attendee", "version": "5.3",
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {},
                       "content": content, "channel": "shell", "buffers": []})


def read_wire(frame: str | bytes) -> dict:
    """Decode a message from the kernel websocket (a v1 frame, as the server speaks)."""
    return from_v1(frame) if isinstance(frame, bytes) else json.loads(frame)


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, as lean as a load generator needs.

    A general HTTP client costs the load generator more CPU than the server spends
    answering; this one only writes a GET or POST and reads the body (by length, or
    chunked), so the machine's cores go to the server being measured.
    """

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, path: str, method: str = "GET", body: bytes = b"",
                      content_type: str = "") -> tuple[int, bytes]:
        """Send one request and return (status, body)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if method != "GET":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            data = b"".join(part[:-2] for part in parts)
        else:
            data = await self.reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def protocol_attendee(port: int, page: str, resources: list[str],
                            timeout: float = 180) -> tuple[float | None, str | None]:
    """Load a page the way Chromium does, minus drawing it; return (seconds, kernel id).

    The attendee fetches the page, then every resource in ``resources`` (paths
    recorded from Chromium; ``{kernel}`` stands for its own kernel's id) over six
    keep-alive connections, opens the kernel's websocket and asks for the widget
    state, as ipywidgets' manager does. The time runs until the last resource and
    the state have both arrived; None if that takes longer than ``timeout``.
    """
    from tornado.websocket import websocket_connect

    start = time.monotonic()
    connections = [Connection(port) for _ in range(6)]
    kernel = None

    async def load() -> None:
        nonlocal kernel
        status, html = await connections[0].request(f"/voila/render/{page}")
        found = KERNEL_ID.search(html.decode())
        if status != 200 or not found:
            raise ConnectionError(f"the page answered {status} without a kernel")
        kernel = found.group(1)
        queue = [path.replace("{kernel}", kernel) for path in resources]

        async def worker(connection: Connection) -> None:
            while queue:
                path = queue.pop(0)
                status, _ = await connection.request(path)
                if status != 200:
                    raise ConnectionError(f"{path} answered {status}")

        await asyncio.gather(*map(worker, connections), widget_state(kernel))

    async def widget_state(kernel: str) -> None:
        session = uuid.uuid4().hex
        socket = await websocket_connect(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?session_id={session}",
            subprotocols=[V1_PROTOCOL])
        comm = uuid.uuid4().hex
        socket.write_message(to_v1(wire_message(
            "comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control",
                          "data": {}}, session, {"version": CONTROL_PROTOCOL})), binary=True)
        socket.write_message(to_v1(wire_message(
            "comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}, session)),
            binary=True)
        while True:
            frame = await socket.read_message()
            if frame is None:
                raise ConnectionError("the kernel websocket closed")
            msg = read_wire(frame)
            data = msg.get("content", {}).get("data", {})
            if msg["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                socket.close()
                return

    try:
        await asyncio.wait_for(load(), timeout)
    except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
        return None, kernel
    finally:
        for connection in connections:
            connection.close()
    return time.monotonic() - start, kernel


async def shut_down(port: int, kernel: str) -> None:
    """Do what the page does as its tab closes: ask, over its websocket, for a shutdown."""
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    try:
        socket = await websocket_connect(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?session_id={session}",
            subprotocols=[V1_PROTOCOL])
    except OSError:
        return  # already gone
    message = json.loads(wire_message("shutdown_request", {"restart": False}, session))
    message["channel"] = "control"
    await socket.write_message(to_v1(json.dumps(message)), binary=True)
    await asyncio.sleep(0.2)
    socket.close()


def recorded_resources(urls: list[str], base_url: str) -> list[str]:
    """Turn the URLs Chromium requested into paths a protocol attendee fetches."""
    paths = []
    for url in dict.fromkeys(urls):
        if not url.startswith(base_url):
            continue
        path = url[len(base_url):]
        if path.startswith("/api/kernels/"):
            path = "/api/kernels/{kernel}"
        paths.append(path)
    return list(dict.fromkeys(paths))


async def measure(args) -> list[tuple[str, str, str]]:
    from playwright.async_api import async_playwright

    rows: list[tuple[str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="irh-voila-load-"))
    widget_dist = WIDGET_JS_DIR / "package" / "dist"
    config = workshop_config()
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    pooled_total = sum(s.get("pool_size", 0) for p, s in pools.items() if p != "default")
    page_pool = pools.get(args.page, pools["default"]).get("pool_size", 0)

    async with async_playwright() as p:
        browser = Browser(await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))

        # Floor: static export.
        floor_html = build_floor(args.page, widget_dist, work / "floor")
        static, port = serve_static(floor_html.parent)
        floor_url = f"http://127.0.0.1:{port}/page.html"
        try:
            # One load first, not counted: Chromium's first page pays its own start-up,
            # and would otherwise weigh on the floor alone.
            await sequential(browser, floor_url, 1)
            floor = await sequential(browser, floor_url, args.runs)
            f = statistics.median(floor)
            rows.append(("Floor: static nbconvert export", f"{f:.2f} s", "1.00x"))

            def ratio(value: float) -> str:
                return f"{value / f:.2f}x"

        finally:
            static.shutdown()

        # Voila, cold kernels.
        cold = start_voila(COURSE_DIR, work / "cold", config=config,
                           extra_args=["--VoilaConfiguration.preheat_kernel=False"])
        try:
            times = await sequential(browser, cold.render_url(args.page), args.runs)
        finally:
            cold.stop()
        c = statistics.median(times)
        rows.append(("Voila, cold kernel", f"{c:.2f} s", ratio(c)))

        # Voila, preheated (the repository's voila.json).
        warm = start_voila(COURSE_DIR, work / "warm", config=config)
        resources: list[str] = []
        try:
            async def quiet() -> None:
                await wait_quiet(warm, pooled_total)

            times = await sequential(browser, warm.render_url(args.page), args.runs,
                                     before_each=quiet, record=resources)
            h = statistics.median(times)
            rows.append((f"Voila, preheated (pool of {page_pool})", f"{h:.2f} s", ratio(h)))

            # Every kernel here has run a vignette page (pooled kernels run theirs ahead).
            await quiet()
            kernels = warm.kernel_pids()
            rss = sorted(process_rss_kib(pid) / 1024 for pid in kernels)
            rows.append(("RSS of one vignette kernel (median)", f"{statistics.median(rss):.0f} MiB",
                         f"{rss[0]:.0f}-{rss[-1]:.0f} MiB over {len(kernels)} kernels"))
            resources = recorded_resources(resources, warm.base_url)
        finally:
            warm.stop()

        # A room: K attendees at once, on a server whose pools are full and quiet; by
        # default the page's pool is the size of the room, as deploy/README.md advises.
        room_config = workshop_config()
        # Every simulated attendee comes from this machine's loopback address, which the
        # server's guard would take for one device holding the whole room.
        room_config["GuardedKernelManager"]["max_kernels_per_client"] = 0
        room_pools = room_config["VoilaKernelManager"]["kernel_pools_config"]
        room_pool = args.attendee_pool if args.attendee_pool is not None else args.attendees
        if room_pool:
            room_pools[args.page] = {"pool_size": room_pool}
        if args.fill_delay is not None:
            room_config["VoilaKernelManager"]["fill_delay"] = args.fill_delay
        fill_delay = room_config["VoilaKernelManager"].get("fill_delay", 1)
        room_total = sum(s.get("pool_size", 0) for p, s in room_pools.items() if p != "default")
        k = args.attendees
        room = start_voila(COURSE_DIR, work / "room", config=room_config)
        real: list[float] = []
        served: list[float] = []
        failures = 0
        try:
            url = room.render_url(args.page)
            for _ in range(args.bursts):
                await wait_quiet(room, room_total)
                results = await asyncio.gather(
                    browser.open(url),
                    *[protocol_attendee(room.port, args.page, resources)
                      for _ in range(k - 1)])
                (page, tti), others = results[0], results[1:]
                failures += (tti is None) + sum(t is None for t, _ in others)
                if tti is not None:
                    real.append(tti)
                served.extend(t for t, _ in others if t is not None)
                await asyncio.gather(Browser.leave(page),
                                     *[shut_down(room.port, kernel)
                                       for _, kernel in others if kernel])
            where = f"page pool of {room_pool or page_pool}, refill after {fill_delay:g} s"
            if failures:
                rows.append((f"{k} attendees: pages not interactive within 180 s",
                             str(failures), "failures"))
            for q in (50, 95):
                value = percentile(real, q)
                rows.append((f"{k} attendees at once ({where}): Chromium TTI, p{q}",
                             f"{value:.2f} s", f"{ratio(value)} ({len(real)} bursts)"))
            for q in (50, 95):
                value = percentile(served, q)
                rows.append((f"{k} attendees at once: server's share (protocol level), p{q}",
                             f"{value:.2f} s", f"{len(served)} attendees"))

            await asyncio.sleep(args.leave_wait)
            left = len(room.kernel_pids())
            rows.append((f"Kernels {args.leave_wait:.0f} s after the attendees left",
                         str(left), f"the pools hold {room_total}"))
        finally:
            room.stop()
        await browser.browser.close()
    if browser.external:
        print("Requests off 127.0.0.1 (aborted):", *sorted(browser.external), sep="\n  ")
    shutil.rmtree(work, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default="workshop/first-contact.ipynb",
                        help="workshop page to load, relative to course/")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs per sequential measurement (the median is reported)")
    parser.add_argument("--attendees", type=int, default=20,
                        help="attendees opening the page at the same moment (try 40)")
    parser.add_argument("--attendee-pool", type=int, default=None,
                        help="pool size of the page while the attendees arrive (default: one "
                        "kernel per attendee; 0 keeps voila.json's pools)")
    parser.add_argument("--fill-delay", type=float, default=None,
                        help="seconds before a handed-out pooled kernel is replaced, while the "
                        "attendees arrive (default: voila.json's)")
    parser.add_argument("--bursts", type=int, default=5,
                        help="times the room arrives at once (one Chromium TTI per burst)")
    parser.add_argument("--leave-wait", type=float, default=120,
                        help="seconds to wait after the attendees leave before counting kernels")
    parser.add_argument("--fetch-widget-js", action="store_true",
                        help=f"download {HTML_MANAGER} with npm into {WIDGET_JS_DIR} and exit")
    args = parser.parse_args(argv)
    if args.fetch_widget_js:
        print(fetch_widget_js())
        return 0
    if not (WIDGET_JS_DIR / "package" / "dist" / "embed-amd.js").exists():
        parser.error("no local widget JavaScript: run with --fetch-widget-js once")
    if args.runs < 5:
        parser.error("use at least 5 runs")
    rows = asyncio.run(measure(args))
    print(f"\nTime to interactive of {args.page} (median of {args.runs} runs)\n")
    print("| measure | value | vs floor / note |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
