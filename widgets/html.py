"""Small HTML helpers shared by the views: Markdown, escaping, the field meter, charts.

Authored text (vignette YAML, course data) is Markdown rendered with raw HTML
disabled; anything a person typed is escaped with :func:`escape` before it is
shown. An image in Markdown is shown only if its address is relative (a file of
the course itself); one from another site becomes a link to it, so opening a page
never makes a request to a third party. Nothing here imports ipywidgets.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "STYLE",
    "download_link",
    "escape",
    "field_chart",
    "field_meter",
    "markdown",
    "markdown_inline",
]


def _is_relative(address: str) -> bool:
    """Whether an address points into the course itself (no scheme, no host)."""
    parts = urlsplit(address)
    return not parts.scheme and not parts.netloc


def _render_image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Render a relative image as usual; one from elsewhere as a link, or as words in a link."""
    token = tokens[idx]
    address = str(token.attrGet("src") or "")
    if _is_relative(address):
        return RendererHTML.image(self, tokens, idx, options, env)
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    words = escapeHtml(f"Image: {alt}" if alt else "Image")
    inside_link = sum(
        1 if t.type == "link_open" else -1 if t.type == "link_close" else 0 for t in tokens[:idx]
    )
    if inside_link > 0:  # a link may not hold another link
        return f'<span class="irh-outside-image">{words}</span>'
    return f'<a class="irh-outside-image" href="{escapeHtml(address)}">{words}</a>'


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.add_render_rule("image", _render_image)


def markdown(text: str) -> str:
    """Render authored Markdown to HTML; raw HTML in the text is shown as text."""
    return _MD.render(text or "")


def markdown_inline(text: str) -> str:
    """Render one line of authored Markdown (no paragraph tags), raw HTML shown as text."""
    return _MD.renderInline(" ".join((text or "").split()))


def escape(text: str) -> str:
    """Escape text a person typed so it shows as text, never as markup."""
    return html.escape(text or "", quote=True)


def title_case(name: str) -> str:
    """``mutuality`` -> ``Mutuality``; ``self_care`` -> ``Self care``."""
    return name.replace("_", " ").capitalize()


def field_meter(
    field: Mapping[str, int], changes: Mapping[str, int] | None = None, maximum: int = 10
) -> str:
    """The relational field as labelled bars whose state is also written as text.

    Each bar is an ARIA ``meter`` with a name and value; the number and the
    change are printed beside it, so nothing depends on colour alone.
    """
    changes = changes or {}
    rows = []
    for dim, value in field.items():
        label = title_case(dim)
        delta = changes.get(dim, 0)
        if delta:
            word = "up" if delta > 0 else "down"
            change = (
                f'<span class="irh-delta irh-delta-{word}">{delta:+d}'
                f'<span class="irh-sr"> ({word} {abs(delta)})</span></span>'
            )
            aria_change = f", {word} {abs(delta)}"
        else:
            change = ""
            aria_change = ""
        percent = round(100 * value / maximum)
        rows.append(
            f'<div class="irh-dim">'
            f'<span class="irh-dim-name">{escape(label)}</span>'
            f'<div class="irh-bar" role="meter" aria-valuemin="0" aria-valuemax="{maximum}" '
            f'aria-valuenow="{value}" aria-valuetext="{value} of {maximum}{aria_change}" '
            f'aria-label="{escape(label)}">'
            f'<div class="irh-bar-fill" style="width:{percent}%"></div></div>'
            f'<span class="irh-dim-value">{value}/{maximum} {change}</span>'
            f"</div>"
        )
    return (
        '<section class="irh-field" aria-label="Relational field">'
        '<h4 class="irh-field-title">Relational field</h4>' + "".join(rows) + "</section>"
    )


_DASHES = ("", "6 3", "2 3", "8 3 2 3")
_COLOURS = ("#1b6e8a", "#b3541e", "#5b3f8c", "#2f7d32")


def field_chart(
    history: Sequence[Mapping[str, int]],
    maximum: int = 10,
    title: str = "The relational field over this session",
) -> str:
    """An accessible SVG line chart of the field over a session, with a data table.

    ``history`` is the field at the start and after each choice. Lines differ in
    dash pattern as well as colour, and the same numbers are given as a table.
    The chart is named and described by its first children, ``<title>`` and
    ``<desc>``, not by element ids: it holds no id, so any number of charts can
    share a page, and the same history always gives the same markup. ``title``
    names the chart; charts of other values over a session (such as a client's
    hidden state) pass their own.
    """
    if not history:
        return ""
    dims = list(history[0])
    width, height, left, right, top, bottom = 560, 220, 36, 120, 12, 30
    plot_w = width - left - right
    plot_h = height - top - bottom
    steps = max(len(history) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / steps

    def y(v: int) -> float:
        return top + plot_h * (1 - v / maximum)

    parts = [
        f'<svg class="irh-chart" viewBox="0 0 {width} {height}" role="img" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape(
            "; ".join(f"{title_case(d)} from {history[0][d]} to {history[-1][d]}" for d in dims)
        )
        + "</desc>",
    ]
    for v in range(0, maximum + 1, 5):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v}</text>'
        )
    for i in range(len(history)):
        label = "start" if i == 0 else str(i)
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" font-size="11" '
            f'text-anchor="middle">{label}</text>'
        )
    for n, dim in enumerate(dims):
        colour = _COLOURS[n % len(_COLOURS)]
        dash = _DASHES[n % len(_DASHES)]
        points = " ".join(f"{x(i):.1f},{y(f[dim]):.1f}" for i, f in enumerate(history))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
        )
        ly = top + 16 * n + 8
        parts.append(
            f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 34}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<text x="{left + plot_w + 38}" y="{ly + 4}" font-size="11">'
            f"{escape(title_case(dim))}</text>"
        )
    parts.append("</svg>")
    head = "".join(f'<th scope="col">{escape(title_case(d))}</th>' for d in dims)
    body = "".join(
        f'<tr><th scope="row">{"Start" if i == 0 else f"After choice {i}"}</th>'
        + "".join(f"<td>{f[d]}</td>" for d in dims)
        + "</tr>"
        for i, f in enumerate(history)
    )
    table = (
        '<details class="irh-chart-data"><summary>The same numbers as a table</summary>'
        f'<table><thead><tr><th scope="col">Moment</th>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></details>"
    )
    return '<figure class="irh-figure">' + "".join(parts) + table + "</figure>"


