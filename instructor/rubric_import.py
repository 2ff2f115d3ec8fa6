"""Import rubric grades from a CSV file into the nbgrader gradebook.

The CSV is UTF-8 text with a header and the columns ``student, assignment,
notebook, cell, score, comment`` (``comment`` may be empty or left out). Every row
is checked first: a file that is not UTF-8 or that the csv module cannot read (a
field beyond its size limit), a header naming a column twice, a row with more
fields than the header (an unquoted comma), an unknown student, assignment,
notebook or cell, an autograded test cell (only written answers and tasks are
graded by hand), a student without a submission of the assignment or whose
notebook nbgrader never autograded, a score that is not a plain decimal number
(ASCII digits and one optional point: no ``1_0``, ``1e1`` or other scripts'
digits, which Python's ``float`` accepts), negative or above the cell's maximum, a
comment on a cell that takes none, or the same cell twice. If any row has a
problem, every problem is reported as ``file:line: message`` (the line where the
row starts) and nothing is written. Otherwise all grades are written in one
transaction: ``manual_score`` is set, ``needs_manual_grade`` is cleared (nbgrader's
API leaves it set otherwise) and the comment, if any, becomes the grader's comment.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry

from instructor.grade_export import autograded_test_cells, never_autograded, require_gradebook

COLUMNS = ("student", "assignment", "notebook", "cell", "score", "comment")

#: A score as a grader writes it: ASCII digits with at most one decimal point, and
#: an optional sign (so that "-1" is reported as negative rather than as no number).
SCORE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class RubricImportError(ValueError):
    """Raised when a rubric CSV has problems; ``problems`` lists them, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s), nothing was written:\n" + "\n".join(problems)
        )


@dataclass(frozen=True)
class RubricRow:
    """One checked line of a rubric CSV."""

    line: int
    student: str
    assignment: str
    notebook: str
    cell: str
    score: float
    comment: str


def read_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read a rubric CSV; return its rows (with their line numbers) and format problems.

    Each row is a dict of the header's columns plus ``line``, the line on which the
    row starts. Problems are ``file:line: message`` strings; rows with a format
    problem are not returned.
    """
    path = Path(path)
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    text, problems = _decode(path)
    if problems:
        return rows, problems
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0  # the line on which the previous record ended
    header: list[str] | None = None
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # the reader cannot go on after this: report it and stop reading
            problems.append(f"{path}:{reader.line_num}: {_csv_error(error)}")
            break
        end = reader.line_num
        if not record or record == [""]:
            continue  # a blank line
        if header is None:
            header = [name.strip() for name in record]
            problems += _header_problems(path, header)
            if problems:
                break
            continue
        if len(record) > len(header):
            problems.append(
                f"{path}:{start}: {len(record)} fields where the header has {len(header)} "
                "(quote a comment that holds a comma)"
            )
            continue
        values = {name: value.strip() for name, value in zip(header, record, strict=False)}
        values["line"] = start
        rows.append(values)
    if header is None and not problems:
        problems.append(f"{path}:1: no header; expected {','.join(COLUMNS)}")
    return rows, problems


def _decode(path: Path) -> tuple[str, list[str]]:
    """Return the file's text, or problems naming each line that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            bad = line[error.start:error.start + 1].hex()
            problems.append(f"{path}:{number}: not UTF-8 text (byte 0x{bad}); "
                            "save the file as UTF-8")
    return "", problems


def _csv_error(error: csv.Error) -> str:
    """Say what a csv module error means for a grader."""
    if "field larger than field limit" in str(error):
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"cannot read this line as CSV ({error})"


def _header_problems(path: Path, header: list[str]) -> list[str]:
    problems = []
    twice = sorted({name for name in header if header.count(name) > 1})
    for name in twice:
        problems.append(f"{path}:1: column {name!r} appears twice in the header")
    missing = [c for c in COLUMNS if c not in header and c != "comment"]
    if missing:
        problems.append(
            f"{path}:1: missing column(s) {', '.join(missing)}; "
            f"expected a header {','.join(COLUMNS)}"
        )
    return problems


