"""An ecological map of one fictional client's relationships at five levels.

The map draws the client at the centre of five rings (personal, familial, social,
ecological, spiritual, from the inside out). Each relationship is a node on its ring,
joined to the centre by a line whose style shows its quality: solid for supportive,
dashed for strained, dotted with a break for cut off. Quality is never carried by colour
alone, and the same content is always available as a text list.

* :class:`Ecomap` is the plain-Python model (relationships, selected level, learner
  additions); :func:`render_svg`, :func:`render_text_html` and :func:`render_level_html`
  turn it into HTML strings. None of these touch ipywidgets.
* :class:`EcomapView` is the ipywidgets view; each control forwards to a public method
  (:meth:`EcomapView.select`, :meth:`EcomapView.submit`, :meth:`EcomapView.reset`).

Every name or note a learner types is HTML-escaped before it is shown.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from widgets.datafile import load_data_file
from widgets.html import STYLE

__all__ = [
    "LEVELS",
    "MAX_NAME",
    "MAX_NOTE",
    "QUALITIES",
    "Ecomap",
    "EcomapView",
    "LevelInfo",
    "Relationship",
    "render_level_html",
    "render_svg",
    "render_text_html",
    "validate_data",
]

#: The five levels of connection, from the innermost ring outwards.
LEVELS: tuple[str, ...] = ("personal", "familial", "social", "ecological", "spiritual")

#: Qualities of a relationship and how each is named in text.
QUALITIES: dict[str, str] = {
    "supportive": "supportive",
    "strained": "strained",
    "cut-off": "cut off",
}

#: Longest name and note (in characters) a learner may add.
MAX_NAME = 40
MAX_NOTE = 160

#: The packaged example used when no path is given.
DEFAULT_DATA = "ecomap_example.yaml"


@dataclass(frozen=True)
class Relationship:
    """One relationship on the map.

    Parameters
    ----------
    name : str
        Who or what the relationship is with (plain text, escaped when shown).
    level : str
        One of :data:`LEVELS`.
    quality : str
        One of the keys of :data:`QUALITIES`.
    note : str
        An optional sentence about the relationship.
    added : bool
        True when the learner added it during the exercise.
    """

    name: str
    level: str
    quality: str
    note: str = ""
    added: bool = False


@dataclass(frozen=True)
class LevelInfo:
    """What a level covers and the question the learner is asked about it."""

    description: str
    question: str


def validate_data(data: Any) -> list[str]:
    """Check the structure of ecomap data loaded from YAML.

    Parameters
    ----------
    data : object
        The parsed YAML document.

    Returns
    -------
    list of str
        One message per problem; empty when the data is valid.
    """
    if not isinstance(data, dict):
        return ["the document must be a mapping with keys 'client', 'levels', 'relationships'"]
    problems: list[str] = []
    client = data.get("client")
    if not isinstance(client, dict) or not all(
        isinstance(client.get(k), str) and client[k].strip() for k in ("name", "about")
    ):
        problems.append("'client' needs a 'name' and an 'about'")
    levels = data.get("levels")
    if not isinstance(levels, dict) or set(levels) != set(LEVELS):
        problems.append(f"'levels' must describe exactly these levels: {', '.join(LEVELS)}")
    else:
        for name, info in levels.items():
            if not isinstance(info, dict) or not all(
                isinstance(info.get(k), str) and info[k].strip()
                for k in ("description", "question")
            ):
                problems.append(f"level {name!r} needs a 'description' and a 'question'")
    items = data.get("relationships")
    if not isinstance(items, list) or not items:
        problems.append("'relationships' must be a non-empty list")
        return problems
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(f"relationship {n}: must be a mapping")
            continue
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            problems.append(f"relationship {n}: missing 'name'")
        if item.get("level") not in LEVELS:
            problems.append(f"relationship {n}: 'level' must be one of {', '.join(LEVELS)}")
        if item.get("quality") not in QUALITIES:
            problems.append(f"relationship {n}: 'quality' must be one of {', '.join(QUALITIES)}")
    return problems


class Ecomap:
    """A client's relationships at five levels, and what the learner does with them.

    Parameters
    ----------
    client : dict of str to str
        ``name``, ``about`` and optionally ``pronouns``.
    levels : dict of str to LevelInfo
        Description and question for each of :data:`LEVELS`.
    relationships : list of Relationship
        The relationships of the example, before the learner adds any.
    """

    def __init__(
        self,
        client: dict[str, str],
        levels: dict[str, LevelInfo],
        relationships: list[Relationship],
    ) -> None:
        self.client = dict(client)
        self.levels = dict(levels)
        self._given = list(relationships)
        self._added: list[Relationship] = []
        self.selected: str | None = None

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Ecomap:
        """Load a map from YAML (the packaged example by default).

        Raises
        ------
        ValueError
            If the file does not follow the expected structure; the message lists every problem.
        """
        data = load_data_file(path, DEFAULT_DATA, validate_data)
        client = {k: " ".join(str(v).split()) for k, v in data["client"].items()}
        levels = {
            name: LevelInfo(
                " ".join(info["description"].split()), " ".join(info["question"].split())
            )
            for name, info in data["levels"].items()
        }
        relationships = [
            Relationship(
                name=item["name"].strip(),
                level=item["level"],
                quality=item["quality"],
                note=" ".join(str(item.get("note", "")).split()),
            )
            for item in data["relationships"]
        ]
        return cls(client, levels, relationships)

    @property
    def first_name(self) -> str:
        """The client's first name, as the map's centre shows it."""
        return self.client["name"].split()[0]

    @property
    def relationships(self) -> list[Relationship]:
        """Every relationship: the example's, then the learner's additions."""
        return self._given + self._added

    @property
    def added(self) -> list[Relationship]:
        """The relationships the learner added, oldest first."""
        return list(self._added)

    def at_level(self, level: str) -> list[Relationship]:
        """Return the relationships at ``level``, in the order they were given or added."""
        self._check_level(level)
        return [r for r in self.relationships if r.level == level]

    def select(self, level: str | None) -> None:
        """Focus the map on ``level``; None shows the whole map."""
        if level is not None:
            self._check_level(level)
        self.selected = level

    def add(self, name: str, level: str, quality: str, note: str = "") -> Relationship:
        """Add a relationship the learner has thought of.

        Parameters
        ----------
        name : str
            Who or what the relationship is with; surrounding spaces are removed.
        level : str
            One of :data:`LEVELS`.
        quality : str
            One of the keys of :data:`QUALITIES`.
        note : str, optional
            A sentence about it.

        Returns
        -------
        Relationship
            The relationship as stored.

        Raises
        ------
        ValueError
            If the name is empty or too long, the note too long, or the level or quality unknown.
        """
        name = " ".join(name.split())
        note = " ".join(note.split())
        if not name:
            raise ValueError("Please give the relationship a name.")
        if len(name) > MAX_NAME:
            raise ValueError(f"Please keep the name to {MAX_NAME} characters or fewer.")
        if len(note) > MAX_NOTE:
            raise ValueError(f"Please keep the note to {MAX_NOTE} characters or fewer.")
        self._check_level(level)
        if quality not in QUALITIES:
            raise ValueError(
                f"Unknown quality {quality!r}; expected one of {', '.join(QUALITIES)}."
            )
        relationship = Relationship(name, level, quality, note, added=True)
        self._added.append(relationship)
        return relationship

    def remove_additions(self) -> None:
        """Remove everything the learner added, keeping the example as it was."""
        self._added.clear()

    def counts(self) -> dict[str, int]:
        """Return how many relationships have each quality."""
        return {q: sum(1 for r in self.relationships if r.quality == q) for q in QUALITIES}

    @staticmethod
    def _check_level(level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}.")


# ---------------------------------------------------------------------------------------------
# Rendering to HTML strings (no widgets)

_WIDTH, _HEIGHT = 900, 800
_CX, _CY = 450, 370
_CENTRE_R = 44
_RING_R = dict(zip(LEVELS, (92, 148, 204, 260, 316), strict=True))
# Nodes sit in an arc that leaves a wedge at the top free for the ring labels.
_ARC_START, _ARC_SPAN = -58.0, 296.0
_STYLE = {
    "supportive": {"color": "#166534", "width": 3.5, "dash": ""},
    "strained": {"color": "#b45309", "width": 2.5, "dash": "9 5"},
    "cut-off": {"color": "#4b5563", "width": 2.0, "dash": "2 6"},
}
_HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="4" stroke-linejoin="round"'


def _wrap(text: str, width: int = 16, max_lines: int = 3) -> list[str]:
    """Split ``text`` into short lines for a label."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return lines