def download_link(text: str, filename: str, label: str) -> str:
    """A link that downloads ``text`` as a UTF-8 Markdown file, with no server round trip."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="irh-download" download="{escape(filename)}" '
        f'href="data:text/markdown;charset=utf-8;base64,{payload}">{escape(label)}</a>'
    )


#: Styles of the course's views, scoped under ``.irh``. Colours meet WCAG AA contrast.
STYLE = """
<style>
.irh { max-width: 760px; font-size: 15px; line-height: 1.5; color: #1f1f1f; }
.irh .widget-html-content { line-height: 1.5; }
.irh .irh-sr { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.irh .irh-card { border: 1px solid #c9d3dc; border-radius: 6px; padding: 10px 14px;
  background: #f6f9fb; margin: 6px 0; }
.irh .irh-note { border-left: 4px solid #8a5a00; background: #fff7e6; padding: 8px 12px;
  margin: 8px 0; }
.irh .irh-tag { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px;
  background: #e8eef3; color: #23415a; margin-right: 6px; }
.irh .irh-lens-medical { background: #e9eef7; color: #1d3b6e; }
.irh .irh-lens-relational { background: #f6e9ef; color: #6d1f45; }
.irh .irh-lens-integrative { background: #e8f3ea; color: #1f5a2a; }
.irh .irh-feedback { border-left: 4px solid #1b6e8a; background: #f2f8fa; padding: 8px 12px;
  margin: 8px 0; }
.irh .irh-field { margin: 8px 0; }
.irh .irh-field-title { margin: 4px 0; font-size: 14px; }
.irh .irh-dim { display: flex; align-items: center; gap: 8px; margin: 3px 0; flex-wrap: wrap; }
.irh .irh-dim-name { width: 92px; font-weight: 600; }
.irh .irh-bar { flex: 1 1 120px; max-width: 320px; height: 12px; background: #e3e7ea;
  border-radius: 6px; overflow: hidden; border: 1px solid #9aa5ad; }
.irh .irh-bar-fill { height: 100%; background: #1b6e8a; }
.irh .irh-dim-value { min-width: 80px; font-variant-numeric: tabular-nums; }
.irh .irh-delta-up { color: #1f5a2a; font-weight: 600; }
.irh .irh-delta-down { color: #8a1f1f; font-weight: 600; }
.irh .irh-chart { width: 100%; max-width: 560px; height: auto; }
.irh .irh-figure { margin: 8px 0; }
.irh .irh-charts { display: flex; flex-wrap: wrap; gap: 12px; }
.irh .irh-chart-panel { flex: 1 1 300px; min-width: 0; }
.irh .irh-chart-panel h5 { margin: 4px 0; font-size: 14px; }
.irh .irh-tone-hopeful { background: #e8f3ea; color: #1f5a2a; }
.irh .irh-tone-mixed { background: #fff3d6; color: #5c3d00; }
.irh .irh-tone-costly { background: #f8e6e6; color: #7a1b1b; }
.irh .irh-moment { border-top: 1px solid #c9d3dc; padding-top: 4px; margin-top: 6px; }
.irh .irh-moment h5 { margin: 4px 0; font-size: 14px; }
.irh .irh-not-taken summary { cursor: pointer; font-weight: 600; color: #0b5470; }
.irh .irh-not-taken summary:focus-visible { outline: 3px solid #1b6e8a; outline-offset: 2px; }
.irh .irh-not-taken li { margin: 4px 0; }
.irh table { border-collapse: collapse; margin: 6px 0; }
.irh th, .irh td { border: 1px solid #c9d3dc; padding: 2px 8px; text-align: left; }
.irh .irh-status { min-height: 1.5em; }
.irh .irh-error { color: #8a1f1f; }
.irh .irh-download { font-weight: 600; color: #0b5470; }
.irh .widget-button, .irh .jupyter-button { height: auto; min-height: 32px; }
.irh .irh-choice { width: 100%; max-width: 760px; height: auto; white-space: normal;
  text-align: left; padding: 8px 12px; line-height: 1.4; margin-left: 0; margin-right: 0; }
.irh .jupyter-button:focus-visible { outline: 3px solid #1b6e8a; outline-offset: 2px; }
.irh textarea { width: 100%; min-height: 90px; font-size: 15px; }
.irh .widget-textarea { width: 100%; max-width: 760px; margin-left: 0; margin-right: 0; }
@media (max-width: 480px) { .irh .irh-dim-name { width: 100%; } .irh { font-size: 16px; } }
</style>
"""
