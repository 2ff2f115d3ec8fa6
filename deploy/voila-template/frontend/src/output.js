// The Output widget (ipywidgets' `Output`, used by `interact`): it shows what the kernel
// prints or displays while its `msg_id` names the message being handled. Like JupyterLab's
// widget manager, the model listens on the kernel for messages whose parent is that id;
// unlike it, it draws outputs with a few DOM nodes instead of JupyterLab's output area,
// and keeps what it captured in the browser (it does not send it back to the kernel).
import * as base from '@jupyter-widgets/base';
import { Widget } from '@lumino/widgets';
import $ from 'jquery';

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const OUTPUT_MODULE = { _model_module: '@jupyter-widgets/output', _model_module_version: '1.0.0',
  _view_module: '@jupyter-widgets/output', _view_module_version: '1.0.0' };
const CAPTURED = new Set(['stream', 'display_data', 'execute_result', 'error']);
const IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
// what nbconvert writes for an image without a description, so both look alike to a
// screen reader
const NO_ALT = 'No description has been provided for this image';
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

const text = (value) => (Array.isArray(value) ? value.join('') : String(value ?? ''));

// An error is shown as its name and message; its traceback (code and file paths) is
// dropped as soon as it arrives.
function keep(output) {
  if (output.output_type === 'error') {
    return { output_type: 'error', ename: text(output.ename), evalue: text(output.evalue) };
  }
  return output;
}

export class OutputModel extends base.DOMWidgetModel {
  defaults() {
    return { ...super.defaults(), ...OUTPUT_MODULE, _model_name: 'OutputModel',
             _view_name: 'OutputView', msg_id: '', outputs: [] };
  }

  initialize(attributes, options) {
    super.initialize(attributes, options);
    this.shown = []; // outputs to show, oldest first; a new object whenever one changes
    this.clearOnNext = false; // clear_output(wait=True): clear when the next output comes
    this.hook = (msg) => this.capture(msg);
    this.listenTo(this, 'change:msg_id', this.follow);
    this.listenTo(this, 'change:outputs', this.load);
    this.once('destroy', () => {
      this.destroyed = true;
      this.follow();
    });
    this.load();
    this.follow();
  }

  // Listen for the messages answering `msg_id` (the kernel sets it on entering
  // `with output:` and clears it on leaving).
  follow() {
    const kernel = this.widget_manager.kernel;
    if (this.hooked) kernel.removeMessageHook(this.hooked, this.hook);
    this.hooked = this.destroyed ? '' : this.get('msg_id') || '';
    if (this.hooked) kernel.registerMessageHook(this.hooked, this.hook);
  }

  capture(msg) {
    const type = msg.header.msg_type;
    if (type === 'clear_output') this.clear(msg.content.wait);
    else if (CAPTURED.has(type)) this.add({ ...msg.content, output_type: type });
  }

  add(output, quiet = false) {
    if (this.clearOnNext) {
      this.shown = [];
      this.clearOnNext = false;
    }
    output = keep(output);
    const last = this.shown[this.shown.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      this.shown = [...this.shown.slice(0, -1), { ...last, text: text(last.text) + text(output.text) }];
    } else {
      this.shown = [...this.shown, output];
    }
    if (!quiet) this.trigger('outputs:shown');
  }

  clear(wait) {
    if (wait) {
      this.clearOnNext = true;
      return;
    }
    this.shown = [];
    this.clearOnNext = false;
    this.trigger('outputs:shown');
  }

  // The kernel set `outputs` itself (outputs captured while Voila ran the page, or
  // `Output.clear_output()` outside a `with` block).
  load() {
    this.shown = [];
    this.clearOnNext = false;
    for (const output of this.get('outputs') || []) this.add(output, true);
    this.trigger('outputs:shown');
  }
}

export class OutputView extends base.DOMWidgetView {
  _createElement() {
    this.luminoWidget = new base.JupyterLuminoPanelWidget({ view: this });
    return this.luminoWidget.node;
  }

  _setElement(el) {
    if (this.el || el !== this.luminoWidget.node) throw new Error('Cannot reset the DOM element.');
    this.el = this.luminoWidget.node;
    this.$el = $(this.luminoWidget.node);
  }

  render() {
    this.luminoWidget.addClass('jupyter-widgets');
    this.luminoWidget.addClass('widget-output');
    this.luminoWidget.addClass('jp-OutputArea');
    this.drawn = []; // [{ output, widget }] in the order shown
    this.listenTo(this.model, 'outputs:shown', this.draw);
    this.draw();
  }

  // Redraw from the first output that changed: a stream that grew or a new output
  // redraws only the end.
  draw() {
    const shown = this.model.shown;
    let same = 0;
    while (same < this.drawn.length && same < shown.length && this.drawn[same].output === shown[same]) {
      same += 1;
    }
    for (const { widget } of this.drawn.splice(same)) widget.dispose();
    for (const output of shown.slice(same)) {
      const widget = this.drawOne(output);
      this.luminoWidget.addWidget(widget);
      this.drawn.push({ output, widget });
    }
  }

