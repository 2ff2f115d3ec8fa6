"""Feedback without hidden tests: a preprocessor for ``nbgrader generate_feedback``.

nbgrader's ``ClearHiddenTests`` removes the hidden-test region from a test cell's
source, but the error output of a failing test still holds IPython's traceback,
which prints the lines around the failing one, hidden lines included, and the
hidden assertion's own message. :class:`HideHiddenTestErrors` replaces each error
output of a test (grade) cell with one line that names the cell and says what
failed, keeping the message only when the failing line is a visible test.

It must run before ``ClearHiddenTests`` (it reads the hidden region to know which
line failed); ``nbgrader_config.py`` puts it there.
"""

from __future__ import annotations

import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython >= 8 names a frame of a notebook cell "Cell In[7], line 12".
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")

HIDDEN_FAILURE = "a hidden test failed"
TIMEOUT_FAILURE = "the cell did not finish within the time limit and was stopped"


def strip_ansi(text: str) -> str:
    """Return ``text`` without ANSI colour escapes."""
    return _ANSI.sub("", text)


def hidden_line_numbers(source: str, begin: str, end: str) -> set[int]:
    """Return the 1-based numbers of the lines of a hidden-test region, delimiters included.

    Parameters
    ----------
    source : str
        A cell's source.
    begin, end : str
        The delimiters (``BEGIN HIDDEN TESTS`` and ``END HIDDEN TESTS`` by default).
    """
    hidden: set[int] = set()
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            inside = True
        if inside:
            hidden.add(number)
        if end in line:
            inside = False
    return hidden


def failing_line(traceback: list[str], execution_count: int | None) -> int | None:
    """Return the line of the cell itself at which the error was raised, if the traceback says.

    The first frame that belongs to the cell (``Cell In[<execution_count>]``) is the
    line of the test cell that called whatever failed. Returns None when no frame
    names the cell (a syntax error, a timeout, a dead kernel).
    """
    for entry in traceback:
        for match in _CELL_FRAME.finditer(strip_ansi(entry)):
            count, line = int(match.group(1)), int(match.group(2))
            if execution_count is None or count == execution_count:
                return line
    return None


def failure_message(
    grade_id: str, output: NotebookNode, execution_count: int | None, hidden: set[int]
) -> str:
    """Return the one line that replaces the error output of a test cell.

    Parameters
    ----------
    grade_id : str
        The test cell's nbgrader id, named in the message.
    output : NotebookNode
        The error output (``ename``, ``evalue``, ``traceback``).
    execution_count : int or None
        The cell's execution count, to find its own frame in the traceback.
    hidden : set of int
        Line numbers of the cell's hidden-test region.
    """
    ename = output.get("ename", "Error")
    evalue = output.get("evalue", "")
    prefix = f"Test cell '{grade_id}' failed: "
    if ename == "CellTimeoutError":
        return prefix + TIMEOUT_FAILURE + "."
    line = failing_line(output.get("traceback", []), execution_count)
    if hidden and (line is None or line in hidden):
        return prefix + HIDDEN_FAILURE + "."
    return prefix + (f"{ename}: {evalue}" if evalue else ename)


class HideHiddenTestErrors(NbGraderPreprocessor):
    """Replace the tracebacks of test cells with a message that reveals no hidden test.

    In every grade code cell, each error output becomes a single line: the cell id
    and the exception with its message when a visible line failed, or
    ``a hidden test failed`` when a hidden line failed (or when the failing line
    cannot be told). In a cell that has a hidden-test region, other outputs (prints,
    displays) are dropped too, since they may come from hidden lines.
    """

    begin_test_delimeter = Unicode(
        "BEGIN HIDDEN TESTS", help="The delimiter marking the beginning of hidden tests."
    ).tag(config=True)

    end_test_delimeter = Unicode(
        "END HIDDEN TESTS", help="The delimiter marking the end of hidden tests."
    ).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Rewrite the outputs of one grade code cell; leave other cells alone."""
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        hidden = hidden_line_numbers(
            cell.source, self.begin_test_delimeter, self.end_test_delimeter
        )
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = failure_message(grade_id, output, cell.get("execution_count"), hidden)
                outputs.append(
                    NotebookNode(
                        output_type="error",
                        ename=output.get("ename", "Error"),
                        evalue="" if HIDDEN_FAILURE in message else output.get("evalue", ""),
                        traceback=[message],
                    )
                )
            elif not hidden:
                outputs.append(output)
        cell.outputs = outputs
        return cell, resources
