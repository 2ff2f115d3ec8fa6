"""Lens sorting: read a practitioner's statement, name the lens it speaks from.

The exercise has two layers, as everywhere in this package:

* :class:`LensSort` is the plain-Python model (statements, answers, score). It knows
  nothing of widgets, so tests call :meth:`LensSort.answer` directly.
* :class:`LensSortView` is an ipywidgets view over one model. Each button calls a public
  method (:meth:`LensSortView.choose`, :meth:`LensSortView.next`, ...) that tests can call
  in the same way as ``Button.click()``.

The statements live in ``widgets/data/lens_statements.yaml`` (content is data).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from widgets.datafile import load_data_file
from widgets.force import LENSES, movement, slugs
from widgets.html import STYLE, markdown

__all__ = [
    "LensSort",
    "LensSortView",
    "Statement",
    "Verdict",
    "load_lens_sort",
    "validate_data",
]

#: The packaged statements used when no path is given.
DEFAULT_DATA = "lens_statements.yaml"


@dataclass(frozen=True)
class Statement:
    """One practitioner statement to sort.

    Parameters
    ----------
    id : str
        Stable slug, unique within the exercise.
    text : str
        What the practitioner says (plain text).
    lens : str
        The lens the statement fits best, one of :data:`widgets.force.LENSES`.
    feedback : str
        Markdown explaining the best fit, what the statement gains and what it loses.
    also : str or None
        A second lens a careful reader could reasonably choose, if any.
    movement : str or None
        Slug of the FORCE movement the statement belongs to, if any.
    """

    id: str
    text: str
    lens: str
    feedback: str
    also: str | None = None
    movement: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of sorting one statement.

    Parameters
    ----------
    statement : Statement
        The statement that was sorted.
    chosen : str
        The lens the learner chose.
    """

    statement: Statement
    chosen: str

    @property
    def match(self) -> str:
        """``"best"`` (best fit), ``"also"`` (defensible second reading) or ``"other"``."""
        if self.chosen == self.statement.lens:
            return "best"
        if self.chosen == self.statement.also:
            return "also"
        return "other"

    @property
    def headline(self) -> str:
        """One plain sentence saying how the choice compares with the best fit."""
        best = self.statement.lens
        if self.match == "best":
            return f"You chose {self.chosen}: that is the best fit."
        if self.match == "also":
            return (
                f"You chose {self.chosen}: a defensible reading. The best fit is {best}; "
                "the feedback says why both are reasonable."
            )
        return f"You chose {self.chosen}. The best fit is {best}."


