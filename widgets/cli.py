"""Command-line tools for vignette authors: ``validate`` and ``play``.

Run ``python -m widgets --help``.

Everything these tools print passes through :func:`printable`: a vignette's text
may hold control characters (YAML writes them as escapes such as ``"\\e[2J"``),
and printed raw they would move the cursor, clear the screen or retitle the
terminal window of the author who runs the tool.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from widgets import force
from widgets.scenario import Scenario, ScenarioError, load_scenario, validate_files
from widgets.session import Session

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

# C0 controls except the newline, DEL, and the C1 controls (which include a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Return ``text`` with each control character but the newline written as ``\\xNN``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class _PrintableStream:
    """A text stream that writes everything through :func:`printable`."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def flush(self) -> None:
        self._stream.flush()


def _printable_stream(stream: TextIO) -> TextIO:
    if isinstance(stream, _PrintableStream):
        return stream
    return _PrintableStream(stream)  # type: ignore[return-value]


def _indices(text: str) -> list[int]:
    if not text.strip():
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, like 0,2,1; got {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m widgets``."""
    parser = argparse.ArgumentParser(
        prog="python -m widgets",
        description="Tools for writing IRH course vignettes (YAML files).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check vignette files against the format and the graph rules",
        description=(
            "Check vignette files. Prints one line 'file:line: message' per problem and "
            "exits 1 if there is any; prints nothing and exits 0 when every file is valid."
        ),
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="vignette YAML files")

    play = commands.add_parser(
        "play",
        help="print the transcript of one path through a vignette",
        description=(
            "Walk one path through a vignette without a browser and print its transcript: "
            "each node's text, the chosen response, its feedback and the field after it, "
            "and the debrief at the end. Nodes without choices advance by themselves. "
            "Exit codes: 0 done, 1 invalid vignette, 2 a bad --choose index."
        ),
    )
    play.add_argument("file", metavar="FILE", help="a vignette YAML file")
    play.add_argument(
        "--choose",
        type=_indices,
        default=[],
        metavar="I,J,...",
        help="0-based choice indices, one for each choice node on the path, in order",
    )
    play.add_argument(
        "--reflect",
        default=None,
        metavar="TEXT",
        help="text saved at every node that asks for a reflection",
    )
    return parser


def _field_line(scenario: Scenario, field: dict[str, int], effects: dict[str, int]) -> str:
    parts = []
    for dim in scenario.dimensions:
        delta = effects.get(dim, 0)
        parts.append(f"{dim} {field[dim]}" + (f" ({delta:+d})" if delta else ""))
    return "Field: " + ", ".join(parts)


def _indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text.strip(), prefix)


def play(
    scenario: Scenario,
    choices: Sequence[int],
    reflection: str | None,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Print the transcript of one path; return the exit code.

    Control characters in the vignette's texts are printed as ``\\xNN`` (see
    :func:`printable`).

    Parameters
    ----------
    scenario : Scenario
        The vignette.
    choices : sequence of int
        One index per choice node on the path.
    reflection : str, optional
        Saved at every node that asks for a reflection.
    out : file
        Where the transcript goes.
    err : file, optional
        Where errors go; standard error by default.
    """
    out = _printable_stream(out)
    err = _printable_stream(sys.stderr if err is None else err)
    session = Session(scenario)
    movement = scenario.movement
    label = "all five movements" if movement == force.CAPSTONE else force.movement(movement).name
    print(f"== {scenario.title} ({label})", file=out)
    print(f"Client: {scenario.client.name}. {scenario.client.about.strip()}", file=out)
    if scenario.content_note:
        print(f"Content note: {scenario.content_note.strip()}", file=out)
    print(_field_line(scenario, session.field, {}), file=out)
    pending = list(enumerate(choices, start=1))
    while True:
        node = session.node
        print(f"\n[{node.id}]" + (" (ending)" if node.end else ""), file=out)
        print(_indent(node.text), file=out)
        if node.reflect:
            print(f"  Reflect: {node.reflect.strip()}", file=out)
            if reflection is not None and reflection.strip():
                session.reflect(reflection)
                print(f"  Reflection saved: {reflection.strip()}", file=out)
        if node.end:
            break
        if node.next is not None:
            session.advance()
            continue
        if not pending:
            print(f"\n(stopped: no index left for node '{node.id}'; its choices are)", file=out)
            for i, choice in enumerate(node.choices):
                print(f"  {i}: [{choice.lens}] {choice.say}", file=out)
            return EXIT_OK
        position, index = pending.pop(0)
        if not 0 <= index < len(node.choices):
            print(
                f"error: --choose index {index} (number {position} in the list) is out of range "
                f"at node '{node.id}', which has choices 0..{len(node.choices) - 1}",
                file=err,
            )
            return EXIT_USAGE
        step = session.choose(index)
        print(f"  > {index}: [{step.lens}] {step.say}", file=out)
        print("  Feedback:", file=out)
        print(_indent(step.feedback), file=out)
        print("  " + _field_line(scenario, step.field, step.changes), file=out)
    print("\nDebrief:", file=out)
    print(_indent(scenario.debrief), file=out)
    if pending:
        position, index = pending[0]
        print(
            f"error: --choose index {index} (number {position} in the list) is left over: "
            f"the path ended at node '{session.node_id}' after {len(choices) - len(pending)} "
            "choice(s)",
            file=err,
        )
        return EXIT_USAGE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    out, err = _printable_stream(sys.stdout), _printable_stream(sys.stderr)
    if args.command == "validate":
        problems = validate_files(args.files)
        for problem in problems:
            print(problem, file=out)
        return EXIT_INVALID if problems else EXIT_OK
    try:
        scenario = load_scenario(args.file)
    except ScenarioError as exc:
        print(exc, file=err)
        return EXIT_INVALID
    return play(scenario, args.choose, args.reflect, out, err)