def _positions(ecomap: Ecomap) -> list[tuple[Relationship, float, float, float]]:
    """Place each relationship on its ring: (relationship, x, y, angle in radians).

    Every relationship gets its own angle, and neighbouring angles go to rings at least
    two apart where possible, so no line passes through another node and each label has
    the space beyond its node to itself.
    """
    # Taking levels in the order personal, social, spiritual, familial, ecological puts
    # neighbouring nodes at least two rings apart.
    spread = [LEVELS[k] for k in (0, 2, 4, 1, 3)]
    by_level = [[r for r in ecomap.relationships if r.level == level] for level in spread]
    order: list[Relationship] = []
    for i in range(max((len(items) for items in by_level), default=0)):
        order.extend(items[i] for items in by_level if i < len(items))
    step = _ARC_SPAN / max(len(order), 1)
    placed = []
    for j, rel in enumerate(order):
        angle = math.radians(_ARC_START + (j + 0.5) * step)
        r = _RING_R[rel.level]
        placed.append((rel, _CX + r * math.cos(angle), _CY + r * math.sin(angle), angle))
    return placed


def _label(rel: Relationship, x: float, y: float, angle: float) -> str:
    """A node's label, placed just beyond the node along its own ray."""
    ux, uy = math.cos(angle), math.sin(angle)
    ax, ay = x + 14 * ux, y + 14 * uy
    anchor = "start" if ux > 0.35 else "end" if ux < -0.35 else "middle"
    lines = _wrap(rel.name)
    n = len(lines)
    if uy > 0.35:
        first = ay + 12
    elif uy < -0.35:
        first = ay - 2 - 14 * (n - 1)
    else:
        first = ay + 4 - 7 * (n - 1)
    tspans = "".join(
        f'<tspan x="{ax:.1f}" dy="{0 if i == 0 else 14}">{html.escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{ax:.1f}" y="{first:.1f}" text-anchor="{anchor}" font-size="12.5" '
        f'fill="#111827" {_HALO}>{tspans}</text>'
    )