def check_rows(gb: Gradebook, rows: list[dict[str, Any]], path: Path) -> tuple[
    list[RubricRow], list[str]
]:
    """Check rows against a gradebook; return the valid rows and every problem found."""
    problems: list[str] = []
    valid: list[RubricRow] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    unread = never_autograded(gb)
    for row in rows:
        where = f"{path}:{row['line']}"
        student, assignment = row.get("student", ""), row.get("assignment", "")
        notebook, cell = row.get("notebook", ""), row.get("cell", "")
        comment, text = row.get("comment", ""), row.get("score", "")
        row_problems: list[str] = []
        required = ("student", "assignment", "notebook", "cell", "score")
        empty = [c for c in required if not row.get(c)]
        if empty:
            problems.append(f"{where}: empty {', '.join(empty)}")
            continue
        score: float | None = None
        if SCORE.fullmatch(text):
            score = float(text)
        else:
            row_problems.append(
                f"{where}: score {text!r} is not a number (write digits 0-9 and at most one "
                "decimal point, such as 4 or 4.5)"
            )
        if score is not None and score < 0:
            row_problems.append(f"{where}: negative score {text}")

        try:
            gb.find_student(student)
        except MissingEntry:
            row_problems.append(f"{where}: unknown student {student!r}")
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            row_problems.append(f"{where}: unknown assignment {assignment!r}")
            problems.extend(row_problems)
            continue
        try:
            source = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            row_problems.append(f"{where}: unknown notebook {notebook!r} in {assignment!r}")
            problems.extend(row_problems)
            continue
        try:
            graded = gb.find_graded_cell(cell, notebook, assignment)
        except MissingEntry:
            row_problems.append(
                f"{where}: unknown cell {cell!r} in {assignment}/{notebook} "
                "(expected the grade_id of a graded cell)"
            )
            problems.extend(row_problems)
            continue
        if cell in autograded_test_cells(source):
            # nbgrader would let a manual score override the test's result; a rubric
            # file is for answers, so a test cell here is taken for a slip
            row_problems.append(
                f"{where}: cell {cell!r} is an autograded test cell; only written answers "
                "and tasks take a rubric score"
            )
        maximum = float(graded.max_score)
        if score is not None and score > maximum:
            row_problems.append(
                f"{where}: score {text} is above the maximum {_number(maximum)} of cell {cell!r}"
            )
        if not any("unknown student" in p for p in row_problems):
            try:
                gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                row_problems.append(
                    f"{where}: student {student!r} has no submission of {assignment!r}"
                )
            else:
                if (assignment, student, notebook) in unread:
                    row_problems.append(
                        f"{where}: {student}'s {assignment}/{notebook} was never autograded "
                        "(nbgrader could not read the notebook); fix the submission and "
                        "autograde it again first"
                    )
        if comment and not _takes_comment(gb, cell, notebook, assignment):
            row_problems.append(
                f"{where}: cell {cell!r} takes no comment (only answer and task cells do)"
            )
        key = (student, assignment, notebook, cell)
        if key in seen:
            row_problems.append(f"{where}: the same cell was already graded on line {seen[key]}")
        else:
            seen[key] = row["line"]
        if row_problems:
            problems.extend(row_problems)
        else:
            valid.append(
                RubricRow(row["line"], student, assignment, notebook, cell, float(text), comment)
            )
    return valid, problems


def _number(value: float) -> str:
    """Write a maximum from the gradebook as a grader would: 5, not 5.0; 2.5 as is."""
    return str(int(value)) if value.is_integer() else repr(value)


def _takes_comment(gb: Gradebook, cell: str, notebook: str, assignment: str) -> bool:
    for finder in (gb.find_solution_cell, gb.find_task_cell):
        try:
            finder(cell, notebook, assignment)
            return True
        except MissingEntry:
            continue
    return False


def _line_of(problem: str, path: Path) -> int:
    """The line number of a ``file:line: message`` problem (for listing them in order)."""
    return int(problem[len(str(path)) + 1:].split(":", 1)[0])


def import_rubric(path: Path, db_url: str) -> list[RubricRow]:
    """Write the grades of a rubric CSV into the gradebook, all or nothing.

    Parameters
    ----------
    path : Path
        The CSV file (columns ``student, assignment, notebook, cell, score, comment``).
    db_url : str
        The gradebook's SQLAlchemy URL, such as ``sqlite:///gradebook.db``.

    Returns
    -------
    list of RubricRow
        The grades written.

    Raises
    ------
    RubricImportError
        If any line has a problem; nothing is written then.
    FileNotFoundError
        If the CSV file or a SQLite gradebook file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no rubric file {path}")
    require_gradebook(db_url)
    rows, problems = read_rows(path)
    if problems and not rows:
        raise RubricImportError(problems)
    with Gradebook(db_url) as gb:
        valid, found = check_rows(gb, rows, path)
        problems = sorted(problems + found, key=lambda p: _line_of(p, path))
        if problems:
            gb.db.rollback()
            raise RubricImportError(problems)
        try:
            for row in valid:
                grade = gb.find_grade(row.cell, row.notebook, row.assignment, row.student)
                grade.manual_score = row.score
                grade.needs_manual_grade = False
                if row.comment:
                    comment = gb.find_comment(row.cell, row.notebook, row.assignment, row.student)
                    comment.manual_comment = row.comment
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise
    return valid
