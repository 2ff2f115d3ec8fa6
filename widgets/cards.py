"""Small display helpers for course pages, so notebooks hold one call, not code."""

from __future__ import annotations

import html

import ipywidgets as w
from IPython.display import Markdown

from widgets import force

__all__ = ["force_overview", "movement_card"]


def movement_card(slug: str) -> Markdown:
    """Show where a movement sits in the FORCE sequence and what it reimagines."""
    return Markdown(force.summary(slug))


def force_overview() -> w.HTML:
    """Return an HTML widget listing the five FORCE movements from :data:`widgets.force.MOVEMENTS`.

    Returns
    -------
    ipywidgets.HTML
        A table with each movement's course name, the medical-model step it
        reimagines and its core idea.
    """
    rows = "".join(
        "<tr>"
        f'<th scope="row">{n}. {html.escape(m.name)}</th>'
        f"<td>{html.escape(m.reimagines)}</td>"
        f"<td>{html.escape(m.core_idea)}</td>"
        "</tr>"
        for n, m in enumerate(force.MOVEMENTS, start=1)
    )
    table = (
        '<table class="irh-force" style="border-collapse: collapse; text-align: left;">'
        "<caption>The five FORCE movements</caption>"
        '<thead><tr><th scope="col">Movement</th>'
        '<th scope="col">Medical-model step it reimagines</th>'
        '<th scope="col">Core idea</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        "<style>.irh-force th, .irh-force td {border: 1px solid #d1d5db; padding: 0.4em 0.6em;"
        " vertical-align: top;} .irh-force caption {font-weight: bold; text-align: left;"
        " padding-bottom: 0.3em;}</style>"
    )
    return w.HTML(table)
