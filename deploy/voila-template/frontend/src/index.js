// The course's front end for Voila pages: one bundle holding an ipywidgets 8 widget
// manager and a minimal client of the kernel's websocket (Jupyter's JSON messages). The
// server renders every output (nbconvert); this script shows the cells once they have
// run, connects to the page's kernel, loads the widgets' state and draws each widget view
// in place of its <script> tag.
// Voila's own front end (a JupyterLab application: voila.js and about a hundred files)
// costs a browser about three times as long to start and the server a hundred requests.
// The server's Content-Security-Policy lets no inline script run: everything the page
// does is in this file.
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets-base.css';
import './page.css';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import { Widget } from '@lumino/widgets';
import { MessageLoop } from '@lumino/messaging';
import { OutputModel, OutputView } from './output';

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const uuid = () =>
  (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/-/g, '');

// ---- wire format: jupyter_server's v1 kernel websocket protocol ------------------------
// Every message is one binary frame: the number of offsets and the offsets (little-endian
// 64-bit), then the channel name, header, parent header, metadata and content (JSON) and
// any binary buffers. (With the legacy protocol, Voila 0.5's websocket handler misreads
// a binary message from the kernel, such as an image widget's state, and stalls the
// server: never use it.)
const PROTOCOL = 'v1.kernel.websocket.jupyter.org';
const PARTS = ['header', 'parent_header', 'metadata', 'content'];

function serialize(msg) {
  const encoder = new TextEncoder();
  const parts = [
    encoder.encode(msg.channel),
    ...PARTS.map((key) => encoder.encode(JSON.stringify(msg[key]))),
    ...(msg.buffers || []).map((b) => (b instanceof ArrayBuffer
      ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength))),
  ];
  const count = parts.length + 1; // where the channel starts, then where each part ends
  const head = 8 * (1 + count);
  const out = new Uint8Array(head + parts.reduce((n, p) => n + p.byteLength, 0));
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(count), true);
  view.setBigUint64(8, BigInt(head), true);
  let offset = head;
  parts.forEach((part, i) => {
    out.set(part, offset);
    offset += part.byteLength;
    view.setBigUint64(8 * (i + 2), BigInt(offset), true);
  });
  return out.buffer;
}

function deserialize(data) {
  const view = new DataView(data);
  const count = Number(view.getBigUint64(0, true));
  const offsets = [];
  for (let i = 0; i < count; i++) offsets.push(Number(view.getBigUint64(8 * (i + 1), true)));
  const decoder = new TextDecoder();
  const part = (i) => new Uint8Array(data, offsets[i], offsets[i + 1] - offsets[i]);
  const msg = { channel: decoder.decode(part(0)), buffers: [] };
  PARTS.forEach((key, i) => { msg[key] = JSON.parse(decoder.decode(part(i + 1))); });
  for (let i = PARTS.length + 1; i < count - 1; i++) {
    msg.buffers.push(new DataView(data, offsets[i], offsets[i + 1] - offsets[i]));
  }
  return msg;
}

// ---- minimal kernel connection -------------------------------------------------------
// Waits (ms) before each attempt to reopen a dropped connection: 8 attempts over about two
// minutes. Tests shorten it with `window.irhReconnectWaits`.
const RECONNECT_WAITS = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
// Messages sent while the connection is down wait for it, up to these bounds; beyond them
// the oldest are dropped (a widget's newest state is the one that matters).
const MAX_PENDING = 200;
const MAX_PENDING_BYTES = 1024 * 1024;
const RECONNECTING = 'Connection lost, reconnecting\u2026';
const GAVE_UP = 'The connection could not be restored. Reload the page to continue.';

class Kernel {
  constructor(baseUrl, kernelId) {
    this.id = kernelId;
    this.session = uuid();
    this.callbacks = new Map();
    this.hooks = new Map(); // parent msg_id -> Set of functions (Output widgets)
    this.comms = new Map();
    this.onCommOpen = null;
    this.pending = []; // messages waiting for the connection; null while connected
    this.pendingBytes = 0;
    this.dropped = 0; // queued messages dropped over the bounds (the tests read it)
    this.leaving = false;
    this.attempts = 0; // reconnection attempts in the current outage
    this.drops = 0; // connections lost so far (the tests read it)
    this.chain = Promise.resolve(); // messages are handled one after the other
    this.notice = connectionNotice();
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = `${proto}//${location.host}${baseUrl}api/kernels/${kernelId}/channels?session_id=${this.session}`;
    this._connect();
  }

