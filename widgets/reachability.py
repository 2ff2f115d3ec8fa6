"""The states play can reach in a vignette, and what they say about its branches.

A *state* is a node together with the values of the variables that branch
conditions read. Starting from ``start``, :func:`explore` applies every choice's
effects (kept within 0..10) and follows the branch each state takes, until no new
state turns up or a bound on the number of states is reached. From the states it
finds, it tells which conditional branches are never taken, which nodes play never
reaches, and which reachable states have no way to an ending.

Only variables that some condition reads are part of a state: a variable no
condition reads cannot change where play goes, and each value is kept within
0..10 on its own, so leaving such variables out changes none of the answers while
keeping a version 1 vignette (no conditions) at one state per node.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from widgets.scenario import _COMPARE, FIELD_MAX, FIELD_MIN, Next, Scenario

__all__ = ["MAX_STATES", "BranchRef", "DeadEnd", "Exploration", "explore"]

#: The default bound on the number of states :func:`explore` visits.
MAX_STATES = 200_000


@dataclass(frozen=True)
class BranchRef:
    """Where a branch is: its node, its choice (None for the node's own ``next``), its index."""

    node: str
    choice: int | None
    branch: int

    @property
    def path(self) -> tuple[str | int, ...]:
        """The branch's place in the file, as the validator's line table keys it."""
        if self.choice is None:
            return ("nodes", self.node, "next", self.branch)
        return ("nodes", self.node, "choices", self.choice, "next", self.branch)


@dataclass(frozen=True)
class DeadEnd:
    """Reachable states at one node from which no ending can be reached.

    Attributes
    ----------
    node : str
        The node.
    states : int
        How many such states the node has.
    values : Mapping[str, int]
        The values (of the variables conditions read) of the first one found.
    path : tuple of int
        The choices, as file-order indices, that lead from ``start`` to that state
        (what ``python -m widgets play --choose`` takes).
    """

    node: str
    states: int
    values: Mapping[str, int]
    path: tuple[int, ...]


@dataclass(frozen=True)
class Exploration:
    """What :func:`explore` found.

    Attributes
    ----------
    states : int
        The states visited.
    complete : bool
        False if the bound was reached first; then ``never_taken``, ``never_true``
        and ``dead_ends`` are empty, since any of them could change further on.
    max_states : int
        The bound used.
    tracked : tuple of str
        The variables that are part of a state (those some condition reads).
    reached : frozenset of str
        The nodes of the states visited.
    never_taken : tuple of BranchRef
        Conditional branches at reached nodes that no reachable state takes.
    never_true : frozenset of BranchRef
        Those of ``never_taken`` whose condition holds in no state where they are
        tried (the others are always preceded by an earlier branch that holds).
    dead_ends : tuple of DeadEnd
        Per node, the reachable states with no way to an ending.
    """

    states: int
    complete: bool
    max_states: int
    tracked: tuple[str, ...]
    reached: frozenset[str]
    never_taken: tuple[BranchRef, ...]
    never_true: frozenset[BranchRef]
    dead_ends: tuple[DeadEnd, ...]


# A compiled branch list: (conditions as (variable index, compare, value), target index).
_Compiled = list[tuple[tuple[tuple[int, Callable[[int, int], bool], int], ...], int]]


def _tracked(scenario: Scenario) -> tuple[str, ...]:
    read: set[str] = set()
    for node in scenario.nodes.values():
        nexts = [node.next] + [c.next for c in node.choices]
        for next_ in nexts:
            if isinstance(next_, tuple):
                read.update(c.variable for b in next_ for c in b.conditions)
    return tuple(v for v in scenario.variables if v in read)


def explore(scenario: Scenario, max_states: int = MAX_STATES) -> Exploration:
    """Visit the (node, values) states reachable from the start of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A vignette that passed the graph checks (every target exists).
    max_states : int
        Stop after this many states; the result then says ``complete=False``.

    Returns
    -------
    Exploration
    """
    tracked = _tracked(scenario)
    index = {name: i for i, name in enumerate(tracked)}
    names = list(scenario.nodes)
    number = {node_id: i for i, node_id in enumerate(names)}

    def compile_next(next_: Next) -> int | _Compiled:
        if isinstance(next_, str):
            return number[next_]
        return [
            (
                tuple((index[c.variable], _COMPARE[c.op], c.value) for c in b.conditions),
                number[b.go],
            )
            for b in next_
        ]

    # Per node: its moves as (label, effects on tracked variables, compiled next, key),
    # label being the choice index or -1 for the node's own next.
    moves: list[list[tuple[int, tuple[tuple[int, int], ...], int | _Compiled, int | None]]] = []
    for node_id in names:
        node = scenario.nodes[node_id]
        here = []
        if node.next is not None:
            here.append((-1, (), compile_next(node.next), None))
        for i, choice in enumerate(node.choices):
            effects = tuple((index[v], delta) for v, delta in choice.effects.items() if v in index)
            here.append((i, effects, compile_next(choice.next), i))
        moves.append(here)
    ending = [scenario.nodes[n].end for n in names]
    # Per branch list (by node and choice): which branches held, which were taken.
    held: dict[tuple[int, int | None], list[bool]] = {}
    taken: dict[tuple[int, int | None], list[bool]] = {}

    start_values = scenario.start_values()
    start = (number[scenario.start], tuple(start_values[v] for v in tracked))
    ids: dict[tuple[int, tuple[int, ...]], int] = {start: 0}
    states = [start]
    parent: list[tuple[int, int]] = [(-1, -1)]
    successors: list[tuple[int, ...]] = []
    complete = True
    low, high = FIELD_MIN, FIELD_MAX

    position = 0
    while position < len(states):
        node, values = states[position]
        found: list[int] = []
        if not ending[node]:
            for label, effects, next_, key in moves[node]:
                if effects:
                    changed = list(values)
                    for i, delta in effects:
                        value = changed[i] + delta
                        changed[i] = low if value < low else high if value > high else value
                    after = tuple(changed)
                else:
                    after = values
                if isinstance(next_, int):
                    target = next_
                else:
                    target = -1
                    mark = (node, key)
                    if mark not in held:
                        held[mark] = [False] * len(next_)
                        taken[mark] = [False] * len(next_)
                    seen_held, seen_taken = held[mark], taken[mark]
                    for b, (conditions, go) in enumerate(next_):
                        if target >= 0 and seen_held[b]:
                            continue  # already known to hold somewhere; no need to test it
                        holds = True
                        for i, compare, v in conditions:
                            if not compare(after[i], v):
                                holds = False
                                break
                        if holds:
                            seen_held[b] = True
                            if target < 0:
                                target = go
                                seen_taken[b] = True
                state = (target, after)
                known = ids.get(state)
                if known is None:
                    if len(states) >= max_states:
                        complete = False
                        break
                    known = len(states)
                    ids[state] = known
                    states.append(state)
                    parent.append((position, label))
                found.append(known)
        if not complete:
            break
        successors.append(tuple(found))
        position += 1

    reached = frozenset(names[node] for node, _ in states)
    if not complete:
        return Exploration(len(states), False, max_states, tracked, reached, (), frozenset(), ())

    never_taken: list[BranchRef] = []
    never_true: set[BranchRef] = set()
    for (node, key), flags in taken.items():
        for b, was_taken in enumerate(flags):
            if was_taken or _is_default(scenario, names[node], key, b):
                continue
            ref = BranchRef(names[node], key, b)
            never_taken.append(ref)
            if not held[(node, key)][b]:
                never_true.add(ref)

    # States from which an ending can be reached: walk the edges backwards from the endings.
    predecessors: list[list[int]] = [[] for _ in states]
    for source, targets in enumerate(successors):
        for target in targets:
            predecessors[target].append(source)
    finishing = [False] * len(states)
    queue = deque(i for i, (node, _) in enumerate(states) if ending[node])
    for i in queue:
        finishing[i] = True
    while queue:
        for source in predecessors[queue.popleft()]:
            if not finishing[source]:
                finishing[source] = True
                queue.append(source)
    dead: dict[int, list[int]] = {}
    for i, (node, _) in enumerate(states):
        if not finishing[i]:
            dead.setdefault(node, []).append(i)
    dead_ends = []
    for node, found_ids in dead.items():
        first = found_ids[0]  # breadth first: a shortest way there
        path: list[int] = []
        at = first
        while parent[at][0] >= 0:
            at, label = parent[at]
            if label >= 0:
                path.append(label)
        values = MappingProxyType(dict(zip(tracked, states[first][1], strict=True)))
        dead_ends.append(DeadEnd(names[node], len(found_ids), values, tuple(reversed(path))))

    return Exploration(
        states=len(states),
        complete=True,
        max_states=max_states,
        tracked=tracked,
        reached=reached,
        never_taken=tuple(sorted(never_taken, key=_order(names))),
        never_true=frozenset(never_true),
        dead_ends=tuple(sorted(dead_ends, key=lambda d: number[d.node])),
    )


def _is_default(scenario: Scenario, node_id: str, choice: int | None, branch: int) -> bool:
    node = scenario.nodes[node_id]
    next_ = node.next if choice is None else node.choices[choice].next
    assert isinstance(next_, tuple)
    return next_[branch].is_default


def _order(names: list[str]) -> Callable[[BranchRef], tuple[int, int, int]]:
    number = {node_id: i for i, node_id in enumerate(names)}
    return lambda ref: (number[ref.node], -1 if ref.choice is None else ref.choice, ref.branch)
