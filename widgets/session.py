"""One playthrough of a vignette: plain Python state that views render.

A :class:`Session` knows the current node, the relational field, the history of
choices and the learner's reflections. Every action a learner can take is a
method (:meth:`Session.choose`, :meth:`Session.advance`, :meth:`Session.reflect`);
an action that is not possible raises :class:`SessionError` and changes nothing.
A session round-trips through JSON, so it can be saved and resumed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from widgets.scenario import FIELD_MAX, FIELD_MIN, Node, Scenario

__all__ = ["Session", "SessionError", "Step"]

FORMAT_VERSION = 1


class SessionError(ValueError):
    """An action that is not possible at this point of the vignette."""


@dataclass(frozen=True)
class Step:
    """One choice made: where, what was said, and the field after it.

    ``effects`` are the changes the vignette declares; ``changes`` are the ones that
    happened once values were kept within 0..10.
    """

    node: str
    choice: int
    say: str
    lens: str
    feedback: str
    effects: dict[str, int]
    field: dict[str, int]
    changes: dict[str, int]


def _clamp(value: int) -> int:
    return max(FIELD_MIN, min(FIELD_MAX, value))


class Session:
    """One learner's path through a :class:`~widgets.scenario.Scenario`.

    Parameters
    ----------
    scenario : Scenario
        The validated vignette to play.
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._node_id = scenario.start
        self._field = dict(scenario.field)
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
    def field(self) -> dict[str, int]:
        """The relational field now (a copy), each dimension in 0..10."""
        return dict(self._field)

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
    def last_step(self) -> Step | None:
        """The most recent choice, if any."""
        return self._history[-1] if self._history else None

    def field_over_time(self) -> list[dict[str, int]]:
        """The field at the start and after each choice (for a chart)."""
        return [dict(self.scenario.field)] + [dict(step.field) for step in self._history]

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
        before = dict(self._field)
        for dim, delta in choice.effects.items():
            self._field[dim] = _clamp(self._field[dim] + delta)
        step = Step(
            node=node.id,
            choice=index,
            say=choice.say,
            lens=choice.lens,
            feedback=choice.feedback,
            effects=dict(choice.effects),
            field=dict(self._field),
            changes={d: self._field[d] - before[d] for d in before if self._field[d] != before[d]},
        )
        self._history.append(step)
        self._move(choice.next)
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
        self._move(node.next)

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
            "node": self._node_id,
            "field": dict(self._field),
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

        Raises
        ------
        SessionError
            If the data belongs to another vignette or names nodes or dimensions
            the vignette does not have.
        """
        try:
            if data.get("format") != FORMAT_VERSION:
                raise SessionError(f"unknown session format {data.get('format')!r}")
            if data["scenario"] != scenario.id:
                raise SessionError(
                    f"this session belongs to vignette '{data['scenario']}', not '{scenario.id}'"
                )
            session = cls(scenario)
            nodes = [data["node"], *data["visited"], *data["reflections"]]
            nodes += [step["node"] for step in data["history"]]
            unknown = sorted({n for n in nodes if n not in scenario.nodes})
            if unknown:
                raise SessionError(f"unknown node(s) in saved session: {', '.join(unknown)}")
            if set(data["field"]) != set(scenario.field):
                raise SessionError("the saved field does not match the vignette's dimensions")
            session._node_id = data["node"]
            session._field = {k: _clamp(int(v)) for k, v in data["field"].items()}
            session._history = [Step(**step) for step in data["history"]]
            session._visited = list(data["visited"])
            session._reflections = {k: str(v) for k, v in data["reflections"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise SessionError(f"not a saved session: {exc!r}") from None
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
