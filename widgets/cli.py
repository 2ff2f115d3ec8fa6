"""Command-line tools for vignette authors: ``validate``, ``play`` and ``audit``.

Run ``python -m widgets --help``.

Everything these tools print passes through :func:`printable`: a vignette's text
may hold control characters (YAML writes them as escapes such as ``"\\e[2J"``),
and printed raw they would move the cursor, clear the screen or retitle the
terminal window of the author who runs the tool.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from widgets import audit as audits
from widgets import force
from widgets.reachability import MAX_STATES
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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more; got {text!r}")
    return value


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
    validate.add_argument(
        "--max-states",
        type=_positive,
        default=MAX_STATES,
        metavar="N",
        help=(
            "how many (node, values) states the state check may visit before it stops "
            f"with a warning (default {MAX_STATES:,})"
        ),
    )

    play = commands.add_parser(
        "play",
        help="print the transcript of one path through a vignette",
        description=(
            "Walk one path through a vignette without a browser and print its transcript: "
            "each node's text, the chosen response, its feedback, the field and hidden "
            "values after it, the ending's tone and the debrief. Nodes without choices "
            "advance by themselves. Exit codes: 0 done, 1 invalid vignette, 2 a bad "
            "--choose index."
        ),
    )
    play.add_argument("file", metavar="FILE", help="a vignette YAML file")
    play.add_argument(
        "--choose",
        type=_indices,
        default=[],
        metavar="I,J,...",
        help=(
            "0-based choice indices in file order (as the YAML lists them), one for each "
            "choice node on the path, in order"
        ),
    )
    play.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="N",
        help=(
            "also show each choice node's choices in the order a session with this seed "
            "shows them (indices stay in file order)"
        ),
    )
    play.add_argument(
        "--reflect",
        default=None,
        metavar="TEXT",
        help="text saved at every node that asks for a reflection",
    )

    audit = commands.add_parser(
        "audit",
        help="count the patterns that let a vignette be gamed",
        description=(
            "Print, per vignette and in total: the choice nodes; the share where the "
            "top-scoring choice is integrative, relational or medical; the share where it "
            "is also the longest; the share where all choices lead to the same next; "
            "endings by tone; and, per lens, the choices that lower safety. "
            + audits.TIES
            + " Exit codes: 0 done, 1 an invalid file (the others are still audited)."
        ),
    )
    audit.add_argument("files", nargs="+", metavar="FILE", help="vignette YAML files")
    audit.add_argument(
        "--json", action="store_true", help="print the same figures as one JSON object"
    )
    return parser


def _field_line(scenario: Scenario, field: dict[str, int], effects: dict[str, int]) -> str:
    parts = []
    for dim in scenario.dimensions:
        delta = effects.get(dim, 0)
        parts.append(f"{dim} {field[dim]}" + (f" ({delta:+d})" if delta else ""))
    return "Field: " + ", ".join(parts)


def _hidden_line(scenario: Scenario, hidden: dict[str, int], changes: dict[str, int]) -> str:
    parts = []
    for name in scenario.hidden_variables:
        delta = changes.get(name, 0)
        parts.append(f"{name} {hidden[name]}" + (f" ({delta:+d})" if delta else ""))
    return "Hidden: " + ", ".join(parts)


def _indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text.strip(), prefix)


def play(
    scenario: Scenario,
    choices: Sequence[int],
    reflection: str | None,
    out: TextIO,
    err: TextIO | None = None,
    seed: int | None = None,
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
    seed : int, optional
        If given, each choice node also lists its choices in the order a session
        with this seed shows them. ``choices`` are file indices either way.
    """
    out = _printable_stream(out)
    err = _printable_stream(sys.stderr if err is None else err)
    session = Session(scenario, seed=0 if seed is None else seed)
    movement = scenario.movement
    label = "all five movements" if movement == force.CAPSTONE else force.movement(movement).name
    print(f"== {scenario.title} ({label})", file=out)
    print(f"Client: {scenario.client.name}. {scenario.client.about.strip()}", file=out)
    if scenario.content_note:
        print(f"Content note: {scenario.content_note.strip()}", file=out)
    print(_field_line(scenario, session.field, {}), file=out)
    if scenario.hidden:
        print(_hidden_line(scenario, session.hidden, {}), file=out)
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
            print(f"  Tone: {node.tone}", file=out)
            break
        if node.next is not None:
            session.advance()
            continue
        order = session.choice_order() if seed is not None else list(range(len(node.choices)))
        if seed is not None:
            how = "shuffled" if node.shuffle else "file order: shuffle is false"
            print(f"  Shown as (seed {seed}, {how}):", file=out)
            for i in order:
                print(f"    {i}: [{node.choices[i].lens}] {node.choices[i].say.strip()}", file=out)
        if not pending:
            print(f"\n(stopped: no index left for node '{node.id}'; its choices are)", file=out)
            for i in order:
                print(f"  {i}: [{node.choices[i].lens}] {node.choices[i].say}", file=out)
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
        if scenario.hidden:
            print("  " + _hidden_line(scenario, step.hidden, step.hidden_changes), file=out)
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