  // A dropped connection (a laptop that slept, a flaky network) is opened again to the
  // same kernel, which kept the widgets and the attendee's reflections; a notice says so
  // meanwhile. After the last attempt the page says to reload.
  _connect() {
    const ws = new WebSocket(this.url, PROTOCOL);
    this.ws = ws;
    let opened = false;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      opened = true;
      this.attempts = 0;
      this.notify('');
      const queued = this.pending || [];
      this.pending = null;
      this.pendingBytes = 0;
      for (const m of queued) ws.send(m);
    };
    ws.onmessage = (e) => {
      const msg = deserialize(e.data);
      this.chain = this.chain.then(() => this._handle(msg))
        .catch((err) => console.error('[irh] could not handle a kernel message', err));
    };
    ws.onclose = () => {
      if (this.leaving || ws !== this.ws) return;
      if (this.pending === null) this.pending = [];
      if (opened || this.drops === 0) {
        this.drops += 1;
        this.attempts = 0;
      }
      const waits = window.irhReconnectWaits || RECONNECT_WAITS;
      if (this.attempts >= waits.length) {
        console.warn('[irh] kernel connection lost; giving up');
        this.notify(GAVE_UP, 'assertive');
        return;
      }
      const wait = waits[this.attempts];
      this.attempts += 1;
      console.warn(`[irh] kernel connection lost; trying again in ${wait / 1000} s`);
      this.notify(RECONNECTING);
      setTimeout(() => this._connect(), wait);
    };
  }

  notify(message, urgency = 'polite') {
    this.notice.setAttribute('aria-live', urgency);
    this.notice.textContent = message;
    this.notice.hidden = !message;
  }

  _message(msg_type, content, { metadata = {}, buffers = [], channel = 'shell' } = {}) {
    return {
      header: { msg_id: uuid(), msg_type, session: this.session, username: '', version: '5.3',
                date: new Date().toISOString() },
      parent_header: {}, metadata, content, channel, buffers,
    };
  }

  send(msg_type, content, options = {}) {
    const msg = this._message(msg_type, content, options);
    const msg_id = msg.header.msg_id;
    if (options.callbacks) this.callbacks.set(msg_id, options.callbacks);
    const wire = serialize(msg);
    // a connection that is closing has not said so yet: keep the message for the next one
    if (this.pending === null && this.ws.readyState === WebSocket.OPEN) this.ws.send(wire);
    else this._queue(wire);
    return msg_id;
  }

  _queue(wire) {
    if (this.pending === null) this.pending = [];
    this.pending.push(wire);
    this.pendingBytes += wire.byteLength;
    let dropped = 0;
    while (this.pending.length > MAX_PENDING || this.pendingBytes > MAX_PENDING_BYTES) {
      this.pendingBytes -= this.pending.shift().byteLength;
      dropped += 1;
    }
    if (dropped) {
      this.dropped += dropped;
      console.warn(`[irh] ${dropped} unsent message(s) dropped while disconnected`);
    }
  }

  // Output widgets see every message answering the message they follow.
  registerMessageHook(msgId, hook) {
    if (!this.hooks.has(msgId)) this.hooks.set(msgId, new Set());
    this.hooks.get(msgId).add(hook);
  }

  removeMessageHook(msgId, hook) {
    const hooks = this.hooks.get(msgId);
    if (hooks && hooks.delete(hook) && !hooks.size) this.hooks.delete(msgId);
  }

  // A comm message may change a model's state asynchronously (an Output widget's
  // `msg_id`); the next message waits for it, as in JupyterLab.
  async _handle(msg) {
    const type = msg.header.msg_type;
    const content = msg.content;
    const parent = msg.parent_header && msg.parent_header.msg_id;
    const cb = parent && this.callbacks.get(parent);
    if (msg.channel === 'iopub') {
      const hooks = parent && this.hooks.get(parent);
      if (hooks) for (const hook of Array.from(hooks)) hook(msg);
      if (type === 'comm_msg') {
        const comm = this.comms.get(content.comm_id);
        if (comm && comm._onMsg) await comm._onMsg(msg);
      } else if (type === 'comm_open') {
        const comm = new Comm(this, content.comm_id, content.target_name);
        this.comms.set(comm.comm_id, comm);
        if (this.onCommOpen && content.target_name === 'jupyter.widget') await this.onCommOpen(comm, msg);
      } else if (type === 'comm_close') {
        const comm = this.comms.get(content.comm_id);
        this.comms.delete(content.comm_id);
        if (comm && comm._onClose) await comm._onClose(msg);
      }
      if (cb && cb.iopub && cb.iopub[type]) cb.iopub[type](msg);
      if (cb && type === 'status' && content.execution_state === 'idle') this.callbacks.delete(parent);
    } else if (msg.channel === 'shell') {
      if (cb && cb.shell && cb.shell.reply) cb.shell.reply(msg);
    }
  }

  // As the tab closes, ask for the kernel's shutdown over this connection: the server
  // shuts the kernel down (no cross-site request, so no XSRF token is needed).
  shutdown() {
    this.leaving = true;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(serialize(this._message('shutdown_request', { restart: false }, { channel: 'control' })));
  }
}

// The live region that tells the attendee about the connection: present (empty, hidden)
// from the start so that screen readers announce what it says later.
function connectionNotice() {
  const notice = document.createElement('div');
  notice.className = 'irh-connection';
  notice.setAttribute('role', 'status');
  notice.setAttribute('aria-live', 'polite');
  notice.setAttribute('aria-atomic', 'true');
  notice.hidden = true;
  document.body.append(notice);
  return notice;
}

