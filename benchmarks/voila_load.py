"""Load time and scale of a workshop page under Voila; prints a Markdown table.

Time to interactive (TTI) is measured in Chromium from navigation start until the
vignette's first button (Start, or a choice) is visible, median of ``--runs``
runs, for:

- the floor: the same page executed by nbclient with its widget state, exported
  by nbconvert and served as static files, with the widget JavaScript from a
  local copy of @jupyter-widgets/html-manager (nothing is fetched from the
  internet: Chromium aborts every request that does not go to 127.0.0.1);
- Voila cold (no preheated kernels) and Voila preheated (the repository's
  voila.json);
- K attendees opening the page at the same moment (p50 and p95).

It also reports the resident memory of one vignette kernel and how many kernels
are left ``--leave-wait`` seconds after the attendees closed their tabs.

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
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The server and browser helpers are shared with the tests.
sys.path.insert(0, str(REPO_ROOT / "tests"))

from voila_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    COURSE_DIR,
    process_rss_kib,
    start_voila,
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
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
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

    async def open(self, url: str, timeout: float = 180):
        """Open ``url`` in a fresh context; return (page, TTI in seconds).

        A page that does not become interactive within ``timeout`` gives a TTI of None.
        """
        context = await self.browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.route("**/*", self._route)
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


async def sequential(browser: Browser, url: str, runs: int, before_each=None) -> list[float]:
    times = []
    for _ in range(runs):
        if before_each:
            await before_each()
        page, tti = await browser.open(url)
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
            floor = await sequential(browser, floor_url, args.runs)
            f = statistics.median(floor)
            rows.append(("Floor: static nbconvert export", f"{f:.2f} s", "1.00x"))

            def ratio(value: float) -> str:
                return f"{value / f:.2f}x"

            # The same number of browsers at once on the static page: what the browsers
            # alone cost when they share this machine's cores with nothing else.
            opened = await asyncio.gather(*[browser.open(floor_url)
                                            for _ in range(args.attendees)])
            times = [tti for _, tti in opened if tti is not None]
            await asyncio.gather(*[Browser.leave(page) for page, _ in opened])
            floor_k = {q: percentile(times, q) for q in (50, 95)}
            for q, value in floor_k.items():
                rows.append((f"Floor, {args.attendees} browsers at once, p{q}",
                             f"{value:.2f} s", ratio(value)))
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
        try:
            marker = f"Kernel pool of {args.page} is filled"
            filled = {"n": 0}

            async def pool_ready():
                filled["n"] += 1
                ok = await wait_until(lambda: warm.log().count(marker) >= filled["n"], 300)
                if not ok:
                    raise TimeoutError("the kernel pool did not refill")

            await wait_until(lambda: all(warm.pool_filled(pg) for pg, s in pools.items()
                                         if pg != "default" and s.get("pool_size")), 600)
            times = await sequential(browser, warm.render_url(args.page), args.runs,
                                     before_each=pool_ready)
            h = statistics.median(times)
            rows.append((f"Voila, preheated (pool of {page_pool})", f"{h:.2f} s", ratio(h)))

            # Every kernel here has run a vignette page (pooled kernels run theirs ahead).
            await pool_ready()
            kernels = warm.kernel_pids()
            rss = sorted(process_rss_kib(pid) / 1024 for pid in kernels)
            rows.append(("RSS of one vignette kernel (median)", f"{statistics.median(rss):.0f} MiB",
                         f"{rss[0]:.0f}-{rss[-1]:.0f} MiB over {len(kernels)} kernels"))
        finally:
            warm.stop()

        # K attendees at once, on a server whose pools are full; by default the page's
        # pool is the size of the room, as deploy/README.md advises for such a session.
        room_config = workshop_config()
        room_pools = room_config["VoilaKernelManager"]["kernel_pools_config"]
        room_pool = args.attendee_pool if args.attendee_pool is not None else args.attendees
        if room_pool:
            room_pools[args.page] = {"pool_size": room_pool}
        if args.fill_delay is not None:
            room_config["VoilaKernelManager"]["fill_delay"] = args.fill_delay
        fill_delay = room_config["VoilaKernelManager"].get("fill_delay", 1)
        pooled_total = sum(s.get("pool_size", 0) for p, s in room_pools.items()
                           if p != "default")
        warm = start_voila(COURSE_DIR, work / "room", config=room_config)
        try:
            await wait_until(lambda: all(warm.pool_filled(pg) for pg, s in room_pools.items()
                                         if pg != "default" and s.get("pool_size")), 900)
            baseline = len(warm.kernel_pids())
            opened = await asyncio.gather(*[browser.open(warm.render_url(args.page))
                                            for _ in range(args.attendees)])
            times = [tti for _, tti in opened if tti is not None]
            k = args.attendees
            if len(times) < k:
                rows.append((f"{k} attendees: pages never interactive within 180 s",
                             str(k - len(times)), "failures"))
            where = f"page pool of {room_pool or page_pool}, refill after {fill_delay:g} s"
            for q in (50, 95):
                value = percentile(times, q)
                rows.append((f"{k} attendees at once ({where}), p{q}", f"{value:.2f} s",
                             f"{ratio(value)}; {value / floor_k[q]:.2f}x the floor at {k}"))

            await asyncio.gather(*[Browser.leave(page) for page, _ in opened])
            await asyncio.sleep(args.leave_wait)
            left = len(warm.kernel_pids())
            rows.append((f"Kernels {args.leave_wait:.0f} s after the attendees left",
                         str(left), f"the pools hold {pooled_total} (before arrival: {baseline})"))
        finally:
            warm.stop()
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
