"""Vignette files: load, validate, and hold them as an immutable graph.

A vignette is one YAML file (the format is documented in the README). Loading
goes in one direction: YAML text -> a tree that remembers the line of every key
-> JSON Schema check -> graph checks -> :class:`Scenario`. Every problem is
reported as ``file:line: message`` and all problems of a file are reported at
once, so an author can fix a file in one pass.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from widgets import datafile, force

__all__ = [
    "Choice",
    "Client",
    "Node",
    "Problem",
    "Scenario",
    "ScenarioError",
    "find_scenario",
    "load_scenario",
    "parse_scenario",
    "shipped_scenarios",
    "validate_files",
]

FIELD_MIN = 0
FIELD_MAX = 10

Path_ = tuple[Any, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a vignette file, at a line (1-based)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ScenarioError(ValueError):
    """A vignette file could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Client:
    """The fictional client a vignette is about."""

    name: str
    about: str
    pronouns: str | None = None


@dataclass(frozen=True)
class Choice:
    """One response the practitioner can give at a choice node."""

    say: str
    lens: str
    feedback: str
    next: str
    effects: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Node:
    """One moment of a vignette: text, then choices, a next node, or the end."""

    id: str
    text: str
    choices: tuple[Choice, ...] = ()
    next: str | None = None
    end: bool = False
    reflect: str | None = None
    movement: str | None = None


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

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The relational-field dimensions, in the order the file declares them."""
        return tuple(self.field)

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
                    what = "node id" if path == ("nodes",) else "key"
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
        if kind == "required":
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
        elif kind in ("minimum", "maximum") and path[:1] == ("field",):
            message = (
                f"field value {path[-1]} = {error.instance} is outside {FIELD_MIN}..{FIELD_MAX}"
            )
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
            }.get(str(error.validator_value), str(error.validator_value))
            message = f"{prefix}must be {expected}, not {error.instance!r}"
        elif kind == "pattern":
            message = f"{prefix}{error.instance!r} must be lower-case words joined by hyphens"
        elif kind == "minProperties":
            message = f"{prefix}must not be empty"
        elif kind == "propertyNames":
            message = f"{prefix}dimension names must be lower-case words ({error.message})"
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
    declared = ", ".join(field_) or "none"
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
            targets.append((here + ("next",), node["next"]))
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
                    targets.append((here + ("choices", i, "next"), choice["next"]))
                effects = choice.get("effects")
                if isinstance(effects, dict):
                    for dim in effects:
                        if dim not in field_:
                            add(
                                here + ("choices", i, "effects", dim),
                                f"effect on undeclared field dimension '{dim}' "
                                f"(declared: {declared})",
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


# --- Building ---------------------------------------------------------------------------


def _freeze(data: dict[str, Any], source: str) -> Scenario:
    nodes = {}
    for node_id, raw in data["nodes"].items():
        choices = tuple(
            Choice(
                say=c["say"],
                lens=c["lens"],
                feedback=c["feedback"],
                next=c["next"],
                effects=MappingProxyType(dict(c.get("effects") or {})),
            )
            for c in raw.get("choices", ())
        )
        nodes[node_id] = Node(
            id=node_id,
            text=raw["text"],
            choices=choices,
            next=raw.get("next"),
            end=bool(raw.get("end", False)),
            reflect=raw.get("reflect"),
            movement=raw.get("movement"),
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
    )


def check_text(
    text: str, file: str = "<string>", expected_id: str | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Validate vignette YAML text; return the scenario (if valid) and every problem.

    Parameters
    ----------
    text : str
        The YAML text.
    file : str
        The name problems are reported under.
    expected_id : str, optional
        The id the vignette must have (a file's name without ``.yaml``), so that
        vignettes can be found by id.
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
    return _freeze(copy.deepcopy(data), file), []


def parse_scenario(text: str, file: str = "<string>", expected_id: str | None = None) -> Scenario:
    """Build a :class:`Scenario` from YAML text (parameters as in :func:`check_text`).

    Raises
    ------
    ScenarioError
        With every problem of the text, each as ``file:line: message``.
    """
    scenario, problems = check_text(text, file, expected_id)
    if problems:
        raise ScenarioError(problems)
    assert scenario is not None
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one vignette file.

    Raises
    ------
    ScenarioError
        If the file cannot be read or is not a valid vignette.
    """
    name = str(path)
    try:
        text = datafile.read_text(path)
    except OSError as exc:
        raise ScenarioError([Problem(name, 1, f"cannot read the file: {exc}")]) from None
    except datafile.DataFileError as exc:
        raise ScenarioError([Problem(name, exc.line, exc.message)]) from None
    return parse_scenario(text, name, expected_id=Path(path).stem)


def validate_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Validate several vignette files; also reports a vignette id used twice."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for path in paths:
        name = str(path)
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems += exc.problems
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
