"""Import rubric grades from a CSV file into the nbgrader gradebook.

The CSV has a header and the columns ``student, assignment, notebook, cell, score,
comment`` (``comment`` may be empty). Every row is checked first: an unknown
student, assignment, notebook or cell, a student without a submission of the
assignment, a score that is not a number, negative or above the cell's maximum, a
comment on a cell that takes none, or the same cell twice. If any row has a
problem, every problem is reported with its line and nothing is written.
Otherwise all grades are written in one transaction: ``manual_score`` is set,
``needs_manual_grade`` is cleared (nbgrader's API leaves it set otherwise) and the
comment, if any, becomes the grader's comment.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry

from instructor.grade_export import require_gradebook

COLUMNS = ("student", "assignment", "notebook", "cell", "score", "comment")


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
    """Read a rubric CSV; return its rows (with their line numbers) and format problems."""
    path = Path(path)
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header and c != "comment"]
        if missing:
            problems.append(
                f"{path}:1: missing column(s) {', '.join(missing)}; "
                f"expected a header {','.join(COLUMNS)}"
            )
            return rows, problems
        reader.fieldnames = header
        for record in reader:
            values = {k: (v or "").strip() for k, v in record.items() if k is not None}
            values["line"] = reader.line_num
            rows.append(values)
    return rows, problems


def check_rows(gb: Gradebook, rows: list[dict[str, Any]], path: Path) -> tuple[
    list[RubricRow], list[str]
]:
    """Check rows against a gradebook; return the valid rows and every problem found."""
    problems: list[str] = []
    valid: list[RubricRow] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        where = f"{path}:{row['line']}"
        student, assignment = row.get("student", ""), row.get("assignment", "")
        notebook, cell = row.get("notebook", ""), row.get("cell", "")
        comment = row.get("comment", "")
        row_problems: list[str] = []
        required = ("student", "assignment", "notebook", "cell", "score")
        empty = [c for c in required if not row.get(c)]
        if empty:
            problems.append(f"{where}: empty {', '.join(empty)}")
            continue
        try:
            score = float(row["score"])
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            row_problems.append(f"{where}: score {row['score']!r} is not a number")
            score = math.nan
        if not math.isnan(score) and score < 0:
            row_problems.append(f"{where}: negative score {score:g}")

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
            gb.find_notebook(notebook, assignment)
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
        maximum = float(graded.max_score)
        if not math.isnan(score) and score > maximum:
            row_problems.append(
                f"{where}: score {score:g} is above the maximum {maximum:g} of cell {cell!r}"
            )
        if not any("unknown student" in p for p in row_problems):
            try:
                gb.find_submission(assignment, student)
            except MissingEntry:
                row_problems.append(
                    f"{where}: student {student!r} has no submission of {assignment!r}"
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
                RubricRow(row["line"], student, assignment, notebook, cell, score, comment)
            )
    return valid, problems


def _takes_comment(gb: Gradebook, cell: str, notebook: str, assignment: str) -> bool:
    for finder in (gb.find_solution_cell, gb.find_task_cell):
        try:
            finder(cell, notebook, assignment)
            return True
        except MissingEntry:
            continue
    return False


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
    if problems:
        raise RubricImportError(problems)
    with Gradebook(db_url) as gb:
        valid, problems = check_rows(gb, rows, path)
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