  drawOne(output) {
    const data = output.data || {};
    if (data[WIDGET_VIEW]) {
      // a placeholder keeps the order while the widget's view is made
      const slot = new Widget();
      this.model.widget_manager.get_model(data[WIDGET_VIEW].model_id)
        .then((model) => this.create_child_view(model))
        .then((view) => {
          if (slot.isDisposed) {
            view.remove();
            return;
          }
          const at = this.luminoWidget.widgets.indexOf(slot);
          this.luminoWidget.insertWidget(at, view.luminoWidget);
          const entry = this.drawn.find((d) => d.widget === slot);
          if (entry) entry.widget = view.luminoWidget;
          slot.dispose();
        })
        .catch((err) => {
          console.error('[irh] could not render a widget inside an Output', err);
          if (!slot.isDisposed) slot.node.textContent = 'A widget could not be rendered.';
        });
      return slot;
    }
    const widget = new Widget({ node: renderOutput(output) });
    widget.addClass('jp-OutputArea-child');
    return widget;
  }

  remove() {
    this.drawn = [];
    super.remove();
  }
}

// ---- outputs ------------------------------------------------------------------------
function pre(value, mime) {
  const node = document.createElement('div');
  node.className = 'jp-OutputArea-output jp-RenderedText';
  node.dataset.mimeType = mime;
  const block = document.createElement('pre');
  block.textContent = text(value).replace(ANSI, '');
  node.append(block);
  return node;
}

/** One output as DOM nodes: text, sanitised HTML or an image (never a script). */
export function renderOutput(output) {
  if (output.output_type === 'stream') {
    return pre(output.text, `application/vnd.jupyter.${output.name === 'stderr' ? 'stderr' : 'stdout'}`);
  }
  if (output.output_type === 'error') {
    return pre(`${output.ename}: ${output.evalue}`, 'application/vnd.jupyter.stderr');
  }
  const data = output.data || {};
  const meta = output.metadata || {};
  const node = document.createElement('div');
  node.className = 'jp-OutputArea-output';
  if (data['text/html'] !== undefined) {
    node.classList.add('jp-RenderedHTMLCommon', 'jp-RenderedHTML');
    node.dataset.mimeType = 'text/html';
    node.append(sanitize(text(data['text/html'])));
    return node;
  }
  const image = IMAGES.find((mime) => data[mime] !== undefined);
  const svg = data['image/svg+xml'] !== undefined;
  if (image || svg) {
    const img = document.createElement('img');
    img.src = svg
      ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text(data['image/svg+xml']))}`
      : `data:${image};base64,${text(data[image]).replace(/\s/g, '')}`;
    img.alt = NO_ALT;
    const size = meta[image || 'image/svg+xml'] || {};
    if (size.width) img.width = size.width;
    if (size.height) img.height = size.height;
    node.classList.add('jp-RenderedImage');
    node.dataset.mimeType = image || 'image/svg+xml';
    node.append(img);
    return node;
  }
  if (data['text/plain'] !== undefined) return pre(data['text/plain'], 'text/plain');
  return node;
}

// ---- HTML sanitiser -------------------------------------------------------------------
// Allowed: text formatting, lists, tables and images; everything that runs, loads a page
// or submits (script, iframe, object, form, meta, base, link, style) is dropped with its
// content; other unknown elements are replaced by their content. The page's policy would
// block scripts anyway; this also keeps forms, frames and page-wide styles out.
const TAGS = new Set(('a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details '
  + 'dfn div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s '
  + 'samp small span strong sub summary sup table tbody td tfoot th thead time tr u ul var').split(' '));
const DROPPED = new Set(('script style template iframe frame frameset object embed applet form '
  + 'input button select textarea option meta base link noscript svg math canvas audio video '
  + 'source track portal title head').split(' '));
const ATTRIBUTES = new Set(('class title lang dir role style alt width height colspan rowspan '
  + 'scope headers start reversed type span datetime open cite align valign').split(' '));
const SAFE_LINK = /^(https?:|mailto:|#|\/|\.|[^:]*$)/i;
const SAFE_IMAGE = /^(data:image\/(png|jpe?g|gif|webp);|https?:|\/|\.|[^:]*$)/i;

function allowed(tag, name, value) {
  if (ATTRIBUTES.has(name) || name.startsWith('aria-')) return true;
  if (tag === 'a' && name === 'href') return SAFE_LINK.test(value.trim());
  if (tag === 'img' && name === 'src') return SAFE_IMAGE.test(value.trim());
  return false;
}

function clean(parent) {
  for (const node of Array.from(parent.childNodes)) {
    if (node.nodeType === Node.TEXT_NODE) continue;
    if (node.nodeType !== Node.ELEMENT_NODE) {
      node.remove();
      continue;
    }
    const tag = node.localName;
    if (!TAGS.has(tag)) {
      if (DROPPED.has(tag)) node.remove();
      else {
        clean(node);
        node.replaceWith(...node.childNodes);
      }
      continue;
    }
    for (const { name, value } of Array.from(node.attributes)) {
      if (!allowed(tag, name, value)) node.removeAttribute(name);
    }
    if (tag === 'a') node.setAttribute('rel', 'noopener noreferrer');
    clean(node);
  }
}

/** Parse HTML in an inert document (nothing loads or runs there) and keep the allowed part. */
export function sanitize(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  clean(doc.body);
  const fragment = document.createDocumentFragment();
  fragment.append(...doc.body.childNodes);
  return fragment;
}