def _describe(ecomap: Ecomap) -> str:
    counts = ecomap.counts()
    total = sum(counts.values())
    parts = ", ".join(f"{n} {QUALITIES[q]}" for q, n in counts.items())
    focus = f" The {ecomap.selected} level is highlighted." if ecomap.selected is not None else ""
    return (
        f"Ecological map of the relationships of {ecomap.client['name']}, a fictional client. "
        f"Five rings from the centre outwards: {', '.join(LEVELS)}. "
        f"{total} relationships: {parts}. Lines are solid for supportive, dashed for strained, "
        f"and dotted with a break for cut off; squares mark relationships you added.{focus} "
        "The same content is listed as text with the map."
    )


def render_svg(ecomap: Ecomap) -> str:
    """Draw the map as an accessible inline SVG.

    Parameters
    ----------
    ecomap : Ecomap
        The map to draw; its ``selected`` level, if any, is highlighted and the others dimmed.

    Returns
    -------
    str
        An ``<svg role="img">`` element whose first children, a ``<title>`` and a
        ``<desc>``, name and describe it. It holds no element id, so several maps can
        share a page, and the same map always gives the same SVG.
    """
    esc = html.escape
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="100%" style="max-width:{_WIDTH}px;height:auto;background:#ffffff" '
        'role="img" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
        f"<title>Ecological map: {esc(ecomap.client['name'])}</title>",
        f"<desc>{esc(_describe(ecomap))}</desc>",
    ]
    selected = ecomap.selected

    def dim(level: str) -> str:
        return ' opacity="0.25"' if selected is not None and level != selected else ""

    # Rings, outermost first so inner ones stay on top; the selected one gets a band.
    for level in reversed(LEVELS):
        r = _RING_R[level]
        if level == selected:
            out.append(
                f'<circle cx="{_CX}" cy="{_CY}" r="{r}" fill="none" stroke="#dbeafe" '
                'stroke-width="46"/>'
            )
        is_sel = level == selected
        out.append(
            f'<circle cx="{_CX}" cy="{_CY}" r="{r}" fill="none" '
            f'stroke="{"#1d4ed8" if is_sel else "#9ca3af"}" stroke-width="{2 if is_sel else 1}"/>'
        )
    # Ring labels in the free wedge at the top.
    for level in LEVELS:
        r = _RING_R[level]
        weight = "bold" if level == selected else "normal"
        out.append(
            f'<text x="{_CX}" y="{_CY - r + 5}" text-anchor="middle" font-size="13" '
            f'font-weight="{weight}" fill="#1f2937" {_HALO}>{esc(level)}</text>'
        )

    placed = _positions(ecomap)
    # Lines first, so every node and label is drawn over them.
    for rel, x, y, angle in placed:
        style = _STYLE[rel.quality]
        x0 = _CX + _CENTRE_R * math.cos(angle)
        y0 = _CY + _CENTRE_R * math.sin(angle)
        x1 = x - 10 * math.cos(angle)
        y1 = y - 10 * math.sin(angle)
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        out.append(
            f'<g{dim(rel.level)}><line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
            f'stroke="{style["color"]}" stroke-width="{style["width"]}"{dash} '
            'stroke-linecap="round"/>'
        )
        if rel.quality == "cut-off":
            # Two short bars across the line, as a family-map "cut off" mark.
            for t in (0.52, 0.60):
                mx, my = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                px, py = -math.sin(angle) * 7, math.cos(angle) * 7
                out.append(
                    f'<line x1="{mx - px:.1f}" y1="{my - py:.1f}" x2="{mx + px:.1f}" '
                    f'y2="{my + py:.1f}" stroke="{style["color"]}" stroke-width="2.5"/>'
                )
        out.append("</g>")
    # Centre: the client.
    out.append(
        f'<circle cx="{_CX}" cy="{_CY}" r="{_CENTRE_R}" fill="#1f2937"/>'
        f'<text x="{_CX}" y="{_CY + 5}" text-anchor="middle" font-size="15" font-weight="bold" '
        f'fill="#ffffff">{esc(ecomap.first_name)}</text>'
    )
    # Nodes and their labels.
    for rel, x, y, angle in placed:
        style = _STYLE[rel.quality]
        tip = f"{rel.name} ({rel.level}, {QUALITIES[rel.quality]})"
        if rel.note:
            tip += f": {rel.note}"
        out.append(f"<g{dim(rel.level)}><title>{esc(tip)}</title>")
        if rel.added:
            out.append(
                f'<rect x="{x - 8:.1f}" y="{y - 8:.1f}" width="16" height="16" fill="#ffffff" '
                f'stroke="{style["color"]}" stroke-width="3"/>'
            )
        else:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#ffffff" '
                f'stroke="{style["color"]}" stroke-width="3"/>'
            )
        out.append(_label(rel, x, y, angle) + "</g>")
    # Legend.
    ly = _HEIGHT - 34
    lx = 40
    out.append(f'<g font-size="13" fill="#111827"><text x="{lx}" y="{ly - 16}">Key</text>')
    for quality, label in QUALITIES.items():
        style = _STYLE[quality]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 44}" y2="{ly}" stroke="{style["color"]}" '
            f'stroke-width="{style["width"]}"{dash} stroke-linecap="round"/>'
        )
        if quality == "cut-off":
            for t in (18, 24):
                out.append(
                    f'<line x1="{lx + t}" y1="{ly - 7}" x2="{lx + t}" y2="{ly + 7}" '
                    f'stroke="{style["color"]}" stroke-width="2.5"/>'
                )
        out.append(f'<text x="{lx + 52}" y="{ly + 4}">{esc(label)}</text>')
        lx += 150
    out.append(
        f'<rect x="{lx}" y="{ly - 7}" width="14" height="14" fill="#ffffff" stroke="#111827" '
        f'stroke-width="2.5"/><text x="{lx + 22}" y="{ly + 4}">added by you</text></g>'
    )
    out.append("</svg>")
    return "".join(out)


