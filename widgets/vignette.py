"""The vignette view: an ipywidgets app that renders a :class:`~widgets.session.Session`.

The view holds a session and re-renders in one place (:meth:`Vignette._render`)
after every action. Every button has a public method that does the same thing,
so tests and notebooks can drive a vignette without a browser::

    v = Vignette.load("first-contact-voicemail")
    v.start(); v.choose(1); v.advance(); v.reflect("..."); v.rewind(0); v.restart()

Choices are shown in the order the session gives (:meth:`Session.choice_order`),
shuffled per session unless the vignette says ``shuffle: false``; :meth:`Vignette.choose`
always takes the choice's index in the file, whatever its place on screen.
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
from widgets.session import NotTaken, Session, SessionError, Step

__all__ = ["Vignette"]

#: What each tone of an ending means, said in words beside the tone's colour.
TONE_MEANINGS = {
    "hopeful": "the relationship holds, and there is a way on together.",
    "mixed": "something was gained and something was lost on the way here.",
    "costly": "this way through cost the client or the relationship something that matters.",
}


def _movement_label(slug: str) -> str:
    if slug == force.CAPSTONE:
        return "All five movements"
    return force.movement(slug).name


def _close_widget(widget: ipw.DOMWidget) -> None:
    """Close a button or HTML widget together with the layout and style widgets it owns."""
    widget.layout.close()
    widget.style.close()
    widget.close()


def _moved(changes: dict[str, int]) -> str:
    """``{"safety": 1, "risk": -2}`` -> ``"Safety up 1, Risk down 2"``."""
    return ", ".join(
        f"{title_case(name)} {'up' if delta > 0 else 'down'} {abs(delta)}"
        for name, delta in changes.items()
    )


class Vignette(ipw.VBox):
    """A playable vignette: client card, story, choices, feedback, field, reflection, debrief.

    Parameters
    ----------
    scenario : Scenario
        The validated vignette.
    journal : Journal, optional
        Where saved reflections also go. Defaults to :meth:`Journal.default`;
        pass ``False`` to keep reflections in the session only.
    seed : int, optional
        Fixes the order in which choices are shown, for this session and after
        every restart; by default each session (and each restart) draws its own.
    """

    def __init__(
        self,
        scenario: Scenario,
        journal: Journal | None | bool = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.add_class("irh")
        self.add_class("irh-vignette")
        self.scenario = scenario
        self.journal = Journal.default() if journal is None else (journal or None)
        self.seed = seed
        self.session = Session(scenario, seed=seed)
        self.started = False
        self.status = ""
        self._style = ipw.HTML(STYLE)
        self._header = ipw.HTML()
        self._intro = ipw.HTML()
        self._story = ipw.HTML()
        self._feedback = ipw.HTML()
        self._field = ipw.HTML()
        self._debrief = ipw.HTML()
        self._debrief_end = ipw.HTML()
        # The debrief is a box: the choices made, each with its options not taken and a
        # button that goes back to it, sit between its opening and its closing HTML.
        self._debrief_box = ipw.VBox()
        self._debrief_box.add_class("irh-debrief")
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
        # The node and order the choice buttons were made for: they are remade only when
        # either changes (a new node, or a restart whose session shuffles differently).
        self._choices_for: tuple[str, tuple[int, ...]] | None = None
        # The debrief's widgets per choice made (its text, then its way back), and the
        # history they were made for.
        self._moments: list[ipw.DOMWidget] = []
        self._moments_for: tuple[tuple[str, int], ...] | None = None
        self._render()

    @classmethod
    def load(
        cls, ref: str | Path, journal: Journal | None | bool = None, seed: int | None = None
    ) -> Vignette:
        """Open a shipped vignette by id (``"first-contact-voicemail"``) or a YAML file path.

        ``journal`` and ``seed`` are passed on to :class:`Vignette`.
        """
        return cls(load_scenario(find_scenario(ref)), journal=journal, seed=seed)

    # --- actions (the buttons call these) -----------------------------------------------

    def start(self) -> None:
        """Leave the client card and show the first moment."""
        self.started = True
        self.status = ""
        self._render()

    def choose(self, index: int) -> None:
        """Give response ``index`` at the current moment (as clicking its button does).

        ``index`` is the response's place in the vignette file, not on screen.
        """
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

    def rewind(self, step: int) -> None:
        """Go back to the moment of choice ``step`` (0-based), as its debrief button does.

        The field and the hidden values are again what they were at that moment.
        Reflections saved since stay in the session and the journal.
        """

        def back() -> None:
            self.session.rewind(step)
            self.status = (
                f"You are back at choice {step + 1}. Your reflections are kept: a moment "
                "you reach again shows what you wrote."
            )

        self._act(back)

    def restart(self) -> None:
        """Start the vignette again from the client card (saved journal entries stay)."""
        self.session = Session(self.scenario, seed=self.seed)
        self.started = False
        self.status = ""
        self._reflection.value = ""
        self._render()

    def _act(self, action, keep_status: bool = False) -> None:
        """Run an action on the session, then render; a refused one shows why.

        The status is cleared before the action (which may set its own) unless
        ``keep_status``; the reflection box then shows the new moment's saved text.
        """
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
            self._close(self._set_moments(None))
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
        replaced: list[ipw.DOMWidget] = []
        order = session.choice_order()
        if node.choices and self._choices_for != (node.id, tuple(order)):
            replaced = self._choice_buttons
            self._choice_buttons = [self._choice_button(i, node.choices[i].say) for i in order]
            self._choices_for = (node.id, tuple(order))
        elif not node.choices:
            replaced, self._choice_buttons, self._choices_for = self._choice_buttons, [], None
        if node.choices:
            children += self._choice_buttons
        elif node.next is not None:
            children.append(self._continue_button)
        else:
            self._debrief.value = self._debrief_html()
            self._debrief_end.value = self._debrief_end_html()
            replaced += self._set_moments(tuple((s.node, s.choice) for s in session.history))
            self._debrief_box.children = [self._debrief, *self._moments, self._debrief_end]
            children += [self._debrief_box, self._restart_button]
        self.children = children
        if not node.end:
            replaced += self._set_moments(None)
        self._close(replaced)

    def _set_moments(self, history: tuple[tuple[str, int], ...] | None) -> list[ipw.DOMWidget]:
        """Make the debrief's widgets for ``history`` (None: no debrief shown).

        Returns the widgets they replace, to be closed once off the page.
        """
        if history == self._moments_for:
            return []
        replaced = self._moments
        self._moments, self._moments_for = [], history
        if history is None:
            self._debrief_box.children = []
            return replaced
        steps = zip(self.session.options_not_taken(), self.session.history, strict=True)
        for not_taken, step in steps:
            moment = ipw.HTML(self._moment_html(not_taken, step))
            moment.add_class("irh-moment")
            back = self._button(
                f"Go back to this moment (choice {not_taken.step + 1})",
                lambda number=not_taken.step: self.rewind(number),
                "irh-rewind",
            )
            self._moments += [moment, back]
        return replaced

    @staticmethod
    def _close(widgets: list[ipw.DOMWidget]) -> None:
        # Close replaced widgets only once they are off the page. Each one is three live
        # widgets (the widget, its layout and style) that would otherwise stay in the
        # kernel for good, and a click still on its way from a closed button reaches nothing.
        for widget in widgets:
            _close_widget(widget)

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
        ending = ""
        if node.end:
            tone = escape(node.tone or "hopeful")
            ending = (
                f'<p><span class="irh-tag irh-tone-{tone}">Ending: {tone}</span></p>'
            )
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
        """The debrief's opening: how it ended, the debrief text, charts, lenses used."""
        session, scenario = self.session, self.scenario
        tone = session.tone or "hopeful"
        lenses = [step.lens for step in session.history]
        counts = ", ".join(f"{title_case(lens)} {lenses.count(lens)}" for lens in force.LENSES)
        parts = [
            '<section class="irh-debrief-text" aria-label="Debrief">',
            "<h4>Debrief</h4>",
            f'<p class="irh-ending-tone">This ending is <strong>{escape(tone)}</strong>: '
            f"{escape(TONE_MEANINGS.get(tone, ''))}</p>",
            markdown(scenario.debrief),
        ]
        if scenario.hidden:
            parts += [
                "<h4>How the session moved</h4>",
                '<div class="irh-charts"><div class="irh-chart-panel">',
                "<h5>The relational field</h5>",
                field_chart(session.field_over_time()),
                '</div><div class="irh-chart-panel">',
                "<h5>The client's hidden state</h5>",
                "<p>You did not see these while playing; they moved with your responses "
                "and decided where some of them led.</p>",
                field_chart(
                    session.hidden_over_time(),
                    title="The client's hidden state over this session",
                ),
                "</div></div>",
            ]
        else:
            parts += [
                "<h4>The relational field over the session</h4>",
                field_chart(session.field_over_time()),
            ]
        parts += [
            "<h4>The path you took</h4>",
            f"<p>Lenses of your responses: {escape(counts)}.</p>",
            "<p>Under each choice, open the options you did not take to read what they "
            "would have offered, or go back to that moment and try another.</p>",
            "</section>",
        ]
        return "".join(parts)

    def _moment_html(self, not_taken: NotTaken, step: Step) -> str:
        """One choice made: what was said, what moved, and the options not taken."""
        moved = _moved(step.changes) or "nothing in the field"
        if step.hidden_changes:
            moved += f"; hidden: {_moved(step.hidden_changes)}"
        options = "".join(
            f'<li><p><span class="irh-tag irh-lens-{escape(choice.lens)}">'
            f"{escape(title_case(choice.lens))} lens</span> "
            f"<em>{escape(choice.say.strip())}</em></p>{markdown(choice.feedback)}</li>"
            for _index, choice in not_taken.options
        )
        return (
            f"<h5>Choice {not_taken.step + 1}</h5>"
            f'<p><span class="irh-tag irh-lens-{escape(step.lens)}">'
            f"{escape(title_case(step.lens))} lens</span> You said: "
            f"<em>{escape(step.say.strip())}</em></p>"
            f"<p>What moved: {escape(moved)}.</p>"
            '<details class="irh-not-taken">'
            f"<summary>Options you did not take ({len(not_taken.options)})</summary>"
            f"<ul>{options}</ul></details>"
        )

    def _debrief_end_html(self) -> str:
        """The debrief's close: the learner's reflections and the journal download."""
        session, scenario = self.session, self.scenario
        reflections = "".join(
            f"<li><strong>{markdown_inline(scenario.nodes[node_id].reflect or '')}</strong>"
            f"<p>{escape(text)}</p></li>"
            for node_id, text in session.reflections.items()
        )
        parts = []
        if reflections:
            parts += ["<h4>Your reflections</h4>", f"<ul>{reflections}</ul>"]
        parts.append(
            "<p>"
            + download_link(
                self._markdown_transcript(), f"{scenario.id}-journal.md", "Download your journal"
            )
            + "</p>"
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
        """All HTML the view shows now, in page order, joined (for tests and checks)."""

        def walk(box: ipw.Box) -> list[str]:
            found = []
            for child in box.children:
                if isinstance(child, ipw.HTML):
                    found.append(child.value)
                elif isinstance(child, ipw.Box):
                    found += walk(child)
            return found

        return "".join(walk(self))
