"""Vignette files: load, validate, and hold them as an immutable graph.

A vignette is one YAML file (the format is documented in the README). Loading
goes in one direction: YAML text -> a tree that remembers the line of every key
-> JSON Schema check -> graph checks -> :class:`Scenario` -> a check of the
states play can reach (:mod:`widgets.reachability`). Every problem is reported as
``file:line: message`` and all problems of a file are reported at once, so an
author can fix a file in one pass.

Format version 2 adds hidden client-state variables, conditional ``next``
(:class:`Branch`, :class:`Condition`), the tone of an ending and ``shuffle``;
every version 1 file is a valid version 2 file and plays the same.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeAlias

import yaml

from widgets import datafile, force

__all__ = [
    "OPERATORS",
    "TONES",
    "Branch",
    "Choice",
    "Client",
    "Condition",
    "Next",
    "Node",
    "Problem",
    "Scenario",
    "ScenarioError",
    "check_text",
    "find_scenario",
    "load_scenario",
    "next_targets",
    "parse_scenario",
    "resolve_next",
    "shipped_scenarios",
    "validate_files",
]

#: Every field and hidden value stays within FIELD_MIN..FIELD_MAX.
FIELD_MIN = 0
FIELD_MAX = 10

#: The comparisons a branch condition may use.
OPERATORS: tuple[str, ...] = ("<", "<=", "==", "!=", ">=", ">")
#: How an ending may land; the first is the default.
TONES: tuple[str, ...] = ("hopeful", "mixed", "costly")

_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}
# What a condition looks like once the schema has accepted it ("OP N").
_CONDITION = re.compile(r" *(<=|>=|==|!=|<|>) *(10|[0-9]) *")


def _condition_problem(text: str) -> str:
    """Why a condition is not of the form "OP N", in an author's words."""
    example = 'an operator and a whole number 0..10, like ">= 4"'
    match = re.fullmatch(r"\s*([^\s\d+-]*)\s*([+-]?\d+)\s*", text)
    if not match:
        return f"condition {text!r} must be {example}"
    op, number = match.groups()
    if op not in OPERATORS:
        what = f"unknown operator {op!r}" if op else "no operator"
        return f"{what} in condition {text!r}; use one of {' '.join(OPERATORS)}"
    if not FIELD_MIN <= int(number) <= FIELD_MAX:
        return f"value {int(number)} in condition {text!r} is outside {FIELD_MIN}..{FIELD_MAX}"
    return f"condition {text!r} must be {example}"


