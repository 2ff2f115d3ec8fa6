"""Guards of the course's Voila server against floods and leaks.

Voila starts (or hands out from a pool) one kernel for every GET of a page, whoever asks
and whether or not the page is ever shown. On an open network that lets anybody fill the
machine's memory with requests that are dropped at once. The classes here, named in
``voila.json``, bound what one client and the whole room can hold and give back what was
abandoned:

:class:`GuardedKernelManager`
    Voila's kernel manager base (``VoilaConfiguration.multi_kernel_manager_class``):

    - admission: a page request beyond ``max_kernels`` attendee kernels in all, or beyond
      ``max_kernels_per_client`` for one client address, gets "the room is full, try again
      shortly" (HTTP 503) and nothing is started or taken from a pool;
    - a kernel handed to a page whose websocket never connects within ``connect_grace``
      seconds is shut down (independently of the idle cull), and so is the kernel of a
      render the client aborted before it finished;
    - what jupyter_server buffers for a disconnected page is bounded by
      ``max_buffered_bytes`` (its own buffer grows without limit).

:class:`GuardedWebsocketConnection`
    The kernel websocket (``Voila.kernel_websocket_connection_class``): a page closing its
    tab sends ``shutdown_request`` over its own websocket, and the server shuts that kernel
    down through the kernel manager (so no cross-site request and no XSRF exemption is
    needed); kernel tracebacks are written to the server log and never reach the browser.

Incoming websocket messages are capped by tornado's ``websocket_max_message_size``
(``Voila.tornado_settings`` in ``voila.json``).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from dataclasses import dataclass, field
from functools import partial

from jupyter_server.base.call_context import CallContext
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Integer

#: The page a refused request gets (no script, no external resource).
ROOM_FULL_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The room is full</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto;
         padding: 0 1rem; line-height: 1.5; color: #1f2933; }}
  h1 {{ font-size: 1.5rem; }}
</style></head>
<body><main>
<h1>The room is full, try again shortly</h1>
<p>{reason} Wait a minute, then reload this page. If it keeps happening, tell the workshop
facilitator.</p>
</main></body>
</html>
"""

#: What a page is told of an error in its kernel (the details go to the server log).
ERROR_NOTICE = "Something went wrong on the server; the facilitator can find it in the log."

#: The kernel websocket protocol the course's pages speak (jupyter_server's v1).
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
#: Most parts a v1 frame may declare (channel, four message parts, buffers).
MAX_V1_PARTS = 64

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class PageKernel:
    """A kernel handed to one page request."""

    client: str
    handed_out: float
    connected: bool = False


@dataclass
class _Admissions:
    """Page requests admitted whose kernel is not assigned yet, per client."""

    by_client: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.by_client.values())

    def add(self, client: str) -> None:
        self.by_client[client] = self.by_client.get(client, 0) + 1

    def remove(self, client: str) -> None:
        left = self.by_client.get(client, 0) - 1
        if left > 0:
            self.by_client[client] = left
        else:
            self.by_client.pop(client, None)


class RoomFull(web.Finish):
    """Raised inside a page request to answer it with the room-full page."""