def validate_data(data: Any) -> list[str]:
    """Check the structure of lens-sort data loaded from YAML.

    Parameters
    ----------
    data : object
        The parsed YAML document.

    Returns
    -------
    list of str
        One message per problem; empty when the data is valid.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["the document must be a mapping with keys 'lenses' and 'statements'"]
    lenses = data.get("lenses")
    if not isinstance(lenses, dict) or set(lenses) != set(LENSES):
        problems.append(f"'lenses' must describe exactly these lenses: {', '.join(LENSES)}")
    else:
        for name, text in lenses.items():
            if not isinstance(text, str) or not text.strip():
                problems.append(f"lens {name!r} needs a description")
    statements = data.get("statements")
    if not isinstance(statements, list) or not statements:
        problems.append("'statements' must be a non-empty list")
        return problems
    seen: set[str] = set()
    for n, item in enumerate(statements, start=1):
        where = f"statement {n}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        sid = item.get("id")
        if not isinstance(sid, str) or not sid:
            problems.append(f"{where}: missing 'id'")
        elif sid in seen:
            problems.append(f"{where}: duplicate id {sid!r}")
        else:
            seen.add(sid)
            where = f"statement {n} ({sid})"
        unknown = set(item) - {"id", "text", "lens", "also", "feedback", "movement"}
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        for key in ("text", "feedback"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(f"{where}: missing {key!r}")
        if item.get("lens") not in LENSES:
            problems.append(f"{where}: 'lens' must be one of {', '.join(LENSES)}")
        also = item.get("also")
        if also is not None and (also not in LENSES or also == item.get("lens")):
            problems.append(f"{where}: 'also' must be a different lens from {', '.join(LENSES)}")
        mslug = item.get("movement")
        if mslug is not None and mslug not in slugs():
            problems.append(f"{where}: unknown movement {mslug!r}")
    return problems


class LensSort:
    """The lens-sorting exercise: statements, the learner's answers and the score.

    Parameters
    ----------
    statements : sequence of Statement
        The statements, in the order they are shown.
    lens_descriptions : dict of str to str
        A short description of each lens, keyed by lens name.
    """

    def __init__(self, statements: list[Statement], lens_descriptions: dict[str, str]) -> None:
        if not statements:
            raise ValueError("a lens sort needs at least one statement")
        self.statements: tuple[Statement, ...] = tuple(statements)
        self.lens_descriptions = dict(lens_descriptions)
        self._answers: dict[int, str] = {}

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> LensSort:
        """Load statements from a YAML file (the packaged file by default).

        Raises
        ------
        ValueError
            If the file does not follow the expected structure; the message lists every problem.
        """
        data = load_data_file(path, DEFAULT_DATA, validate_data)
        statements = [
            Statement(
                id=item["id"],
                text=" ".join(item["text"].split()),
                lens=item["lens"],
                feedback=item["feedback"].strip(),
                also=item.get("also"),
                movement=item.get("movement"),
            )
            for item in data["statements"]
        ]
        return cls(statements, {k: " ".join(v.split()) for k, v in data["lenses"].items()})

    @property
    def total(self) -> int:
        """Number of statements."""
        return len(self.statements)

    @property
    def answered(self) -> int:
        """Number of statements the learner has sorted."""
        return len(self._answers)

    @property
    def score(self) -> int:
        """Number of answers that match the best-fit lens."""
        return sum(1 for v in self.verdicts() if v.match == "best")

    @property
    def defensible(self) -> int:
        """Number of answers that match a reasonable second lens rather than the best fit."""
        return sum(1 for v in self.verdicts() if v.match == "also")

    @property
    def finished(self) -> bool:
        """Whether every statement has an answer."""
        return self.answered == self.total

    def answer(self, index: int, lens: str) -> Verdict:
        """Sort statement ``index`` under ``lens``; a later answer replaces an earlier one.

        Raises
        ------
        IndexError
            If there is no statement at ``index``.
        ValueError
            If ``lens`` is not one of :data:`widgets.force.LENSES`.
        """
        if not 0 <= index < self.total:
            raise IndexError(f"no statement {index}; there are {self.total}")
        if lens not in LENSES:
            raise ValueError(f"unknown lens {lens!r}; expected one of {', '.join(LENSES)}")
        self._answers[index] = lens
        return Verdict(self.statements[index], lens)

    def verdict(self, index: int) -> Verdict | None:
        """Return the verdict for statement ``index``, or None if it is not answered yet."""
        lens = self._answers.get(index)
        return None if lens is None else Verdict(self.statements[index], lens)

    def verdicts(self) -> list[Verdict]:
        """Return the verdicts of the answered statements, in statement order."""
        return [Verdict(self.statements[i], lens) for i, lens in sorted(self._answers.items())]

    def score_text(self) -> str:
        """Summarise the running score in one plain sentence."""
        if not self.answered:
            return f"0 of {self.total} sorted so far."
        text = f"{self.answered} of {self.total} sorted: {self.score} matched the best fit"
        if self.defensible:
            text += f", {self.defensible} more a defensible second reading"
        return text + "."

    def reset(self) -> None:
        """Forget every answer."""
        self._answers.clear()


def load_lens_sort(path: str | Path | None = None) -> LensSort:
    """Return a :class:`LensSort` loaded from ``path`` (the packaged statements by default)."""
    return LensSort.from_file(path)


# ---------------------------------------------------------------------------------------------
# View (the only part of this module that touches ipywidgets)

_CSS = """
<style>
.irh-lens .irh-statement {font-size: 1.1em; border-left: 4px solid #4b5563;
  margin: 0.4em 0; padding: 0.4em 0.9em; background: #f9fafb; color: #111827;}
.irh-lens .irh-meta {color: #4b5563; margin: 0.3em 0;}
.irh-lens .irh-feedback p {margin: 0.4em 0;}
.irh-lens .irh-best {color: #065f46; font-weight: bold;}
.irh-lens .irh-also {color: #1e40af; font-weight: bold;}
.irh-lens .irh-other {color: #92400e; font-weight: bold;}
.irh-lens dl.irh-lenses dt {font-weight: bold; margin-top: 0.3em;}
.irh-lens dl.irh-lenses dd {margin: 0 0 0 1.2em;}
</style>
"""


class LensSortView:
    """An ipywidgets view of a :class:`LensSort`, one statement at a time.

    Parameters
    ----------
    model : LensSort, optional
        The exercise to show; the packaged statements by default.

    Notes
    -----
    Every button forwards to a public method: :meth:`choose`, :meth:`next`,
    :meth:`previous` and :meth:`reset`. The widget tree is :attr:`widget`; as the last
    expression of a cell the view displays itself as that tree.
    """

    def __init__(self, model: LensSort | None = None) -> None:
        import ipywidgets as w

        self.model = model if model is not None else LensSort.from_file()
        self.index = 0
        self.intro = w.HTML(self._intro_html())
        self.position = w.HTML()
        self.statement = w.HTML()
        self.lens_buttons: dict[str, Any] = {}
        for lens in LENSES:
            button = w.Button(description=lens.capitalize(), layout=w.Layout(width="auto"))
            button.on_click(lambda _b, lens=lens: self.choose(lens))
            self.lens_buttons[lens] = button
        self.feedback = w.HTML()
        self.previous_button = w.Button(
            description="Previous", icon="arrow-left", tooltip="Show the previous statement"
        )
        self.next_button = w.Button(
            description="Next", icon="arrow-right", tooltip="Show the next statement"
        )
        self.reset_button = w.Button(
            description="Start again", icon="refresh", tooltip="Clear all your answers"
        )
        self.previous_button.on_click(lambda _b: self.previous())
        self.next_button.on_click(lambda _b: self.next())
        self.reset_button.on_click(lambda _b: self.reset())
        self.score = w.HTML()
        self.widget = w.VBox(
            [
                self.intro,
                self.position,
                self.statement,
                w.HBox(list(self.lens_buttons.values())),
                self.feedback,
                w.HBox([self.previous_button, self.next_button, self.reset_button]),
                self.score,
            ]
        )
        self.widget.add_class("irh")
        self.widget.add_class("irh-lens")
        self._render()

    # -- public actions (what the buttons do) ---------------------------------------------

    def choose(self, lens: str) -> Verdict:
        """Sort the statement on screen under ``lens`` and show the feedback."""
        verdict = self.model.answer(self.index, lens)
        self._render()
        return verdict

    def next(self) -> None:
        """Show the next statement (does nothing on the last one)."""
        self.go_to(self.index + 1)

    def previous(self) -> None:
        """Show the previous statement (does nothing on the first one)."""
        self.go_to(self.index - 1)

    def go_to(self, index: int) -> None:
        """Show statement ``index``, clamped to the available statements."""
        self.index = max(0, min(index, self.model.total - 1))
        self._render()

    def reset(self) -> None:
        """Clear every answer and return to the first statement."""
        self.model.reset()
        self.index = 0
        self._render()

    # -- rendering ----------------------------------------------------------------------------

    def _intro_html(self) -> str:
        items = "".join(
            f"<dt>{html.escape(lens.capitalize())} lens</dt>"
            f"<dd>{html.escape(self.model.lens_descriptions.get(lens, ''))}</dd>"
            for lens in LENSES
        )
        return f'{STYLE}{_CSS}<dl class="irh-lenses">{items}</dl>'

    def _render(self) -> None:
        stmt = self.model.statements[self.index]
        where = f"Statement {self.index + 1} of {self.model.total}"
        if stmt.movement:
            where += f" · movement: {movement(stmt.movement).name}"
        self.position.value = f'<p class="irh-meta">{html.escape(where)}</p>'
        self.statement.value = (
            f'<blockquote class="irh-statement">{html.escape(stmt.text)}</blockquote>'
        )
        verdict = self.model.verdict(self.index)
        for lens, button in self.lens_buttons.items():
            chosen = verdict is not None and verdict.chosen == lens
            button.button_style = "info" if chosen else ""
            button.icon = "check" if chosen else ""
            state = " (your choice)" if chosen else ""
            button.tooltip = f"Sort statement {self.index + 1} under the {lens} lens{state}"
        if verdict is None:
            self.feedback.value = (
                '<p class="irh-meta">Which lens does this statement speak from? '
                "Choose one to see the feedback.</p>"
            )
        else:
            self.feedback.value = (
                '<div class="irh-feedback" role="status" aria-live="polite">'
                f'<p class="irh-{verdict.match}">{html.escape(verdict.headline)}</p>'
                f"{markdown(stmt.feedback)}</div>"
            )
        self.previous_button.disabled = self.index == 0
        self.next_button.disabled = self.index == self.model.total - 1
        score = html.escape(self.model.score_text())
        if self.model.finished:
            score += (
                " Where your reading and the key differ is worth a second look: "
                "the difference often shows which part of a statement you listened to."
            )
        self.score.value = f'<p class="irh-meta" role="status">{score}</p>'

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the widget tree (used by Jupyter and Voila)."""
        return self.widget._repr_mimebundle_(**kwargs)