Path_ = tuple[Any, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a vignette file, at a line (1-based).

    A problem is an error unless ``warning`` is true: a warning (such as a state
    check cut short by its bound) is printed but does not make a file invalid.
    """

    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{self.message}"


class ScenarioError(ValueError):
    """A vignette file could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Condition:
    """One test of a field or hidden variable, such as ``risk > 6``.

    Parameters
    ----------
    variable : str
        A field dimension or hidden variable of the vignette.
    op : str
        One of :data:`OPERATORS`.
    value : int
        A whole number in 0..10.
    """

    variable: str
    op: str
    value: int

    def holds(self, values: Mapping[str, int]) -> bool:
        """Whether the condition is true for these variable values."""
        return _COMPARE[self.op](values[self.variable], self.value)

    def __str__(self) -> str:
        return f"{self.variable} {self.op} {self.value}"


@dataclass(frozen=True)
class Branch:
    """One way on from a conditional ``next``: go to ``go`` if every condition holds.

    A branch without conditions is the default; it is always the last of its list.
    """

    go: str
    conditions: tuple[Condition, ...] = ()

    @property
    def is_default(self) -> bool:
        """Whether this is the default branch (it has no ``if``)."""
        return not self.conditions

    def holds(self, values: Mapping[str, int]) -> bool:
        """Whether every condition holds for these values (always true for the default)."""
        return all(c.holds(values) for c in self.conditions)

    def __str__(self) -> str:
        if self.is_default:
            return f"otherwise -> {self.go}"
        return f"if {', '.join(str(c) for c in self.conditions)} -> {self.go}"


#: Where a choice or node leads: a node id, or branches tried in order.
Next: TypeAlias = str | tuple[Branch, ...]


def next_targets(next_: Next) -> tuple[str, ...]:
    """Every node a ``next`` can lead to, in file order, each once."""
    if isinstance(next_, str):
        return (next_,)
    return tuple(dict.fromkeys(branch.go for branch in next_))


def resolve_next(next_: Next, values: Mapping[str, int]) -> str:
    """The node a ``next`` leads to for these values: the first branch that holds.

    Raises
    ------
    ValueError
        If no branch holds (never for a validated vignette: its last branch is a default).
    """
    if isinstance(next_, str):
        return next_
    for branch in next_:
        if branch.holds(values):
            return branch.go
    raise ValueError("no branch holds and there is no default branch")


@dataclass(frozen=True)
class Client:
    """The fictional client a vignette is about."""

    name: str
    about: str
    pronouns: str | None = None


@dataclass(frozen=True)
class Choice:
    """One response the practitioner can give at a choice node.

    ``effects`` may change field and hidden variables; ``next`` is a node id or a
    tuple of :class:`Branch` read after the effects (see :meth:`target`).
    """

    say: str
    lens: str
    feedback: str
    next: Next
    effects: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def targets(self) -> tuple[str, ...]:
        """Every node this choice can lead to."""
        return next_targets(self.next)

    def target(self, values: Mapping[str, int]) -> str:
        """The node this choice leads to, given the values after its effects."""
        return resolve_next(self.next, values)


@dataclass(frozen=True)
class Node:
    """One moment of a vignette: text, then choices, a next node, or the end.

    ``tone`` is set on endings only (``"hopeful"`` unless the file says otherwise);
    ``shuffle`` says whether a view may show the choices in a per-session order.
    """

    id: str
    text: str
    choices: tuple[Choice, ...] = ()
    next: Next | None = None
    end: bool = False
    reflect: str | None = None
    movement: str | None = None
    tone: str | None = None
    shuffle: bool = True

    @property
    def targets(self) -> tuple[str, ...]:
        """Every node one move from here can lead to (through ``next`` or any choice)."""
        found: list[str] = []
        if self.next is not None:
            found += next_targets(self.next)
        for choice in self.choices:
            found += choice.targets
        return tuple(dict.fromkeys(found))

    def target(self, values: Mapping[str, int]) -> str:
        """Where this node's own ``next`` leads for these values.

        Raises
        ------
        ValueError
            If the node has no ``next`` (it offers choices or is an ending).
        """
        if self.next is None:
            raise ValueError(f"node '{self.id}' has no next")
        return resolve_next(self.next, values)


@dataclass(frozen=True)
class Scenario:
    """A validated vignette: an immutable graph of nodes.

    Build one with :func:`load_scenario` or :func:`parse_scenario`; the
    constructor does not validate.
    """

    id: str
    movement: str
    title: str
    summary: str
    client: Client
    field: Mapping[str, int]
    start: str
    nodes: Mapping[str, Node]
    debrief: str
    content_note: str | None = None
    source: str = "<string>"
    hidden: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The relational-field dimensions, in the order the file declares them."""
        return tuple(self.field)

    @property
    def hidden_variables(self) -> tuple[str, ...]:
        """The hidden client-state variables, in the order the file declares them."""
        return tuple(self.hidden)

    @property
    def variables(self) -> tuple[str, ...]:
        """Field dimensions, then hidden variables: every name effects and conditions use."""
        return (*self.field, *self.hidden)

    def start_values(self) -> dict[str, int]:
        """Every variable's start value (field and hidden), as a new dict."""
        return {**self.field, **self.hidden}

    @property
    def endings(self) -> tuple[str, ...]:
        """The ids of the ending nodes, in file order."""
        return tuple(n.id for n in self.nodes.values() if n.end)

    def movement_of(self, node_id: str) -> str:
        """Return the movement a node belongs to (its own, else the vignette's)."""
        return self.nodes[node_id].movement or self.movement

    @property
    def choice_node_count(self) -> int:
        """How many nodes offer choices."""
        return sum(1 for n in self.nodes.values() if n.choices)


# --- YAML with line numbers -------------------------------------------------------------


def _compose(text: str, file: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    """Parse YAML into plain data, remembering the line of every key and item.

    The text is read by :func:`widgets.datafile.compose`, so the limits on size,
    aliases, nesting and numbers hold here too. PyYAML keeps the last of two equal
    keys without a word; here a repeated key is a problem that names both lines.
    """
    try:
        root, loader = datafile.compose(text)
    except datafile.DataFileError as exc:
        return None, {}, [Problem(file, exc.line, exc.message)]
    if root is None:
        loader.dispose()
        return None, {}, [Problem(file, 1, "the file is empty")]

    lines: dict[Path_, int] = {(): root.start_mark.line + 1}
    problems: list[Problem] = []

    def build(node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                wrong = datafile.key_problem(loader, key_node)
                if wrong:
                    problems.append(Problem(file, line, wrong))
                    continue
                key = loader.construct_object(key_node, deep=True)
                if key in result:
                    first = lines[path + (key,)]
                    what = {("nodes",): "node id", ("field",): "variable"}.get(path, "key")
                    what = "variable" if path == ("hidden",) else what
                    problems.append(
                        Problem(file, line, f"duplicate {what} {key!r} (first at line {first})")
                    )
                    continue
                lines[path + (key,)] = line
                result[key] = build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                items.append(build(item, path + (i,)))
            return items
        return loader.construct_object(node, deep=True)

    try:
        data = build(root, ())
    except yaml.YAMLError as exc:
        error = datafile.error_of(exc, text)
        return None, {}, [Problem(file, error.line, error.message)]
    finally:
        loader.dispose()
    return data, lines, problems


def _line(lines: Mapping[Path_, int], path: Iterable[Any]) -> int:
    """Line of the deepest known prefix of ``path``."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def _where(path: Iterable[Any]) -> str:
    """A path as an author reads it: ``nodes.voicemail.choices[1].next``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- Schema -----------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    """Return the vignette JSON Schema, with movement slugs and lenses from ``force``.

    Each call returns a copy of its own, so a caller may change it freely without
    changing how vignettes are checked.
    """
    return copy.deepcopy(_schema())


@cache
def _schema() -> dict[str, Any]:
    """The schema every check uses; read once, never handed out."""
    text = resources.files("widgets").joinpath("schema/vignette.schema.json").read_text("utf-8")
    result = json.loads(text)
    movements = force.slugs()
    result["properties"]["movement"]["enum"] = [*movements, force.CAPSTONE]
    result["$defs"]["node"]["properties"]["movement"]["enum"] = movements
    result["$defs"]["choice"]["properties"]["lens"]["enum"] = list(force.LENSES)
    result["$defs"]["node"]["properties"]["tone"]["enum"] = list(TONES)
    return result


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k not in ("$defs", "$id")}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@cache
def _fast_validator() -> Any:
    """A compiled check of the same schema, for the common case of a valid file.

    ``jsonschema`` lists every error with its path, which authors need, but importing
    it costs about a second and 20 MiB, too much for a workshop kernel that only
    loads valid vignettes. ``fastjsonschema`` answers "valid or not" cheaply; only an
    invalid file pays for the detailed report. References are inlined first so the
    compiled check never tries to resolve a URI.
    """
    import fastjsonschema

    full = _schema()
    inlined = _inline_refs(full, full["$defs"])
    inlined.pop("$schema", None)
    return fastjsonschema.compile(inlined)


def _schema_valid(data: Any) -> bool:
    import fastjsonschema

    try:
        _fast_validator()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _schema_problems(data: Any, lines: Mapping[Path_, int], file: str) -> list[Problem]:
    if _schema_valid(data):
        return []
    import jsonschema  # only for invalid files: it is slow to import

    validator = jsonschema.Draft202012Validator(_schema())
    problems = []
    for error in validator.iter_errors(data):
        path = tuple(error.absolute_path)
        where = _where(path)
        prefix = f"{where}: " if where else ""
        kind = error.validator
        line = _line(lines, path)
        if kind == "required" and "then" in error.relative_schema_path:
            # A key allowed only beside another (the node schema's if/then pairs).
            needed = error.message.split("'")[1] if "'" in error.message else error.message
            key = {"end": "tone", "choices": "shuffle"}.get(needed, needed)
            line = _line(lines, path + (key,))
            if key == "tone":
                message = f"{prefix}tone is only for an ending; add end: true or remove tone"
            else:
                message = f"{prefix}shuffle is only for a node with choices; remove it"
        elif kind == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            message = f"{prefix}missing required key '{missing}'"
        elif kind == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            extra = sorted(k for k in error.instance if k not in allowed)
            for key in extra:
                problems.append(
                    Problem(
                        file,
                        _line(lines, path + (key,)),
                        f"{prefix}unknown key '{key}' (allowed: {', '.join(sorted(allowed))})",
                    )
                )
            continue
        elif kind == "enum":
            what = path[-1] if path else "value"
            if what == "movement":
                what = "movement slug"
            options = ", ".join(str(v) for v in error.validator_value)
            message = f"{prefix}unknown {what} {error.instance!r}; expected one of: {options}"
        elif kind in ("minimum", "maximum") and path[:1] in (("field",), ("hidden",)):
            message = (
                f"{path[0]} value {path[-1]} = {error.instance} is outside {FIELD_MIN}..{FIELD_MAX}"
            )
        elif kind == "pattern" and len(path) >= 2 and path[-2] == "if":
            message = f"{prefix}{_condition_problem(error.instance)}"
        elif kind == "minItems":
            message = f"{prefix}an empty branch list; give at least a default branch (- go: NODE)"
        elif kind == "minLength":
            message = f"{prefix}must not be empty"
        elif kind == "const":
            message = f"{prefix}must be true (leave it out if the node is not an ending)"
        elif kind == "type":
            expected = {
                "object": "a mapping",
                "array": "a list",
                "string": "text",
                "integer": "a whole number",
                "boolean": "true or false",
            }
            wanted = error.validator_value
            wanted = wanted if isinstance(wanted, list) else [wanted]
            names = " or ".join(expected.get(str(w), str(w)) for w in wanted)
            message = f"{prefix}must be {names}, not {error.instance!r}"
        elif kind == "pattern" and path in (("field",), ("hidden",)):
            # A name refused by propertyNames: the error is the name's, at the mapping.
            line = _line(lines, path + (error.instance,))
            message = (
                f"{prefix}{error.instance!r}: a variable name is lower-case letters and "
                "underscores, starting with a letter"
            )
        elif kind == "pattern":
            message = f"{prefix}{error.instance!r} must be lower-case words joined by hyphens"
        elif kind == "minProperties":
            message = f"{prefix}must not be empty"
        elif kind == "propertyNames":
            what = "variable" if path[:1] == ("hidden",) else "dimension"
            message = f"{prefix}{what} names must be lower-case words ({error.message})"
        else:  # pragma: no cover - every validator the schema uses is handled above
            message = f"{prefix}{error.message}"
        problems.append(Problem(file, line, message))
    return problems


# --- Graph checks -----------------------------------------------------------------------


def _graph_problems(data: dict[str, Any], lines: Mapping[Path_, int], file: str) -> list[Problem]:
    """Check what a schema cannot: targets, reachability, endings, declared dimensions."""
    problems: list[Problem] = []

    def add(path: Path_, message: str) -> None:
        problems.append(Problem(file, _line(lines, path), message))

    nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
    field_ = data.get("field") if isinstance(data.get("field"), dict) else {}
    hidden = data.get("hidden") if isinstance(data.get("hidden"), dict) else {}
    variables = set(field_) | set(hidden)
    if "hidden" in data:
        declared = f"field: {', '.join(field_) or 'none'}; hidden: {', '.join(hidden) or 'none'}"
    else:
        declared = f"declared: {', '.join(field_) or 'none'}"
    for name in hidden:
        if name in field_:
            first = _line(lines, ("field", name))
            add(
                ("hidden", name),
                f"duplicate variable '{name}': hidden repeats the field dimension "
                f"(line {first}); give it another name",
            )
    edges: dict[str, list[str]] = {}
    endings: set[str] = set()
    capstone = data.get("movement") == force.CAPSTONE

    for node_id, node in nodes.items():
        if not isinstance(node, dict):
            continue
        here = ("nodes", node_id)
        kinds = [k for k in ("choices", "next", "end") if k in node]
        if not kinds:
            add(here, f"node '{node_id}' has neither choices, next nor end: true")
        elif len(kinds) > 1:
            add(
                here + (kinds[1],),
                f"node '{node_id}' has {' and '.join(kinds)}; give exactly one of them",
            )
        if node.get("end") is True:
            endings.add(node_id)
        if capstone and "movement" not in node:
            add(here, f"node '{node_id}' must name its movement (this vignette is a capstone)")
        targets: list[tuple[Path_, Any]] = []
        if "next" in node:
            targets += _next_problems(node["next"], here + ("next",), variables, declared, add)
        choices = node.get("choices")
        if isinstance(choices, list):
            if len(choices) < 2:
                count = "no choices" if not choices else "only one choice"
                add(
                    here + ("choices",),
                    f"node '{node_id}' has {count}; a choice node needs at least two",
                )
            for i, choice in enumerate(choices):
                if not isinstance(choice, dict):
                    continue
                if "next" in choice:
                    targets += _next_problems(
                        choice["next"], here + ("choices", i, "next"), variables, declared, add
                    )
                effects = choice.get("effects")
                if isinstance(effects, dict):
                    for dim in effects:
                        if dim not in variables:
                            what = "variable" if hidden else "field dimension"
                            add(
                                here + ("choices", i, "effects", dim),
                                f"effect on undeclared {what} '{dim}' ({declared})",
                            )
        edges[node_id] = []
        for path, target in targets:
            if not isinstance(target, str):
                continue
            if target not in nodes:
                add(path, f"unknown next target '{target}' in node '{node_id}'")
            else:
                edges[node_id].append(target)

    start = data.get("start")
    if isinstance(start, str) and nodes:
        if start not in nodes:
            add(("start",), f"start '{start}' is not a node")
        else:
            seen = {start}
            queue = deque([start])
            while queue:
                for target in edges.get(queue.popleft(), []):
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
            for node_id in nodes:
                if node_id not in seen:
                    add(("nodes", node_id), f"node '{node_id}' is unreachable from start '{start}'")

    reverse: dict[str, list[str]] = {n: [] for n in nodes}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    finishing = set(endings)
    queue = deque(endings)
    while queue:
        for source in reverse.get(queue.popleft(), []):
            if source not in finishing:
                finishing.add(source)
                queue.append(source)
    if not endings and nodes:
        add(("nodes",), "no node has end: true; a vignette needs at least one ending")
    else:
        for node_id, node in nodes.items():
            if isinstance(node, dict) and node_id not in finishing:
                add(("nodes", node_id), f"no ending can be reached from node '{node_id}'")
    return problems


def _next_problems(
    next_: Any, path: Path_, variables: set[str], declared: str, add: Any
) -> list[tuple[Path_, Any]]:
    """Check a ``next`` (a node id or a branch list); return its targets with their paths.

    The schema has checked the shapes; this checks what it cannot: the order of the
    branches (the default last, nothing after it) and that conditions name declared
    variables.
    """
    if not isinstance(next_, list):
        return [(path, next_)]
    targets: list[tuple[Path_, Any]] = []
    default: int | None = None
    for i, branch in enumerate(next_):
        if not isinstance(branch, dict):
            continue
        where = path + (i,)
        if "go" in branch:
            targets.append((where + ("go",), branch["go"]))
        if default is not None:
            add(
                where,
                f"{_where(where)}: this branch comes after the default branch "
                f"({_where(path + (default,))}, which has no if) and is never tried",
            )
        elif "if" not in branch:
            default = i
        conditions = branch.get("if")
        if isinstance(conditions, dict):
            for variable in conditions:
                if variable not in variables:
                    add(
                        where + ("if", variable),
                        f"condition on undeclared variable '{variable}' ({declared})",
                    )
    if next_ and default is None and isinstance(next_[-1], dict):
        last = path + (len(next_) - 1,)
        add(
            last,
            f"{_where(last)}: the last branch has an if; end the list with a default "
            "branch that has only go",
        )
    return targets


# --- Building ---------------------------------------------------------------------------


def _next_of(raw: Any) -> Next:
    """A ``next`` value of a valid file as the model holds it."""
    if isinstance(raw, str):
        return raw
    branches = []
    for branch in raw:
        conditions = []
        for variable, text in (branch.get("if") or {}).items():
            match = _CONDITION.fullmatch(text)
            assert match is not None  # the schema accepted it
            conditions.append(Condition(variable, match.group(1), int(match.group(2))))
        branches.append(Branch(go=branch["go"], conditions=tuple(conditions)))
    return tuple(branches)


def _freeze(data: dict[str, Any], source: str) -> Scenario:
    nodes = {}
    for node_id, raw in data["nodes"].items():
        choices = tuple(
            Choice(
                say=c["say"],
                lens=c["lens"],
                feedback=c["feedback"],
                next=_next_of(c["next"]),
                effects=MappingProxyType(dict(c.get("effects") or {})),
            )
            for c in raw.get("choices", ())
        )
        end = bool(raw.get("end", False))
        nodes[node_id] = Node(
            id=node_id,
            text=raw["text"],
            choices=choices,
            next=_next_of(raw["next"]) if "next" in raw else None,
            end=end,
            reflect=raw.get("reflect"),
            movement=raw.get("movement"),
            tone=raw.get("tone", TONES[0]) if end else None,
            shuffle=bool(raw.get("shuffle", True)),
        )
    client = data["client"]
    return Scenario(
        id=data["id"],
        movement=data["movement"],
        title=data["title"],
        summary=data["summary"],
        client=Client(client["name"], client["about"], client.get("pronouns")),
        field=MappingProxyType(dict(data["field"])),
        start=data["start"],
        nodes=MappingProxyType(nodes),
        debrief=data["debrief"],
        content_note=data.get("content_note"),
        source=source,
        hidden=MappingProxyType(dict(data.get("hidden") or {})),
    )


def _state_problems(
    scenario: Scenario, lines: Mapping[Path_, int], file: str, max_states: int
) -> list[Problem]:
    """Report what exploring the reachable (node, values) states shows."""
    from widgets.reachability import explore  # it builds on this module's types

    found = explore(scenario, max_states)
    if not found.complete:
        where = _line(lines, ("hidden",)) if scenario.hidden else 1
        return [
            Problem(
                file,
                where,
                f"the state check stopped at its bound of {found.max_states:,} states "
                f"(variables read by conditions: {', '.join(found.tracked)}), so branches "
                "never taken and states with no way to an ending were not checked; "
                "raise the bound with --max-states",
                warning=True,
            )
        ]
    problems = []
    for ref in found.never_taken:
        node = scenario.nodes[ref.node]
        next_ = node.next if ref.choice is None else node.choices[ref.choice].next
        assert isinstance(next_, tuple)
        conditions = ", ".join(str(c) for c in next_[ref.branch].conditions)
        if ref in found.never_true:
            why = f"its condition ({conditions}) is never true in a state play can reach"
        else:
            why = f"whenever {conditions} holds, an earlier branch is taken"
        problems.append(
            Problem(file, _line(lines, ref.path), f"{_where(ref.path)}: never taken: {why}")
        )
    for node_id in scenario.nodes:
        if node_id not in found.reached:
            problems.append(
                Problem(
                    file,
                    _line(lines, ("nodes", node_id)),
                    f"node '{node_id}' is reached only through branches that are never taken",
                )
            )
    for dead in found.dead_ends:
        values = ", ".join(f"{name} {value}" for name, value in dead.values.items())
        how = f"play --choose {','.join(map(str, dead.path))}" if dead.path else "at the start"
        states = "state" if dead.states == 1 else "states"
        problems.append(
            Problem(
                file,
                _line(lines, ("nodes", dead.node)),
                f"no ending can be reached from node '{dead.node}' in {dead.states} reachable "
                f"{states}, for example with {values} ({how})",
            )
        )
    return problems


def check_text(
    text: str,
    file: str = "<string>",
    expected_id: str | None = None,
    max_states: int | None = None,
) -> tuple[Scenario | None, list[Problem]]:
    """Validate vignette YAML text; return the scenario (if valid) and every problem.

    The scenario is None if any problem is an error; warnings (see :class:`Problem`)
    leave it valid.

    Parameters
    ----------
    text : str
        The YAML text.
    file : str
        The name problems are reported under.
    expected_id : str, optional
        The id the vignette must have (a file's name without ``.yaml``), so that
        vignettes can be found by id.
    max_states : int, optional
        The bound of the state check (:data:`widgets.reachability.MAX_STATES` by
        default); past it, the check stops with one warning.
    """
    data, lines, problems = _compose(text, file)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        return None, problems + [Problem(file, 1, "a vignette file must be a mapping of keys")]
    problems += _schema_problems(data, lines, file)
    vignette_id = data.get("id")
    if expected_id is not None and isinstance(vignette_id, str) and vignette_id != expected_id:
        problems.append(
            Problem(
                file,
                _line(lines, ("id",)),
                f"id '{vignette_id}' differs from the file name '{expected_id}.yaml'",
            )
        )
    problems += _graph_problems(data, lines, file)
    if problems:
        return None, sorted(set(problems))
    scenario = _freeze(copy.deepcopy(data), file)
    if max_states is None:
        from widgets.reachability import MAX_STATES

        max_states = MAX_STATES
    problems = _state_problems(scenario, lines, file, max_states)
    if any(not p.warning for p in problems):
        return None, sorted(problems)
    return scenario, sorted(problems)


def parse_scenario(
    text: str,
    file: str = "<string>",
    expected_id: str | None = None,
    max_states: int | None = None,
) -> Scenario:
    """Build a :class:`Scenario` from YAML text (parameters as in :func:`check_text`).

    Warnings are not raised: a file whose state check was cut short still loads.

    Raises
    ------
    ScenarioError
        With every error of the text, each as ``file:line: message``.
    """
    scenario, problems = check_text(text, file, expected_id, max_states)
    if scenario is None:
        raise ScenarioError([p for p in problems if not p.warning])
    return scenario


def _read(path: str | Path) -> str:
    name = str(path)
    try:
        return datafile.read_text(path)
    except OSError as exc:
        raise ScenarioError([Problem(name, 1, f"cannot read the file: {exc}")]) from None
    except datafile.DataFileError as exc:
        raise ScenarioError([Problem(name, exc.line, exc.message)]) from None


def load_scenario(path: str | Path, max_states: int | None = None) -> Scenario:
    """Load and validate one vignette file (``max_states`` as in :func:`check_text`).

    Raises
    ------
    ScenarioError
        If the file cannot be read or is not a valid vignette.
    """
    return parse_scenario(_read(path), str(path), Path(path).stem, max_states)


def validate_files(paths: Iterable[str | Path], max_states: int | None = None) -> list[Problem]:
    """Validate several vignette files; also reports a vignette id used twice.

    Returns every error and warning, file by file (``max_states`` as in
    :func:`check_text`).
    """
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for path in paths:
        name = str(path)
        try:
            scenario, found = check_text(_read(path), name, Path(path).stem, max_states)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        problems += found
        if scenario is None:
            continue
        if scenario.id in ids:
            problems.append(
                Problem(name, 1, f"vignette id '{scenario.id}' is also used by {ids[scenario.id]}")
            )
        else:
            ids[scenario.id] = name
    return problems


def shipped_scenarios() -> list[Path]:
    """Return the vignette files that ship with the course, sorted by name."""
    folder = Path(str(resources.files("widgets").joinpath("scenarios")))
    return sorted(folder.glob("*.yaml"))


def find_scenario(ref: str | Path) -> Path:
    """Return the file of a shipped vignette id, or ``ref`` itself if it is a file.

    Raises
    ------
    LookupError
        If ``ref`` is neither a file nor a shipped vignette id; the message lists the ids.
    """
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    for path in shipped_scenarios():
        if path.stem == str(ref):
            return path
    known = ", ".join(p.stem for p in shipped_scenarios()) or "none"
    raise LookupError(f"no vignette {str(ref)!r}; shipped vignettes: {known}")
