"""The package's one YAML reader, for vignettes and course data files (widgets/data/).

YAML files come from authors, and a course may use files it did not write, so
reading one is bounded: a file is at most :data:`MAX_BYTES`; aliases (``*name``)
may be used at most :data:`MAX_ALIASES` times and together add at most
:data:`MAX_ALIAS_VALUES` values (so a "billion laughs" file cannot expand);
nothing nests deeper than :data:`MAX_DEPTH`, aliases included; a whole number has at
most :data:`MAX_DIGITS` digits; every key is text. Each breach, and every other
reason a file cannot be read, is a :class:`DataFileError` that names the line, so
callers can report ``file:line: message`` and never show a traceback.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_VALUES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "DataFileError",
    "LimitedLoader",
    "compose",
    "error_of",
    "key_problem",
    "load_data_file",
    "parse_yaml",
    "read_text",
]

#: Largest file read, in bytes (1 MiB; the largest shipped file is a small fraction of it).
MAX_BYTES = 1 << 20
#: Deepest nesting of lists and mappings, counting what aliases bring in.
MAX_DEPTH = 50
#: Most aliases (``*name``) in one document.
MAX_ALIASES = 100
#: Most values that aliases may add to a document in all, once expanded.
MAX_ALIAS_VALUES = 10_000
#: Most digits in a whole number.
MAX_DIGITS = 20


class DataFileError(ValueError):
    """A YAML file cannot be read; ``line`` (1-based) says where, the message says why.

    Parameters
    ----------
    line : int
        The line of the problem, 1-based.
    message : str
        One line that says what is wrong.
    """

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Refused(yaml.MarkedYAMLError):
    """A limit of this reader was reached (as opposed to a YAML syntax error)."""


def _kind(node: yaml.Node | yaml.Event) -> str:
    if isinstance(node, yaml.MappingNode | yaml.MappingStartEvent):
        return "mapping"
    if isinstance(node, yaml.SequenceNode | yaml.SequenceStartEvent):
        return "list"
    return "value"


def key_problem(loader: yaml.BaseConstructor, key_node: yaml.Node) -> str | None:
    """Why a mapping key is not acceptable (it must be text), or None if it is.

    YAML reads ``on``, ``no``, ``1.5``, ``~`` and ``2024-01-01`` as a boolean, a number,
    null and a date; as keys they would not match the names a file is checked against.
    """
    if not isinstance(key_node, yaml.ScalarNode):
        return f"a key must be a plain word, not a {_kind(key_node)}"
    key = loader.construct_object(key_node)
    if isinstance(key, str):
        return None
    if isinstance(key, bool):
        what = "true or false"
    elif isinstance(key, int | float):
        what = "a number"
    elif isinstance(key, datetime.date):
        what = "a date"
    elif key is None:
        what = "null"
    else:
        what = type(key).__name__
    return f"key '{key_node.value}' is not text (YAML reads it as {what}); put it in quotes"


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with the limits of this module checked while it composes.

    Aliases are counted, and the values each one brings in are measured, as the
    document is composed, before anything is built from it.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._alias_values = 0
        # Anchors of the lists and mappings being composed: an alias to one of them would
        # make the document contain itself.
        self._open: dict[str, str] = {}
        self._measured: dict[int, tuple[int, int]] = {}

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """(values, depth) of ``node`` with its aliases expanded; shared parts counted once each."""
        known = self._measured.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        values, depth = 1, 0
        for child in children:
            child_values, child_depth = self._measure(child)
            values += child_values
            depth = max(depth, child_depth)
        self._measured[id(node)] = (values, depth + 1)
        return values, depth + 1

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _Refused(
                    None,
                    None,
                    f"alias *{event.anchor} refers to the {self._open[event.anchor]} "
                    "that contains it",
                    event.start_mark,
                )
            node = super().compose_node(parent, index)
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    None,
                    None,
                    f"more than {MAX_ALIASES} aliases (*name) in one file",
                    event.start_mark,
                )
            values, depth = self._measure(node)
            self._alias_values += values
            if self._alias_values > MAX_ALIAS_VALUES:
                raise _Refused(
                    None,
                    None,
                    f"YAML aliases (*name) expand to more than {MAX_ALIAS_VALUES} values; "
                    "write the content out instead",
                    event.start_mark,
                )
            if self._depth + depth > MAX_DEPTH:
                raise _Refused(
                    None,
                    None,
                    f"the YAML is nested more than {MAX_DEPTH} levels deep",
                    event.start_mark,
                )
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                None,
                None,
                f"the YAML is nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open[anchor] = _kind(event)  # anchors are unique: PyYAML refuses a repeat
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.pop(anchor, None)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            # PyYAML turns a scalar into a value with plain Python calls: 2024-13-45 is
            # read as a date and fails in datetime.date().
            value = f" {node.value!r}" if isinstance(node, yaml.ScalarNode) else ""
            raise _Refused(
                None, None, f"cannot read the value{value}: {exc}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        for key_node, _value in node.value:
            problem = key_problem(self, key_node)
            if problem:
                raise _Refused(None, None, problem, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > MAX_DIGITS:
            raise _Refused(
                None,
                None,
                f"a number of {digits} digits; numbers here have at most {MAX_DIGITS}",
                node.start_mark,
            )
        return super().construct_yaml_int(node)


LimitedLoader.add_constructor("tag:yaml.org,2002:int", LimitedLoader.construct_yaml_int)


def error_of(exc: yaml.YAMLError, text: str) -> DataFileError:
    """The one-line form of a PyYAML error met reading ``text``, at its line."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        what = "control character" if unicodedata.category(char) == "Cc" else "character"
        return DataFileError(
            line,
            f"{what} U+{ord(char):04X} is not allowed in YAML; remove it, or write it as an "
            "escape in double quotes",
        )
    if isinstance(exc, _Refused):
        mark = exc.problem_mark
        return DataFileError(mark.line + 1 if mark else 1, str(exc.problem))
    if isinstance(exc, yaml.constructor.ConstructorError):
        mark = exc.problem_mark or exc.context_mark
        return DataFileError(
            mark.line + 1 if mark else 1, f"YAML error: {exc.problem or exc.context}"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.context_mark and exc.problem_mark:
            reason += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        return DataFileError(mark.line + 1 if mark else 1, f"YAML syntax error: {reason}")
    return DataFileError(1, f"YAML syntax error: {exc}")  # pragma: no cover - all are marked


def _check_size(text: str) -> None:
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise DataFileError(1, "the file is larger than 1 MiB, the limit for course files")


def compose(text: str) -> tuple[yaml.Node | None, LimitedLoader]:
    """Compose YAML text into a node tree, within the limits of this module.

    Returns
    -------
    (node or None, LimitedLoader)
        The root node (None for an empty document) and the loader, whose
        ``construct_object`` builds values from nodes; call its ``dispose()`` when done.

    Raises
    ------
    DataFileError
        If the text is not valid YAML or breaks a limit; the error names the line.
    """
    _check_size(text)
    try:
        loader = LimitedLoader(text)
    except yaml.YAMLError as exc:  # the reader checks every character before anything else
        raise error_of(exc, text) from None
    try:
        return loader.get_single_node(), loader
    except yaml.YAMLError as exc:
        loader.dispose()
        raise error_of(exc, text) from None


def parse_yaml(text: str) -> Any:
    """Read YAML text into plain data, within the limits of this module.

    Raises
    ------
    DataFileError
        If the text is not valid YAML or breaks a limit; the error names the line.
    """
    root, loader = compose(text)
    try:
        return None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise error_of(exc, text) from None
    finally:
        loader.dispose()


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file of at most :data:`MAX_BYTES`.

    Raises
    ------
    OSError
        If the file cannot be opened.
    DataFileError
        If it is larger than the limit or not UTF-8.
    """
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DataFileError(1, "the file is larger than 1 MiB, the limit for course files")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFileError(line, f"the file is not UTF-8 text ({exc.reason})") from None


def load_data_file(
    path: str | Path | None, default: str, validate: Callable[[Any], list[str]]
) -> Any:
    """Read a YAML data file (the packaged ``default`` when ``path`` is None) and check it.

    Raises
    ------
    OSError
        If the file cannot be opened.
    ValueError
        If the file cannot be read as YAML (``file:line: message``) or ``validate``
        lists problems (``file: problem; problem``).
    """
    if path is None:
        where = default
        source = resources.files("widgets").joinpath("data", default)
    else:
        where = str(path)
        source = Path(path)
    try:
        text = read_text(source) if path is not None else source.read_text("utf-8")
        data = parse_yaml(text)
    except DataFileError as exc:
        raise ValueError(f"{where}:{exc.line}: {exc.message}") from None
    problems = validate(data)
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return data
