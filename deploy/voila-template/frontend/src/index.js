// The course's front end for Voila pages: one bundle holding an ipywidgets 8 widget
// manager and a minimal client of the kernel's websocket (Jupyter's JSON messages). The
// server renders every output (nbconvert); this script connects to the page's kernel,
// loads the widgets' state and draws each widget view in place of its <script> tag.
// Voila's own front end (a JupyterLab application: voila.js and about a hundred files)
// costs a browser about three times as long to start and the server a hundred requests.
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets-base.css';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import { Widget } from '@lumino/widgets';
import { MessageLoop } from '@lumino/messaging';

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const uuid = () =>
  (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/-/g, '');

// ---- wire format (jupyter_server legacy websocket protocol) -------------------------
function serialize(msg) {
  const buffers = msg.buffers || [];
  if (!buffers.length) return JSON.stringify(msg);
  const json = new TextEncoder().encode(JSON.stringify({ ...msg, buffers: undefined }));
  const parts = [json, ...buffers.map((b) =>
    b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength))];
  const n = parts.length;
  const head = 4 * (n + 1);
  const total = head + parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, n); // big-endian, as jupyter_server reads it ("!I")
  let offset = head;
  parts.forEach((p, i) => { view.setUint32(4 * (i + 1), offset); out.set(p, offset); offset += p.byteLength; });
  return out.buffer;
}

function deserialize(data) {
  if (typeof data === 'string') return JSON.parse(data);
  const view = new DataView(data);
  const n = view.getUint32(0);
  const offsets = [];
  for (let i = 0; i < n; i++) offsets.push(view.getUint32(4 * (i + 1)));
  offsets.push(data.byteLength);
  const msg = JSON.parse(new TextDecoder().decode(new Uint8Array(data, offsets[0], offsets[1] - offsets[0])));
  msg.buffers = [];
  for (let i = 1; i < n; i++) msg.buffers.push(new DataView(data, offsets[i], offsets[i + 1] - offsets[i]));
  return msg;
}

// ---- minimal kernel connection -------------------------------------------------------
class Kernel {
  constructor(baseUrl, kernelId) {
    this.id = kernelId;
    this.session = uuid();
    this.callbacks = new Map();
    this.comms = new Map();
    this.onCommOpen = null;
    this.pending = [];
    this.leaving = false;
    this.retries = 0;
    this.drops = 0; // connections lost so far (the tests read it)
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = `${proto}//${location.host}${baseUrl}api/kernels/${kernelId}/channels?session_id=${this.session}`;
    window.addEventListener('beforeunload', () => { this.leaving = true; });
    this._connect();
  }

  // A dropped connection (a laptop that slept, a flaky network) is opened again to the
  // same kernel, which kept the widgets and the attendee's reflections; messages sent
  // meanwhile wait in `pending`. Waits grow from 1 s to 30 s between attempts.
  _connect() {
    this.ws = new WebSocket(this.url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      this.retries = 0;
      const queued = this.pending || [];
      this.pending = null;
      for (const m of queued) this.ws.send(m);
    };
    this.ws.onmessage = (e) => this._handle(deserialize(e.data));
    this.ws.onclose = () => {
      if (this.leaving) return;
      this.drops += 1;
      if (this.pending === null) this.pending = [];
      const wait = Math.min(30000, 1000 * 2 ** this.retries++);
      console.warn(`[irh] kernel connection lost; trying again in ${wait / 1000} s`);
      setTimeout(() => this._connect(), wait);
    };
  }

  send(msg_type, content, { metadata = {}, buffers = [], callbacks, channel = 'shell' } = {}) {
    const msg_id = uuid();
    const msg = {
      header: { msg_id, msg_type, session: this.session, username: '', version: '5.3',
                date: new Date().toISOString() },
      parent_header: {}, metadata, content, channel, buffers,
    };
    if (callbacks) this.callbacks.set(msg_id, callbacks);
    const wire = serialize(msg);
    if (this.pending) this.pending.push(wire); else this.ws.send(wire);
    return msg_id;
  }

  _handle(msg) {
    const type = msg.header.msg_type;
    const content = msg.content;
    const parent = msg.parent_header && msg.parent_header.msg_id;
    const cb = parent && this.callbacks.get(parent);
    if (msg.channel === 'iopub') {
      if (type === 'comm_msg') {
        const comm = this.comms.get(content.comm_id);
        if (comm && comm._onMsg) comm._onMsg(msg);
      } else if (type === 'comm_open') {
        const comm = new Comm(this, content.comm_id, content.target_name);
        this.comms.set(comm.comm_id, comm);
        if (this.onCommOpen && content.target_name === 'jupyter.widget') this.onCommOpen(comm, msg);
      } else if (type === 'comm_close') {
        const comm = this.comms.get(content.comm_id);
        this.comms.delete(content.comm_id);
        if (comm && comm._onClose) comm._onClose(msg);
      }
      if (cb && cb.iopub && cb.iopub[type]) cb.iopub[type](msg);
      if (cb && type === 'status' && content.execution_state === 'idle') this.callbacks.delete(parent);
    } else if (msg.channel === 'shell') {
      if (cb && cb.shell && cb.shell.reply) cb.shell.reply(msg);
    }
  }

  shutdownBeacon() {
    const form = new FormData();
    const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b');
    form.append('_xsrf', (xsrf && xsrf[1]) || '');
    navigator.sendBeacon(`${config.baseUrl}voila/api/shutdown/${this.id}`, form);
  }
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
const MODULES = { '@jupyter-widgets/base': base, '@jupyter-widgets/controls': controls };

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
const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);

async function main() {
  const kernel = new Kernel(config.baseUrl, config.kernelId);
  window.addEventListener('beforeunload', () => kernel.shutdownBeacon());
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

main().catch((e) => console.error('[irh]', e));