def _item_html(rel: Relationship) -> str:
    text = f"<strong>{html.escape(rel.name)}</strong>: {html.escape(QUALITIES[rel.quality])}"
    if rel.note:
        text += f". {html.escape(rel.note)}"
    if rel.added:
        text += " <em>(added by you)</em>"
    return f"<li>{text}</li>"


def render_level_html(ecomap: Ecomap, level: str) -> str:
    """Describe one level: what it covers, its relationships, and a question to consider."""
    info = ecomap.levels[level]
    items = "".join(_item_html(r) for r in ecomap.at_level(level)) or "<li>None yet.</li>"
    return (
        f"<h4>{html.escape(level.capitalize())} level</h4>"
        f"<p>{html.escape(info.description)}</p><ul>{items}</ul>"
        f"<p><strong>To consider:</strong> {html.escape(info.question)}</p>"
    )


def render_text_html(ecomap: Ecomap) -> str:
    """List the whole map as text, level by level: the text equivalent of the SVG."""
    parts = [
        f"<p>{html.escape(ecomap.client['name'])}'s relationships, level by level, "
        "from the innermost ring outwards.</p>"
    ]
    for level in LEVELS:
        items = "".join(_item_html(r) for r in ecomap.at_level(level)) or "<li>None yet.</li>"
        parts.append(f"<p><strong>{html.escape(level.capitalize())}</strong></p><ul>{items}</ul>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# View (the only part of this module that touches ipywidgets)

_ALL = "all"
_CSS = """
<style>
.irh-ecomap .irh-card p, .irh-ecomap .irh-level p {margin: 0.3em 0;}
.irh-ecomap details {margin: 0.6em 0;}
</style>
"""


class EcomapView:
    """An ipywidgets view of an :class:`Ecomap`: explore the levels, add relationships.

    Parameters
    ----------
    model : Ecomap, optional
        The map to show; the packaged example by default.

    Notes
    -----
    The controls forward to public methods: the level buttons to :meth:`select`, the add
    button to :meth:`submit` and the remove button to :meth:`reset`. :meth:`add` fills the
    form and submits it, as a learner would. The widget tree is :attr:`widget`.
    """

    def __init__(self, model: Ecomap | None = None) -> None:
        import ipywidgets as w

        self.model = model if model is not None else Ecomap.from_file()
        first = self.model.first_name
        self.client_card = w.HTML(self._client_html())
        options = [("Whole map", _ALL)] + [(lvl.capitalize(), lvl) for lvl in LEVELS]
        self.level_picker = w.ToggleButtons(
            options=options,
            value=_ALL if self.model.selected is None else self.model.selected,
            description="Show",
            tooltips=["Show the whole map"] + [f"Focus on the {lvl} level" for lvl in LEVELS],
            style={"button_width": "auto"},
        )
        self.level_picker.observe(self._on_pick, names="value")
        self.figure = w.HTML()
        self.detail = w.HTML()
        self.text_version = w.HTML()
        self.name_input = w.Text(
            description="Name",
            placeholder="who or what, e.g. Her evening class",
            tooltip="Name of the relationship to add",
        )
        self.level_input = w.Dropdown(
            options=[(lvl.capitalize(), lvl) for lvl in LEVELS], description="Level"
        )
        self.quality_input = w.Dropdown(
            options=[(label, q) for q, label in QUALITIES.items()], description="Quality"
        )
        self.note_input = w.Text(
            description="Note", placeholder="optional", tooltip="An optional note about it"
        )
        self.add_button = w.Button(
            description="Add to the map",
            icon="plus",
            button_style="primary",
            tooltip=f"Add this relationship to {first}'s map",
            layout=w.Layout(width="auto"),
        )
        self.reset_button = w.Button(
            description="Remove my additions",
            icon="undo",
            tooltip="Remove every relationship you added",
            layout=w.Layout(width="auto"),
        )
        self.add_button.on_click(lambda _b: self.submit())
        self.reset_button.on_click(lambda _b: self.reset())
        self.status = w.HTML()
        form = w.VBox(
            [
                w.HTML(
                    f"<p><strong>Add a relationship.</strong> Imagine a second session: "
                    f"{html.escape(first)} mentions someone or something not yet on the map. "
                    "Add it, with its level and quality.</p>"
                ),
                self.name_input,
                self.level_input,
                self.quality_input,
                self.note_input,
                w.HBox([self.add_button, self.reset_button]),
                self.status,
            ]
        )
        self.widget = w.VBox(
            [self.client_card, self.level_picker, self.figure, self.detail, form, self.text_version]
        )
        self.widget.add_class("irh")
        self.widget.add_class("irh-ecomap")
        self._render()

    # -- public actions (what the controls do) -------------------------------------------------

    def select(self, level: str | None) -> None:
        """Focus on ``level`` (None, or ``"all"``, for the whole map), as the level buttons do."""
        value = _ALL if level is None else level
        if value != _ALL:
            Ecomap._check_level(value)
        if self.level_picker.value == value:
            self._apply_selection(value)
        else:
            self.level_picker.value = value  # the observer applies it

    def submit(self) -> Relationship | None:
        """Add the relationship described in the form, as the add button does.

        Returns
        -------
        Relationship or None
            The relationship added, or None if the form was not valid (the status says why).
        """
        try:
            rel = self.model.add(
                self.name_input.value,
                self.level_input.value,
                self.quality_input.value,
                self.note_input.value,
            )
        except ValueError as err:
            self.status.value = f'<p role="alert" style="color:#991b1b">{html.escape(str(err))}</p>'
            return None
        self.name_input.value = ""
        self.note_input.value = ""
        self.status.value = (
            f'<p role="status">Added <strong>{html.escape(rel.name)}</strong> '
            f"({html.escape(QUALITIES[rel.quality])}) at the {rel.level} level.</p>"
        )
        self.select(rel.level)
        return rel

    def add(self, name: str, level: str, quality: str, note: str = "") -> Relationship | None:
        """Fill in the form with these values and submit it."""
        self.name_input.value = name
        self.level_input.value = level
        self.quality_input.value = quality
        self.note_input.value = note
        return self.submit()

    def reset(self) -> None:
        """Remove the learner's additions, as the remove button does."""
        self.model.remove_additions()
        self.status.value = '<p role="status">Your additions were removed.</p>'
        self._render()

    # -- rendering ----------------------------------------------------------------------------

    def _on_pick(self, change: dict[str, Any]) -> None:
        self._apply_selection(change["new"])

    def _apply_selection(self, value: str) -> None:
        self.model.select(None if value == _ALL else value)
        if value != _ALL:
            # A learner exploring a level will most likely add to that level.
            self.level_input.value = value
        self._render()

    def _client_html(self) -> str:
        c = self.model.client
        pronouns = f" ({html.escape(c['pronouns'])})" if c.get("pronouns") else ""
        return (
            f"{STYLE}{_CSS}"
            '<div class="irh-card">'
            f"<p><strong>{html.escape(c['name'])}</strong>{pronouns}</p>"
            f"<p>{html.escape(c['about'])}</p></div>"
        )

    def _render(self) -> None:
        self.figure.value = render_svg(self.model)
        if self.model.selected is None:
            self.detail.value = (
                "<p>Choose a level above to focus on it: you will see its relationships "
                "and a question to consider. The full text version of the map is at the end.</p>"
            )
        else:
            self.detail.value = render_level_html(self.model, self.model.selected)
        self.text_version.value = (
            "<details><summary>Text version of the whole map</summary>"
            f"{render_text_html(self.model)}</details>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the widget tree (used by Jupyter and Voila)."""
        return self.widget._repr_mimebundle_(**kwargs)
