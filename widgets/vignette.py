"""The vignette view: an ipywidgets app that renders a :class:`~widgets.session.Session`.

The view holds a session and re-renders in one place (:meth:`Vignette._render`)
after every action. Every button has a public method that does the same thing,
so tests and notebooks can drive a vignette without a browser::

    v = Vignette.load("first-contact-voicemail")
    v.start(); v.choose(1); v.advance(); v.reflect("..."); v.restart()
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw

from widgets import force
from widgets.html import (
    STYLE,
    download_link,
    escape,
    field_chart,
    field_meter,
    markdown,
    markdown_inline,
    title_case,
)
from widgets.journal import Journal, JournalError
from widgets.scenario import Scenario, find_scenario, load_scenario
from widgets.session import Session, SessionError

__all__ = ["Vignette"]


def _movement_label(slug: str) -> str:
    if slug == force.CAPSTONE:
        return "All five movements"
    return force.movement(slug).name


def _close_button(button: ipw.Button) -> None:
    """Close a button together with the layout and style widgets it owns."""
    button.layout.close()
    button.style.close()
    button.close()


class Vignette(ipw.VBox):
    """A playable vignette: client card, story, choices, feedback, field, reflection, debrief.

    Parameters
    ----------
    scenario : Scenario
        The validated vignette.
    journal : Journal, optional
        Where saved reflections also go. Defaults to :meth:`Journal.default`;
        pass ``False`` to keep reflections in the session only.
    """

    def __init__(self, scenario: Scenario, journal: Journal | None | bool = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("irh")
        self.add_class("irh-vignette")
        self.scenario = scenario
        self.journal = Journal.default() if journal is None else (journal or None)
        self.session = Session(scenario)
        self.started = False
        self.status = ""
        self._style = ipw.HTML(STYLE)
        self._header = ipw.HTML()
        self._intro = ipw.HTML()
        self._story = ipw.HTML()
        self._feedback = ipw.HTML()
        self._field = ipw.HTML()
        self._debrief = ipw.HTML()
        self._status = ipw.HTML()
        self._start_button = self._button("Begin the vignette", self.start, "irh-start")
        self._continue_button = self._button("Continue", self.advance, "irh-continue")
        self._restart_button = self._button("Restart the vignette", self.restart, "irh-restart")
        self._reflection = ipw.Textarea(
            placeholder="Write your reflection here. Only you see it.",
            layout=ipw.Layout(width="100%"),
            # Sync on change (blur), not per keystroke: a Save pressed right after typing
            # then never races the last keystrokes, and typing costs no messages.
            continuous_update=False,
        )
        self._reflection.add_class("irh-reflection")
        self._save_button = self._button(
            "Save reflection", lambda: self.reflect(self._reflection.value), "irh-save"
        )
        self._choice_buttons: list[ipw.Button] = []
        # The node the choice buttons were made for: they are remade only when it changes.
        self._choices_for: str | None = None
        self._render()

    @classmethod
    def load(cls, ref: str | Path, journal: Journal | None | bool = None) -> Vignette:
        """Open a shipped vignette by id (``"first-contact-voicemail"``) or a YAML file path."""
        return cls(load_scenario(find_scenario(ref)), journal=journal)

    # --- actions (the buttons call these) -----------------------------------------------

    def start(self) -> None:
        """Leave the client card and show the first moment."""
        self.started = True
        self.status = ""
        self._render()

    def choose(self, index: int) -> None:
        """Give response ``index`` at the current moment (as clicking its button does)."""
        self._act(lambda: self.session.choose(index))

    def advance(self) -> None:
        """Go on from a moment without choices (the Continue button)."""
        self._act(self.session.advance)

    def reflect(self, text: str) -> None:
        """Save a reflection at the current moment, in the session and the journal."""

        def save() -> None:
            self.session.reflect(text)
            self._reflection.value = self.session.reflections[self.session.node_id]
            if self.journal is None:
                self.status = "Reflection saved for this session."
                return
            node = self.session.node
            try:
                self.journal.save(
                    source=self.scenario.id,
                    key=node.id,
                    prompt=node.reflect or "",
                    text=text,
                    movement=self._journal_movement(node.id),
                )
            except JournalError as exc:
                self.status = f"Saved for this session, but not to your journal: {exc}"
                return
            self.status = "Reflection saved to your journal."

        self._act(save, keep_status=True)

    def restart(self) -> None:
        """Start the vignette again from the client card (saved journal entries stay)."""
        self.session = Session(self.scenario)
        self.started = False
        self.status = ""
        self._reflection.value = ""
        self._render()

    def _act(self, action, keep_status: bool = False) -> None:
        if not self.started:
            self.started = True
        if not keep_status:
            self.status = ""
        try:
            action()
        except SessionError as exc:
            self.status = f"Not possible: {exc}."
            self._render(error=True)
            return
        if not keep_status:
            self._reflection.value = self.session.reflections.get(self.session.node_id, "")
        self._render()

    def _journal_movement(self, node_id: str) -> str | None:
        slug = self.scenario.movement_of(node_id)
        return None if slug == force.CAPSTONE else slug

    # --- rendering (one place) ----------------------------------------------------------

    def _button(self, label: str, action, css: str) -> ipw.Button:
        button = ipw.Button(description=label, tooltip=label, layout=ipw.Layout(width="auto"))
        button.add_class(css)
        button.on_click(lambda _b: action())
        return button

    def _render(self, error: bool = False) -> None:
        scenario, session = self.scenario, self.session
        node = session.node
        self._header.value = (
            f"<h3>{escape(scenario.title)}</h3>"
            f'<p><span class="irh-tag">{escape(_movement_label(scenario.movement))}</span>'
            '<span class="irh-tag">Fictional case</span></p>'
        )
        if not self.started:
            self._intro.value = self._intro_html()
            self.children = [self._style, self._header, self._intro, self._start_button]
            return

        children: list[ipw.Widget] = [self._style, self._header]
        step = session.last_step
        if step is not None:
            self._feedback.value = self._feedback_html(step)
            children.append(self._feedback)
        self._field.value = field_meter(session.field, step.changes if step else {})
        children.append(self._field)

        self._story.value = self._story_html()
        children.append(self._story)
        if node.reflect:
            children += [self._reflection, self._save_button]
        self._status.value = (
            f'<p class="irh-status{" irh-error" if error else ""}" role="status">'
            f"{escape(self.status)}</p>"
        )
        children.append(self._status)
        replaced: list[ipw.Button] = []
        if node.choices and self._choices_for != node.id:
            replaced = self._choice_buttons
            self._choice_buttons = [
                self._choice_button(i, choice.say) for i, choice in enumerate(node.choices)
            ]
            self._choices_for = node.id
        elif not node.choices:
            replaced, self._choice_buttons, self._choices_for = self._choice_buttons, [], None
        if node.choices:
            children += self._choice_buttons
        elif node.next is not None:
            children.append(self._continue_button)
        else:
            self._debrief.value = self._debrief_html()
            children += [self._debrief, self._restart_button]
        self.children = children
        # Close replaced buttons only once they are off the page. Each one is three live
        # widgets (button, layout, style) that would otherwise stay in the kernel for good,
        # and a click still on its way from a closed button reaches nothing.
        for button in replaced:
            _close_button(button)

    def _choice_button(self, index: int, say: str) -> ipw.Button:
        label = say.strip()
        button = ipw.Button(
            description=label, tooltip=label, layout=ipw.Layout(width="100%", height="auto")
        )
        button.add_class("irh-choice")
        button.on_click(lambda _b: self.choose(index))
        return button

    def _intro_html(self) -> str:
        s = self.scenario
        pronouns = f" ({escape(s.client.pronouns)})" if s.client.pronouns else ""
        note = ""
        if s.content_note:
            note = (
                '<div class="irh-note" role="note"><strong>Content note.</strong> '
                f"{markdown(s.content_note)}</div>"
            )
        movement = ""
        if s.movement != force.CAPSTONE:
            m = force.movement(s.movement)
            movement = (
                f"<p><strong>Movement:</strong> {escape(m.name)}, which reimagines "
                f"{escape(m.reimagines)}.</p>"
            )
        return (
            f"{markdown(s.summary)}{movement}{note}"
            f'<div class="irh-card"><p><strong>{escape(s.client.name)}</strong>{pronouns}</p>'
            f"{markdown(s.client.about)}"
            "<p><em>This person is fictional. Any likeness to a real person is chance.</em>"
            "</p></div>"
            "<p>At each moment, choose what you would say. Every response has something to "
            "offer and something it costs; the feedback says what, and the relational field "
            "shows how the relationship moves.</p>"
        )

    def _story_html(self) -> str:
        node = self.session.node
        label = ""
        if node.movement:
            label = (
                f'<p><span class="irh-tag">{escape(force.movement(node.movement).name)}</span></p>'
            )
        reflect = ""
        if node.reflect:
            reflect = (
                f'<div class="irh-card"><strong>Reflect.</strong> {markdown(node.reflect)}</div>'
            )
        ending = '<p class="irh-tag">Ending</p>' if node.end else ""
        return f'<div class="irh-story">{label}{markdown(node.text)}{reflect}{ending}</div>'

    def _feedback_html(self, step) -> str:
        return (
            '<section class="irh-feedback" aria-label="Feedback on your response">'
            f'<p><span class="irh-tag irh-lens-{escape(step.lens)}">'
            f"{escape(title_case(step.lens))} lens</span> You said: "
            f"<em>{escape(step.say.strip())}</em></p>"
            f"{markdown(step.feedback)}</section>"
        )

    def _debrief_html(self) -> str:
        session, scenario = self.session, self.scenario
        path = "".join(
            f'<li><span class="irh-tag irh-lens-{escape(step.lens)}">'
            f"{escape(title_case(step.lens))}</span> {escape(step.say.strip())}</li>"
            for step in session.history
        )
        reflections = "".join(
            f"<li><strong>{markdown_inline(scenario.nodes[node_id].reflect or '')}</strong>"
            f"<p>{escape(text)}</p></li>"
            for node_id, text in session.reflections.items()
        )
        lenses = [step.lens for step in session.history]
        counts = ", ".join(f"{title_case(lens)} {lenses.count(lens)}" for lens in force.LENSES)
        parts = [
            '<section class="irh-debrief" aria-label="Debrief">',
            "<h4>Debrief</h4>",
            markdown(scenario.debrief),
            "<h4>The path you took</h4>",
            f"<p>Lenses of your responses: {escape(counts)}.</p>",
            f"<ol>{path}</ol>",
            "<h4>The relational field over the session</h4>",
            field_chart(session.field_over_time()),
        ]
        if reflections:
            parts += ["<h4>Your reflections</h4>", f"<ul>{reflections}</ul>"]
        parts.append(
            "<p>"
            + download_link(
                self._markdown_transcript(), f"{scenario.id}-journal.md", "Download your journal"
            )
            + "</p></section>"
        )
        return "".join(parts)

    def _markdown_transcript(self) -> str:
        """This session's path and reflections as Markdown (what the download link holds)."""
        session, scenario = self.session, self.scenario
        lines = [f"# {scenario.title}", "", f"*{_movement_label(scenario.movement)}*", ""]
        lines += ["## The path I took", ""]
        for i, step in enumerate(session.history, start=1):
            lines.append(f"{i}. ({step.lens}) {step.say.strip()}")
        lines += ["", "## My reflections", ""]
        if not session.reflections:
            lines.append("No reflections saved in this session.")
        for node_id, text in session.reflections.items():
            lines += [f"**{(scenario.nodes[node_id].reflect or '').strip()}**", "", text, ""]
        return "\n".join(lines) + "\n"

    # --- state for tests ----------------------------------------------------------------

    @property
    def choice_labels(self) -> list[str]:
        """The labels of the choice buttons now shown."""
        return [b.description for b in self._choice_buttons]

    @property
    def html(self) -> str:
        """All HTML the view shows now, joined (for tests and checks)."""
        return "".join(c.value for c in self.children if isinstance(c, ipw.HTML))
