"""Tests of instructor/feedback.py: test-cell errors that reveal no hidden test."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import ClearHiddenTests

from instructor.feedback import (
    HIDDEN_FAILURE,
    HideHiddenTestErrors,
    failing_line,
    hidden_line_numbers,
)

SOURCE = (
    'assert lens_of("diagnosis") == "medical", "visible message"\n'
    "### BEGIN HIDDEN TESTS\n"
    'assert lens_of("between us") == "relational", "secret-hidden-message"\n'
    "### END HIDDEN TESTS"
)


def traceback_at(line: int, execution_count: int = 3) -> list[str]:
    """An IPython-style traceback (with colour codes) that quotes the whole cell."""
    context = "\n".join(f"\x1b[1;32m  {n}\x1b[0m {text}" for n, text in
                        enumerate(SOURCE.split("\n"), start=1))
    return [
        "\x1b[0;31m------------\x1b[0m",
        "\x1b[0;31mAssertionError\x1b[0m   Traceback (most recent call last)",
        f"Cell \x1b[0;32mIn[{execution_count}], line {line}\x1b[0m\n{context}",
        "\x1b[0;31mAssertionError\x1b[0m: whatever",
    ]


def graded_cell(line: int, evalue: str) -> dict:
    cell = new_code_cell(SOURCE, execution_count=3)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "points": 2, "grade_id": "lens_tests", "schema_version": 3}
    cell.outputs = [
        new_output("stream", name="stdout", text="printed by a test\n"),
        new_output("error", ename="AssertionError", evalue=evalue,
                   traceback=traceback_at(line)),
    ]
    return cell


def feedback_text(cell) -> str:
    """Run the course's scrubber then nbgrader's ClearHiddenTests; return all cell text."""
    nb = new_notebook(cells=[cell])
    nb, _ = HideHiddenTestErrors().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    out = nb.cells[0]
    parts = [out.source]
    for output in out.outputs:
        parts += [output.get("evalue", ""), *output.get("traceback", []), output.get("text", "")]
    return "\n".join(parts)


def test_hidden_region_lines():
    """Are the hidden region's lines, delimiters included, the ones reported?"""
    assert hidden_line_numbers(SOURCE, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS") == {2, 3, 4}


def test_failing_line_is_read_from_the_cell_frame():
    """Is the failing line taken from the frame of the cell's own execution count?"""
    assert failing_line(traceback_at(3), 3) == 3
    assert failing_line(traceback_at(3, execution_count=9), 3) is None


def test_clear_hidden_tests_alone_leaks_through_the_traceback():
    """Does nbgrader's ClearHiddenTests alone leave hidden lines in the traceback? (the gap)"""
    cell = graded_cell(3, "secret-hidden-message")
    nb, _ = ClearHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    text = "\n".join(nb.cells[0].outputs[1].traceback)
    assert "between us" in text


def test_hidden_failure_becomes_a_generic_message():
    """Does a failing hidden assertion show only "a hidden test failed", no hidden text?"""
    text = feedback_text(graded_cell(3, "secret-hidden-message"))
    assert "Test cell 'lens_tests' failed: " + HIDDEN_FAILURE in text
    assert "between us" not in text
    assert "secret-hidden-message" not in text
    assert "printed by a test" not in text


def test_visible_failure_keeps_its_message_only():
    """Does a failing visible assertion show its message, but no hidden line as context?"""
    text = feedback_text(graded_cell(1, "visible message"))
    assert "Test cell 'lens_tests' failed: AssertionError: visible message" in text
    assert "between us" not in text


def test_cell_without_hidden_tests_keeps_other_outputs():
    """Are prints of a test cell without hidden tests kept, its traceback still shortened?"""
    cell = graded_cell(1, "visible message")
    cell.source = SOURCE.split("\n")[0]
    nb, _ = HideHiddenTestErrors().preprocess(new_notebook(cells=[cell]), {})
    outputs = nb.cells[0].outputs
    assert outputs[0].text == "printed by a test\n"
    message = "Test cell 'lens_tests' failed: AssertionError: visible message"
    assert outputs[1].traceback == [message]


def test_timeout_is_named():
    """Is a test cell stopped by the timeout reported as such, without its source?"""
    cell = graded_cell(3, "")
    cell.outputs = [new_output("error", ename="CellTimeoutError", evalue="",
                               traceback=["CellTimeoutError: No reply from kernel"])]
    text = feedback_text(cell)
    assert "did not finish within the time limit" in text
    assert "between us" not in text


def test_solution_cells_are_left_alone():
    """Are errors in a student's own answer cell kept as they are?"""
    cell = new_code_cell("1/0", execution_count=1)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                 "grade_id": "answer", "schema_version": 3}
    error = new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                       traceback=["ZeroDivisionError: division by zero"])
    cell.outputs = [error]
    nb, _ = HideHiddenTestErrors().preprocess(new_notebook(cells=[cell]), {})
    assert nb.cells[0].outputs == [error]
