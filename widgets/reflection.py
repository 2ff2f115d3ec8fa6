"""Reflection prompts in course notebooks, and the learner's whole journal.

``Reflection`` shows one prompt with a text box and a save button; saved text
goes to the learner's :class:`~widgets.journal.Journal`. ``JournalView`` shows
the journal grouped by movement, with a Markdown download link.
"""

from __future__ import annotations

import ipywidgets as ipw

from widgets import force
from widgets.html import STYLE, download_link, escape, markdown, markdown_inline
from widgets.journal import Journal, JournalError

__all__ = ["JournalView", "Reflection"]

NOTEBOOK_SOURCE = "course"


class Reflection(ipw.VBox):
    """A reflection prompt whose answer is saved to the learner's journal.

    Parameters
    ----------
    prompt : str
        The question, in Markdown.
    movement : str, optional
        The FORCE movement slug it belongs to; None for general prompts.
    key : str
        A stable identifier of the prompt, unique in the course (e.g. ``"03-own-practice"``).
    journal : Journal, optional
        Defaults to :meth:`Journal.default`.
    """

    def __init__(
        self,
        prompt: str,
        movement: str | None = None,
        key: str = "",
        journal: Journal | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if movement is not None:
            force.movement(movement)  # an unknown slug fails here, at authoring time
        if not key:
            raise ValueError("a Reflection needs a stable key, e.g. key='03-own-practice'")
        self.add_class("irh")
        self.add_class("irh-reflection-prompt")
        self.prompt = prompt
        self.movement = movement
        self.key = key
        self.journal = journal if journal is not None else Journal.default()
        self.status = ""
        self._prompt = ipw.HTML(
            f'<div class="irh-card"><strong>Reflect.</strong> {markdown(prompt)}</div>'
        )
        self._text = ipw.Textarea(
            placeholder="Write your reflection here. It is saved to your journal.",
            layout=ipw.Layout(width="100%"),
            # Sync on change (blur), not per keystroke: a Save pressed right after typing
            # then never races the last keystrokes, and typing costs no messages.
            continuous_update=False,
        )
        self._save = ipw.Button(description="Save reflection", tooltip="Save reflection")
        self._save.add_class("irh-save")
        self._save.on_click(lambda _b: self.save(self._text.value))
        self._status = ipw.HTML()
        try:
            earlier = self.journal.find(NOTEBOOK_SOURCE, key)
        except JournalError as exc:
            earlier = None
            self.status = str(exc)
        if earlier is not None:
            self._text.value = earlier.text
            self.status = f"Your saved reflection from {earlier.saved} is shown."
        self.children = [ipw.HTML(STYLE), self._prompt, self._text, self._save, self._status]
        self._render()

    def save(self, text: str) -> None:
        """Save ``text`` as the answer to this prompt (as the button does)."""
        self._text.value = text
        try:
            self.journal.save(NOTEBOOK_SOURCE, self.key, self.prompt, text, self.movement)
        except ValueError as exc:
            self.status = f"Not saved: {exc}."
        except JournalError as exc:
            self.status = f"Not saved: {exc}"
        else:
            self.status = "Saved to your journal."
        self._render()

    def _render(self) -> None:
        self._status.value = f'<p class="irh-status" role="status">{escape(self.status)}</p>'


class JournalView(ipw.VBox):
    """The learner's journal, grouped by movement, with a download link.

    Parameters
    ----------
    journal : Journal, optional
        Defaults to :meth:`Journal.default`.
    """

    def __init__(self, journal: Journal | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("irh")
        self.add_class("irh-journal")
        self.journal = journal if journal is not None else Journal.default()
        self._body = ipw.HTML()
        self._refresh = ipw.Button(description="Refresh journal", tooltip="Refresh journal")
        self._refresh.on_click(lambda _b: self.refresh())
        self.children = [ipw.HTML(STYLE), self._refresh, self._body]
        self.refresh()

    def refresh(self) -> None:
        """Read the journal again and show it."""
        try:
            entries = self.journal.entries()
        except JournalError as exc:
            self._body.value = f'<p class="irh-error" role="alert">{escape(str(exc))}</p>'
            return
        if not entries:
            self._body.value = (
                "<p>Your journal is empty. Reflections you save in the vignettes and "
                "course pages appear here.</p>"
            )
            return
        groups = [(m.slug, m.name) for m in force.MOVEMENTS] + [(None, "Across the course")]
        parts = [f"<p>Kept in: {escape(self.journal.where)}</p>"]
        for slug, name in groups:
            chosen = [e for e in entries if e.movement == slug]
            if not chosen:
                continue
            parts.append(f"<h4>{escape(name)}</h4><ul>")
            for entry in chosen:
                parts.append(
                    f"<li><strong>{markdown_inline(entry.prompt)}</strong>"
                    f"<p>{escape(entry.text)}</p>"
                    f"<p><small>{escape(entry.source)}, {escape(entry.saved)}</small></p></li>"
                )
            parts.append("</ul>")
        markdown_text = self.journal.to_markdown(entries)
        parts.append(
            "<p>"
            + download_link(markdown_text, "irh-journal.md", "Download your journal (Markdown)")
            + "</p>"
        )
        self._body.value = "".join(parts)

    @property
    def html(self) -> str:
        """The HTML shown now (for tests)."""
        return self._body.value