def _count(count: int, whole: int) -> str:
    share = f" ({round(100 * count / whole)}%)" if whole else ""
    return f"{count} of {whole}{share}"


def _audit_lines(figures: audits.Audit) -> list[str]:
    nodes = figures.choice_nodes
    lines = [f"  choice nodes: {nodes}"]
    for lens in ("integrative", "relational", "medical"):
        lines.append(f"  top-scoring choice is {lens}: {_count(figures.top_lens[lens], nodes)}")
    lines += [
        f"  top score shared by several choices: {_count(figures.tied, nodes)}",
        f"  top-scoring choice is also the longest: {_count(figures.top_is_longest, nodes)}",
        f"  all choices lead to the same next: {_count(figures.same_next, nodes)}",
        "  endings by tone: " + ", ".join(f"{t} {n}" for t, n in figures.endings.items()),
        f"  choices that lower {audits.SAFETY}, by lens: "
        + ", ".join(
            f"{lens} {figures.lower_safety[lens]} of {figures.choices[lens]}"
            for lens in figures.choices
        ),
    ]
    return lines


def audit(paths: Sequence[str], as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print the audit of each vignette file and the total; return the exit code.

    Parameters
    ----------
    paths : sequence of str
        Vignette files; one that is not valid is reported on ``err`` and skipped.
    as_json : bool
        Print one JSON object (``vignettes``, ``total``, ``ties``) instead of text.
    out, err : file
        Where the figures and the problems go.
    """
    found: list[audits.Audit] = []
    status = EXIT_OK
    for path in paths:
        try:
            found.append(audits.audit(load_scenario(path)))
        except ScenarioError as exc:
            print(exc, file=err)
            status = EXIT_INVALID
    total = audits.combine(found, name=f"all {len(found)} vignettes")
    if as_json:
        data = {
            "vignettes": [a.to_dict() for a in found],
            "total": total.to_dict(),
            "ties": audits.TIES,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
        return status
    for figures in found:
        print(f"{figures.name} ({figures.files[0]})", file=out)
        print("\n".join(_audit_lines(figures)), file=out)
    if found:
        print(f"In total ({total.name}):", file=out)
        print("\n".join(_audit_lines(total)), file=out)
        print(textwrap.fill(audits.TIES, width=100), file=out)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    out, err = _printable_stream(sys.stdout), _printable_stream(sys.stderr)
    if args.command == "validate":
        problems = validate_files(args.files, max_states=args.max_states)
        for problem in problems:
            print(problem, file=out)
        return EXIT_INVALID if any(not p.warning for p in problems) else EXIT_OK
    if args.command == "audit":
        return audit(args.files, args.json, out, err)
    try:
        scenario = load_scenario(args.file)
    except ScenarioError as exc:
        print(exc, file=err)
        return EXIT_INVALID
    return play(scenario, args.choose, args.reflect, out, err, seed=args.seed)
