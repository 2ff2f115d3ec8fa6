"""One playthrough of a vignette: plain Python state that views render.

A :class:`Session` knows the current node, the relational field and the hidden
client state, the history of choices and the learner's reflections. Every action a
learner can take is a method (:meth:`Session.choose`, :meth:`Session.advance`,
:meth:`Session.reflect`, :meth:`Session.rewind`); an action that is not possible
raises :class:`SessionError` and changes nothing. A session round-trips through
JSON, so it can be saved and resumed; its seed is saved with it, so the order in
which choices are shown (:meth:`Session.choice_order`) is the same after a resume.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import asdict, dataclass
from dataclasses import field as _field
from typing import Any

from widgets.scenario import FIELD_MAX, FIELD_MIN, Choice, Node, Scenario

__all__ = ["NotTaken", "Session", "SessionError", "Step"]

#: The version :meth:`Session.to_dict` writes; :meth:`Session.from_dict` also reads 1.
FORMAT_VERSION = 2
_READABLE_FORMATS = (1, 2)


class SessionError(ValueError):
    """An action that is not possible at this point of the vignette."""


@dataclass(frozen=True)
class Step:
    """One choice made: where, what was said, and the values after it.

    ``choice`` is the choice's index in the file (not its place on screen).
    ``effects`` are the changes the vignette declares, on field and hidden variables;
    ``changes`` (field) and ``hidden_changes`` are the ones that happened once values
    were kept within 0..10. ``field`` and ``hidden`` are the values after the choice.
    """

    node: str
    choice: int
    say: str
    lens: str
    feedback: str
    effects: dict[str, int]
    field: dict[str, int]
    changes: dict[str, int]
    hidden: dict[str, int] = _field(default_factory=dict)
    hidden_changes: dict[str, int] = _field(default_factory=dict)


@dataclass(frozen=True)
class NotTaken:
    """The options a learner passed over at one choice, for the debrief.

    Attributes
    ----------
    step : int
        The index of the choice in the history; ``rewind(step)`` goes back to it.
    node : str
        The choice node.
    chosen : int
        The file index of the option taken.
    options : tuple of (int, Choice)
        Every other option, as (file index, choice), in file order.
    """

    step: int
    node: str
    chosen: int
    options: tuple[tuple[int, Choice], ...]


def _clamp(value: int) -> int:
    return max(FIELD_MIN, min(FIELD_MAX, value))


def _changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def _replay_hidden(scenario: Scenario, steps: list[dict[str, Any]]) -> dict[str, int]:
    """Fill in the hidden values of format-1 steps from their effects; return the last ones."""
    hidden = dict(scenario.hidden)
    for step in steps:
        before = dict(hidden)
        for name, delta in step["effects"].items():
            if name in hidden:
                hidden[name] = _clamp(hidden[name] + int(delta))
        step.setdefault("hidden", dict(hidden))
        step.setdefault("hidden_changes", _changes(before, hidden))
    return hidden


def _new_seed() -> int:
    return secrets.randbits(32)


class Session:
    """One learner's path through a :class:`~widgets.scenario.Scenario`.

    Parameters
    ----------
    scenario : Scenario
        The validated vignette to play.
    seed : int, optional
        Fixes the order in which each node's choices are shown
        (:meth:`choice_order`); a random one when not given. It is saved with the
        session.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise SessionError(f"a seed is a whole number, not {seed!r}")
        self.scenario = scenario
        self._seed = _new_seed() if seed is None else seed
        self._node_id = scenario.start
        self._field = dict(scenario.field)
        self._hidden = dict(scenario.hidden)
        self._history: list[Step] = []
        self._visited: list[str] = [scenario.start]
        self._reflections: dict[str, str] = {}

    # --- reading state ------------------------------------------------------------------

    @property
    def node_id(self) -> str:
        """The id of the current node."""
        return self._node_id

    @property
    def node(self) -> Node:
        """The current node."""
        return self.scenario.nodes[self._node_id]

    @property
    def seed(self) -> int:
        """The seed of this session's choice order."""
        return self._seed

    @property
    def field(self) -> dict[str, int]:
        """The relational field now (a copy), each dimension in 0..10."""
        return dict(self._field)

    @property
    def hidden(self) -> dict[str, int]:
        """The hidden client state now (a copy), each variable in 0..10."""
        return dict(self._hidden)

    @property
    def values(self) -> dict[str, int]:
        """Field and hidden values together, as branch conditions read them (a copy)."""
        return {**self._field, **self._hidden}

    @property
    def history(self) -> list[Step]:
        """The choices made so far, in order (a copy)."""
        return list(self._history)

    @property
    def visited(self) -> list[str]:
        """Every node shown so far, in order, including the current one."""
        return list(self._visited)

    @property
    def reflections(self) -> dict[str, str]:
        """Saved reflections by node id (a copy)."""
        return dict(self._reflections)

    @property
    def finished(self) -> bool:
        """Whether the current node is an ending."""
        return self.node.end

    @property
    def tone(self) -> str | None:
        """The tone of the ending reached (hopeful, mixed or costly); None before the end."""
        return self.node.tone if self.node.end else None

    @property
    def last_step(self) -> Step | None:
        """The most recent choice, if any."""
        return self._history[-1] if self._history else None

    def field_over_time(self) -> list[dict[str, int]]:
        """The field at the start and after each choice (for a chart)."""
        return [dict(self.scenario.field)] + [dict(step.field) for step in self._history]

    def hidden_over_time(self) -> list[dict[str, int]]:
        """The hidden values at the start and after each choice (for the debrief's chart).

        A list of empty dicts when the vignette has no hidden variables.
        """
        return [dict(self.scenario.hidden)] + [dict(step.hidden) for step in self._history]

    def choice_order(self, node_id: str | None = None) -> list[int]:
        """The order in which to show a node's choices, as file indices.

        The order is random but fixed by the session's seed and the node, so it is
        the same each time the node is shown, after a rewind and after a resume. A
        node with ``shuffle: false`` keeps its file order. :meth:`choose` still
        takes file indices.

        Parameters
        ----------
        node_id : str, optional
            The node; the current one by default.

        Returns
        -------
        list of int
            A permutation of ``range(len(choices))``; empty for a node without choices.
        """
        node = self.node if node_id is None else self.scenario.nodes[node_id]
        order = list(range(len(node.choices)))
        if node.shuffle and len(order) > 1:
            # A string seed is hashed with SHA-512, so the order is the same in every process.
            random.Random(f"{self._seed}:{node.id}").shuffle(order)
        return order

    def options_not_taken(self) -> list[NotTaken]:
        """For each choice made, in order, the options the learner did not take."""
        found = []
        for number, step in enumerate(self._history):
            choices = self.scenario.nodes[step.node].choices
            others = tuple((i, c) for i, c in enumerate(choices) if i != step.choice)
            found.append(NotTaken(number, step.node, step.choice, others))
        return found

    # --- acting -------------------------------------------------------------------------

    def choose(self, index: int) -> Step:
        """Give the practitioner response number ``index`` at the current node.

        Returns
        -------
        Step
            The step taken, with its feedback and the field after it.

        Raises
        ------
        SessionError
            If the vignette has ended, the node offers no choices, or ``index`` is
            out of range. The session is unchanged.
        """
        node = self.node
        if self.finished:
            raise SessionError("the vignette has ended; restart to play again")
        if not node.choices:
            raise SessionError(f"node '{node.id}' offers no choices; advance instead")
        if isinstance(index, bool) or not isinstance(index, int):
            raise SessionError(f"a choice is a whole number, not {index!r}")
        if not 0 <= index < len(node.choices):
            raise SessionError(
                f"choice {index} is out of range at node '{node.id}' (0..{len(node.choices) - 1})"
            )
        choice = node.choices[index]
        field, hidden = dict(self._field), dict(self._hidden)
        for name, delta in choice.effects.items():
            values = field if name in field else hidden
            values[name] = _clamp(values[name] + delta)
        # Branches read the values after the choice's effects.
        target = choice.target({**field, **hidden})
        step = Step(
            node=node.id,
            choice=index,
            say=choice.say,
            lens=choice.lens,
            feedback=choice.feedback,
            effects=dict(choice.effects),
            field=dict(field),
            changes=_changes(self._field, field),
            hidden=dict(hidden),
            hidden_changes=_changes(self._hidden, hidden),
        )
        self._field, self._hidden = field, hidden
        self._history.append(step)
        self._move(target)
        return step

    def advance(self) -> None:
        """Go on from a node that has no choices (its ``next``).

        Raises
        ------
        SessionError
            At a choice node or an ending. The session is unchanged.
        """
        node = self.node
        if self.finished:
            raise SessionError("the vignette has ended; restart to play again")
        if node.next is None:
            raise SessionError(f"node '{node.id}' asks for a choice; choose one to go on")
        self._move(node.target(self.values))

    def rewind(self, step: int) -> None:
        """Go back to the moment before choice number ``step`` (0-based) of the history.

        The session is then at that choice's node, with the field and hidden values
        it had then; the history from ``step`` on is dropped. Reflections are kept,
        all of them: they are the learner's writing, not part of the path (a view
        may already have saved them to the journal), and a node shown again offers
        its saved reflection for editing. Rewinding works after an ending too.

        Raises
        ------
        SessionError
            If ``step`` is not the index of a choice made. The session is unchanged.
        """
        if isinstance(step, bool) or not isinstance(step, int):
            raise SessionError(f"a step is a whole number, not {step!r}")
        if not 0 <= step < len(self._history):
            if not self._history:
                raise SessionError("no choice has been made yet; there is nothing to go back to")
            raise SessionError(
                f"step {step} is out of range (0..{len(self._history) - 1}, one per choice made)"
            )
        position = self._step_positions()[step]
        before = self._history[step - 1] if step else None
        self._field = dict(before.field) if before else dict(self.scenario.field)
        self._hidden = dict(before.hidden) if before else dict(self.scenario.hidden)
        self._history = self._history[:step]
        self._visited = self._visited[: position + 1]
        self._node_id = self._visited[-1]

    def _step_positions(self) -> list[int]:
        """Where in ``visited`` each step's node is: every choice node left is one step."""
        nodes = self.scenario.nodes
        return [i for i, n in enumerate(self._visited[:-1]) if nodes[n].choices]

    def reflect(self, text: str) -> None:
        """Save a reflection at the current node (saving again replaces it).

        Raises
        ------
        SessionError
            If the node asks for no reflection or the text is empty.
        """
        node = self.node
        if node.reflect is None:
            raise SessionError(f"node '{node.id}' asks for no reflection")
        if not isinstance(text, str) or not text.strip():
            raise SessionError("a reflection cannot be empty")
        self._reflections[node.id] = text.strip()

    def _move(self, node_id: str) -> None:
        self._node_id = node_id
        self._visited.append(node_id)

    # --- saving -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the session as JSON-ready data."""
        return {
            "format": FORMAT_VERSION,
            "scenario": self.scenario.id,
            "seed": self._seed,
            "node": self._node_id,
            "field": dict(self._field),
            "hidden": dict(self._hidden),
            "history": [asdict(step) for step in self._history],
            "visited": list(self._visited),
            "reflections": dict(self._reflections),
        }

    def to_json(self) -> str:
        """Return the session as a JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, scenario: Scenario, data: dict[str, Any]) -> Session:
        """Rebuild a session of ``scenario`` from :meth:`to_dict` data.

        Data of format 1 (saved before hidden variables and seeds) is read too: its
        hidden values are replayed from the recorded effects, and its seed is 0.

        Raises
        ------
        SessionError
            If the data belongs to another vignette, names nodes or variables the
            vignette does not have, or its history does not match its path.
        """
        try:
            version = data.get("format")
            if version not in _READABLE_FORMATS:
                raise SessionError(f"unknown session format {version!r}")
            if data["scenario"] != scenario.id:
                raise SessionError(
                    f"this session belongs to vignette '{data['scenario']}', not '{scenario.id}'"
                )
            seed = data.get("seed", 0)
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise SessionError(f"not a saved session: the seed {seed!r} is not a whole number")
            session = cls(scenario, seed=seed)
            nodes = [data["node"], *data["visited"], *data["reflections"]]
            nodes += [step["node"] for step in data["history"]]
            unknown = sorted({n for n in nodes if n not in scenario.nodes})
            if unknown:
                raise SessionError(f"unknown node(s) in saved session: {', '.join(unknown)}")
            if set(data["field"]) != set(scenario.field):
                raise SessionError("the saved field does not match the vignette's dimensions")
            steps = [dict(step) for step in data["history"]]
            if version == 1:
                hidden = _replay_hidden(scenario, steps)
            else:
                hidden = data["hidden"]
            if set(hidden) != set(scenario.hidden):
                raise SessionError("the saved hidden values do not match the vignette's")
            session._node_id = data["node"]
            session._field = {k: _clamp(int(v)) for k, v in data["field"].items()}
            session._hidden = {k: _clamp(int(v)) for k, v in hidden.items()}
            session._history = [Step(**step) for step in steps]
            session._visited = list(data["visited"])
            session._reflections = {k: str(v) for k, v in data["reflections"].items()}
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if isinstance(exc, SessionError):
                raise
            raise SessionError(f"not a saved session: {exc!r}") from None
        chosen = [session._visited[i] for i in session._step_positions()]
        if (
            not session._visited
            or session._visited[-1] != session._node_id
            or chosen != [step.node for step in session._history]
        ):
            raise SessionError("not a saved session: its history does not match its path")
        return session

    @classmethod
    def from_json(cls, scenario: Scenario, text: str) -> Session:
        """Rebuild a session from :meth:`to_json` text (errors as :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SessionError(f"not a saved session: {exc}") from None
        if not isinstance(data, dict):
            raise SessionError("not a saved session: expected a JSON object")
        return cls.from_dict(scenario, data)