class GuardedKernelManager(AsyncMappingKernelManager):
    """Kernel manager with admission caps, a connect grace period and bounded buffers.

    Voila wraps it in its pooling kernel manager; the settings below are read from the
    ``GuardedKernelManager`` section of ``voila.json``.
    """

    max_kernels = Integer(
        100,
        config=True,
        help="Attendee kernels alive at once, across all pages and clients (the ready "
        "kernels of the pools are not counted). A page request beyond it gets the "
        "room-full page and starts nothing. 0 turns the cap off.",
    )
    max_kernels_per_client = Integer(
        8,
        config=True,
        help="Attendee kernels one client address may hold at once (a page request beyond "
        "it gets the room-full page). Behind a proxy or a NAT every attendee has the "
        "proxy's address: raise it, or let the proxy pass the client's address "
        "(Voila.trust_xheaders). 0 turns the cap off.",
    )
    connect_grace = Float(
        60.0,
        config=True,
        help="Seconds a page has to connect to the kernel it was handed; a kernel whose "
        "page never connects is shut down then.",
    )
    max_buffered_bytes = Integer(
        4 * 1024 * 1024,
        config=True,
        help="Bytes of kernel messages kept for a page whose connection dropped, to replay "
        "when it reconnects. Beyond it the buffer is dropped (the page comes back without "
        "the updates it missed) instead of growing the server's memory.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._page_kernels: dict[str, PageKernel] = {}
        self._admissions = _Admissions()
        self._reaper: PeriodicCallback | None = None
        self._guard_pool_hand_out()

    # ---- admission -----------------------------------------------------------------
    def _held_by(self, client: str) -> int:
        return sum(1 for k in self._page_kernels.values() if k.client == client)

    def _admit(self) -> tuple[str, object]:
        """Admit the page request being served, or answer it with the room-full page."""
        handler = CallContext.get(CallContext.JUPYTER_HANDLER)
        client = handler.request.remote_ip if handler is not None else "local"
        held = len(self._page_kernels) + self._admissions.total()
        mine = self._held_by(client) + self._admissions.by_client.get(client, 0)
        reason = None
        if self.max_kernels and held >= self.max_kernels:
            reason = "Every seat of this workshop server is taken."
            self.log.warning("Room full: %d attendee kernels (max_kernels)", held)
        elif self.max_kernels_per_client and mine >= self.max_kernels_per_client:
            reason = "This device already has the most pages open that it may."
            self.log.warning("Room full for %s: it holds %d kernels (max_kernels_per_client)",
                             client, mine)
        if reason is not None:
            if handler is None:
                raise RuntimeError(reason)
            handler.set_status(503)
            handler.set_header("Content-Type", "text/html; charset=UTF-8")
            handler.set_header("Retry-After", "30")
            raise RoomFull(ROOM_FULL_PAGE.format(reason=html.escape(reason)))
        self._admissions.add(client)
        return client, handler

    def _assign(self, kernel_id: str, client: str, handler) -> None:
        """Record a kernel handed to a page, and watch that page's request."""
        page = PageKernel(client=client, handed_out=time.monotonic())
        self._page_kernels[kernel_id] = page
        self._start_reaper()
        if handler is None:
            return
        connection = handler.request.connection

        def aborted() -> None:
            # Runs only while the request is still being answered (tornado clears the
            # callback when the response is finished): the client left before it had the
            # page, so nobody will ever connect to this kernel.
            handler.on_connection_close()
            if not page.connected and kernel_id in self._page_kernels:
                self.log.info("Render of kernel %s aborted by the client: shutting it down",
                              kernel_id)
                self._page_kernels.pop(kernel_id, None)
                asyncio.ensure_future(self._shutdown_quietly(kernel_id))

        stream = getattr(connection, "stream", None)
        if stream is not None and stream.closed():
            aborted()  # gone while its kernel was being started
        else:
            connection.set_close_callback(aborted)

    def _guard_pool_hand_out(self) -> None:
        """Admit page requests served from a pool of preheated kernels.

        Voila builds its pooling manager as a subclass of this class, and its
        ``get_rendered_notebook`` (which hands a pooled kernel to a page) does not call
        up the chain; so the admission wraps that method on the instance.
        """
        hand_out = getattr(type(self), "get_rendered_notebook", None)
        if hand_out is None:
            return  # no pools (preheat_kernel off)

        async def admitted_hand_out(notebook_name: str, *args, **kwargs):
            client, handler = self._admit()
            try:
                result = await hand_out(self, notebook_name, *args, **kwargs)
            finally:
                self._admissions.remove(client)
            self._assign(result[2], client, handler)  # (render task, cache, kernel id)
            return result

        self.get_rendered_notebook = admitted_hand_out

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel; one started for a page request (not for a pool) is admitted first."""
        env = kwargs.get("env") or {}
        for_page = env.get("VOILA_PREHEAT") == "False"
        if not for_page:
            return await super().start_kernel(*args, **kwargs)
        client, handler = self._admit()
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            self._admissions.remove(client)
        self._assign(kernel_id, client, handler)
        return kernel_id

    # ---- connections and shutdown -------------------------------------------------------
    def notify_connect(self, kernel_id: str) -> None:
        """Note that a page connected to its kernel."""
        super().notify_connect(kernel_id)
        page = self._page_kernels.get(kernel_id)
        if page is not None:
            page.connected = True

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        """Shut a kernel down and forget the page it belonged to."""
        self._page_kernels.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def _shutdown_quietly(self, kernel_id: str) -> None:
        try:
            await self.shutdown_kernel(kernel_id)
        except (KeyError, RuntimeError, web.HTTPError):
            self._page_kernels.pop(kernel_id, None)  # already gone

    def _start_reaper(self) -> None:
        if self._reaper is None:
            every = max(0.5, min(5.0, self.connect_grace / 4))
            self._reaper = PeriodicCallback(self._reap, every * 1000)
            self._reaper.start()

    def _reap(self) -> None:
        """Shut down kernels whose page never connected within the grace period."""
        now = time.monotonic()
        alive = set(self.list_kernel_ids())
        for kernel_id, page in list(self._page_kernels.items()):
            if kernel_id not in alive:
                self._page_kernels.pop(kernel_id, None)
            elif not page.connected and now - page.handed_out > self.connect_grace:
                self.log.info("The page of kernel %s never connected within %g s: "
                              "shutting it down", kernel_id, self.connect_grace)
                self._page_kernels.pop(kernel_id, None)
                asyncio.ensure_future(self._shutdown_quietly(kernel_id))

    # ---- buffers for disconnected pages ----------------------------------------------------
    def start_buffering(self, kernel_id, session_key, channels):
        """Buffer a disconnected page's messages, up to ``max_buffered_bytes``."""
        super().start_buffering(kernel_id, session_key, channels)
        if not self.buffer_offline_messages or kernel_id not in self._kernel_buffers:
            return
        info = self._kernel_buffers[kernel_id]
        size = 0

        def buffer_msg(channel, msg_parts):
            nonlocal size
            if info.get("overflowed"):
                return
            size += sum(len(part) for part in msg_parts)
            if size > self.max_buffered_bytes:
                info["overflowed"] = True
                info["buffer"].clear()
                self.log.warning("Buffer of disconnected kernel %s passed %d bytes: dropped",
                                 kernel_id, self.max_buffered_bytes)
                return
            info["buffer"].append((channel, msg_parts))

        for channel, stream in channels.items():
            stream.on_recv(partial(buffer_msg, channel))


def _msg_type(connection: ZMQChannelsWebsocketConnection, ws_msg) -> str | None:
    """Read the type of a message a page sent, without changing it."""
    try:
        if connection.subprotocol == V1_PROTOCOL:
            _, msg_list = deserialize_msg_from_ws_v1(ws_msg)
            return json.loads(msg_list[0])["msg_type"]
        if isinstance(ws_msg, bytes):
            return deserialize_binary_message(ws_msg)["header"]["msg_type"]
        return json.loads(ws_msg)["header"]["msg_type"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None  # jupyter_server reports a malformed message itself


def _sane_v1_frame(ws_msg) -> bool:
    """Tell whether a v1 frame's part count is small and fits the frame.

    jupyter_server reads the count from the frame's first eight bytes and builds a list
    that long before looking further: a client sending a huge count would stall the
    server.
    """
    if not isinstance(ws_msg, bytes) or len(ws_msg) < 8:
        return False
    parts = int.from_bytes(ws_msg[:8], "little")
    return 3 <= parts <= MAX_V1_PARTS and 8 * (parts + 1) <= len(ws_msg)


class GuardedWebsocketConnection(ZMQChannelsWebsocketConnection):
    """The kernel websocket of a page: v1 protocol only, shutdown through the manager,
    tracebacks logged only."""

    def connect(self):
        """Accept only the v1 kernel protocol, which the course's pages speak.

        Voila's websocket handler reads every binary message it sends as a v1 frame; on a
        legacy-protocol connection a message with buffers (an image widget's state) made
        it build a list billions long, and the server stopped answering.
        """
        if self.subprotocol != V1_PROTOCOL:
            self._refused = True
            self.log.warning("Refused a websocket to kernel %s without the %s subprotocol",
                             self.kernel_id, V1_PROTOCOL)
            self.websocket_handler.close(1002, f"only the {V1_PROTOCOL} protocol is spoken here")
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return super().connect()

    def disconnect(self):
        """Tear down; a refused connection was never counted, so there is nothing to undo."""
        if getattr(self, "_refused", False):
            if self._open_sessions.get(self.session_key) is self.websocket_handler:
                self._open_sessions.pop(self.session_key)
            return None
        return super().disconnect()

    def handle_incoming_message(self, incoming_msg) -> None:
        """Forward a page's message; its ``shutdown_request`` shuts its kernel down."""
        if getattr(self, "_refused", False):
            return
        if self.subprotocol == V1_PROTOCOL and not _sane_v1_frame(incoming_msg):
            self.log.warning("Dropped a malformed message to kernel %s", self.kernel_id)
            return
        if _msg_type(self, incoming_msg) == "shutdown_request":
            self.log.info("Page closed: shutting kernel %s down", self.kernel_id)
            asyncio.ensure_future(self._shutdown())
            return
        super().handle_incoming_message(incoming_msg)

    async def _shutdown(self) -> None:
        manager = self.multi_kernel_manager
        if self.kernel_id in manager:
            try:
                await manager.shutdown_kernel(self.kernel_id)
            except (KeyError, RuntimeError):
                pass  # it went away meanwhile

    def _on_error(self, channel, msg, msg_list):
        """Write a kernel error to the server log; the page gets it without its traceback.

        (jupyter_server's own replacement, under ``allow_tracebacks = False``, reads the
        replacement text from the wrong object and fails, so it is done here.)
        """
        if channel != "iopub" or self.multi_kernel_manager.allow_tracebacks:
            return
        msg["header"] = self.get_part("header", msg["header"], msg_list)
        if msg["header"]["msg_type"] != "error":
            return
        content = self.get_part("content", msg["content"], msg_list)
        trace = _ANSI.sub("", "\n".join(content.get("traceback") or []))
        self.log.warning("Error in kernel %s: %s: %s\n%s", self.kernel_id,
                         content.get("ename"), content.get("evalue"), trace)
        msg["content"] = {"ename": "Error", "evalue": ERROR_NOTICE, "traceback": [ERROR_NOTICE]}
        if self.subprotocol == V1_PROTOCOL:
            msg_list[3] = self.session.pack(msg["content"])