class Comm {
  constructor(kernel, comm_id, target_name) {
    this.kernel = kernel; this.comm_id = comm_id; this.target_name = target_name;
    this._onMsg = null; this._onClose = null;
  }
  open(data, callbacks, metadata, buffers) {
    return this.kernel.send('comm_open', { comm_id: this.comm_id, target_name: this.target_name, data },
                            { callbacks, metadata, buffers });
  }
  send(data, callbacks, metadata, buffers) {
    return this.kernel.send('comm_msg', { comm_id: this.comm_id, data }, { callbacks, metadata, buffers });
  }
  close(data, callbacks, metadata, buffers) {
    this.kernel.comms.delete(this.comm_id);
    return this.kernel.send('comm_close', { comm_id: this.comm_id, data: data || {} },
                            { callbacks, metadata, buffers });
  }
  on_msg(cb) { this._onMsg = cb; }
  on_close(cb) { this._onClose = cb; }
}

// ---- widget manager -----------------------------------------------------------------
const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': controls,
  '@jupyter-widgets/output': { OutputModel, OutputView },
};

class LiteManager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    this.views = new Set();
    kernel.onCommOpen = (comm, msg) => this.handle_comm_open(comm, msg);
    window.addEventListener('resize', () => {
      for (const v of this.views) MessageLoop.postMessage(v.luminoWidget, Widget.ResizeMessage.UnknownSize);
    });
  }
  loadClass(className, moduleName, moduleVersion) {
    const mod = MODULES[moduleName];
    if (mod && mod[className]) return Promise.resolve(mod[className]);
    return Promise.reject(`irh: no ${className} in ${moduleName}@${moduleVersion}`);
  }
  async _create_comm(target_name, model_id, data, metadata, buffers) {
    const comm = new Comm(this.kernel, model_id || uuid(), target_name);
    this.kernel.comms.set(comm.comm_id, comm);
    if (data || metadata) comm.open(data, undefined, metadata, buffers);
    return comm;
  }
  _get_comm_info() {
    return new Promise((resolve) => {
      this.kernel.send('comm_info_request', { target_name: 'jupyter.widget' },
        { callbacks: { shell: { reply: (msg) => resolve(msg.content.comms) } } });
    });
  }
  async display(el, model_id) {
    const model = await this.get_model(model_id);
    const view = await this.create_view(model);
    Widget.attach(view.luminoWidget, el);
    this.views.add(view);
    view.once('remove', () => this.views.delete(view));
  }
}

// ---- page ---------------------------------------------------------------------------
// Voila streams the cells, as they run, into an inert <template> (irh/index.html.j2): no
// script in it runs, Voila's heartbeats included, so the policy has nothing to block.
// Meanwhile the spinner counts the cells; when the page is complete the cells move into
// place, without their scripts (data such as a widget's id stays).
const DATA_SCRIPT = /json$/i;

function countCells() {
  const template = document.getElementById('irh-cells');
  const label = document.getElementById('loading_text');
  const cells = template && template.content.querySelectorAll('[data-cell-count]');
  if (label && cells && cells.length) {
    const last = cells[cells.length - 1];
    label.textContent = `Executing ${last.getAttribute('cell-index')} of ${last.dataset.cellCount}`;
  }
}

function showCells() {
  const template = document.getElementById('irh-cells');
  if (template) {
    const cells = template.content;
    for (const script of cells.querySelectorAll('script')) {
      if (!DATA_SCRIPT.test(script.type)) script.remove();
    }
    template.replaceWith(cells);
  }
  const loading = document.getElementById('loading');
  if (loading) loading.remove();
  const rendered = document.getElementById('rendered_cells');
  if (rendered) rendered.style.display = '';
}

async function main() {
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const kernel = new Kernel(config.baseUrl, config.kernelId);
  window.addEventListener('pagehide', () => kernel.shutdown());
  // A page the browser kept in its back-forward cache (Safari does, when an attendee
  // follows a link and comes back) lost its kernel as it was left: load it afresh.
  window.addEventListener('pageshow', (event) => { if (event.persisted) location.reload(); });
  window.irhKernel = kernel;
  const manager = new LiteManager(kernel);
  window.liteWidgetManager = manager;
  await manager._loadFromKernel();
  const scripts = document.querySelectorAll(`script[type="${WIDGET_VIEW}"]`);
  await Promise.all(Array.from(scripts, async (script) => {
    const { model_id } = JSON.parse(script.textContent);
    const host = document.createElement('div');
    host.className = 'widget-subarea';
    script.parentElement.insertBefore(host, script);
    try {
      await manager.display(host, model_id);
    } catch (err) {
      console.error('[irh] could not render', model_id, err);
      host.textContent = `Widget ${model_id} could not be rendered.`;
    }
  }));
  document.body.dataset.widgets = 'ready';
}

function start() {
  clearInterval(counting);
  showCells();
  main().catch((e) => console.error('[irh]', e));
}

// The bundle loads `async`: it may run while the page is still arriving, or after.
const counting = setInterval(countCells, 250);
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
