"""Read the nbgrader gradebook into pandas tables, and export grades.

Two tables feed every export and the dashboard:

- :func:`load_submissions`: one row per student and assignment, every student and
  every assignment (a missing submission is a row with ``submitted`` False);
- :func:`load_cells`: one row per graded cell of each submission.

Exports: grades in nbgrader's CSV layout (:func:`nbgrader_export`), a Canvas
gradebook import CSV (:func:`canvas_frame`) and each student's scores per movement
(:func:`movement_scores`). Every CSV is written through :mod:`instructor.safe_csv`,
so no name or id is read as a formula by a spreadsheet.

A submission that nbgrader could not autograde (a notebook it cannot read still
gets a gradebook row, with no score on any cell, which nbgrader counts as 0) is
told apart from a real zero (:func:`never_autograded`): its score is missing, and
every export leaves it blank.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from nbgrader.api import (
    Assignment,
    Grade,
    Gradebook,
    MissingEntry,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
    TaskCell,
)
from nbgrader.plugins import ExportPlugin

from instructor.movements import OTHER, groups, movement_of
from instructor.release import course_root
from instructor.safe_csv import write_frame, write_rows

#: Environment variable naming the gradebook (an SQLAlchemy URL).
GRADEBOOK_ENV = "IRH_GRADEBOOK_URL"

#: The first columns of a Canvas gradebook import file, in Canvas's order.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

#: The columns of ``nbgrader export`` (nbgrader's CSV export plugin), in its order.
NBGRADER_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score",
]


def default_db_url() -> str:
    """Return the gradebook URL: ``$IRH_GRADEBOOK_URL``, else the course's ``gradebook.db``."""
    return os.environ.get(GRADEBOOK_ENV) or f"sqlite:///{course_root() / 'gradebook.db'}"


def require_gradebook(db_url: str) -> None:
    """Refuse a SQLite URL whose file is missing (SQLAlchemy would create an empty one).

    Raises
    ------
    FileNotFoundError
        Naming the missing file and the URL it came from.
    """
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and ":memory:" not in db_url:
        file = Path(db_url[len(prefix):])
        if not file.is_file():
            raise FileNotFoundError(f"no gradebook at {file} (from {db_url})")


def autograded_test_cells(notebook: Notebook) -> set[str]:
    """Return the names of a source notebook's autograded test cells.

    A test cell is a graded code cell that is not also an answer (solution) cell:
    nbgrader scores it on every autograde run, and no grader scores it by hand.
    Written answers (graded solution cells), graded markdown cells and tasks are
    graded by hand.
    """
    answers = {cell.name for cell in notebook.solution_cells}
    return {
        cell.name for cell in notebook.grade_cells
        if cell.cell_type == "code" and cell.name not in answers
    }


def never_autograded(gb: Gradebook) -> set[tuple[str, str, str]]:
    """Return the submitted notebooks that nbgrader never autograded.

    ``nbgrader autograde`` adds a submission's gradebook rows before it opens the
    notebook; when it cannot read it (for example a file that is not JSON) no cell
    gets a score, and nbgrader counts the submission as 0. Autograding always gives
    every autograded test cell (:func:`autograded_test_cells`) a score, so a
    notebook with test cells and no autograded score on any cell was never
    autograded. A notebook without test cells cannot be told apart and counts as
    autograded.

    Returns
    -------
    set of (assignment, student, notebook) tuples
    """
    with_tests = {
        nb.id for assignment in gb.assignments for nb in assignment.notebooks
        if autograded_test_cells(nb)
    }
    scored = {
        notebook_id for (notebook_id,) in
        gb.db.query(Grade.notebook_id).filter(Grade.auto_score.isnot(None)).distinct()
    }
    submitted = (
        gb.db.query(SubmittedNotebook.id, SubmittedNotebook.notebook_id, Assignment.name,
                    SubmittedAssignment.student_id, Notebook.name)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
    )
    return {
        (assignment, student, notebook)
        for submitted_id, notebook_id, assignment, student, notebook in submitted
        if notebook_id in with_tests and submitted_id not in scored
    }


SUBMISSION_COLUMNS = [
    "student", "first_name", "last_name", "email", "lms_user_id", "assignment", "movement",
    "duedate", "submitted", "autograded", "timestamp", "late", "seconds_late", "score",
    "max_score", "needs_manual_grade",
]

CELL_COLUMNS = [
    "student", "assignment", "movement", "notebook", "cell", "kind", "autograded",
    "auto_score", "manual_score", "score", "max_score", "needs_manual_grade", "failed_tests",
]


def _movements(gb: Gradebook, root: Path | None) -> dict[str, str]:
    return {a.name: movement_of(a.name, root) for a in gb.assignments}


def load_submissions(db_url: str, root: Path | None = None) -> pd.DataFrame:
    """Return one row per student and assignment of the gradebook.

    Parameters
    ----------
    db_url : str
        The gradebook's SQLAlchemy URL.
    root : Path, optional
        The course root, whose ``solutions/`` notebooks name each assignment's
        movement (default: this course).

    Returns
    -------
    pandas.DataFrame
        Columns ``student, first_name, last_name, email, lms_user_id, assignment,
        movement, duedate, submitted, autograded, timestamp, late, seconds_late,
        score, max_score, needs_manual_grade``. A missing submission has
        ``submitted`` False and a missing ``score`` (NaN). A submission nbgrader
        could not autograde (:func:`never_autograded`) has ``autograded`` False and a
        missing ``score`` too. ``late`` is True when nbgrader counts seconds past
        the due date (extensions included).
    """
    require_gradebook(db_url)
    rows = []
    with Gradebook(db_url) as gb:
        movements = _movements(gb, root)
        unread = {(a, s) for a, s, _ in never_autograded(gb)}
        students = sorted(gb.students, key=lambda s: s.id)
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            by_student = {s.student.id: s for s in assignment.submissions}
            max_score = float(assignment.max_score)
            for student in students:
                sub = by_student.get(student.id)
                autograded = sub is not None and (assignment.name, student.id) not in unread
                row = {
                    "student": student.id,
                    "first_name": student.first_name,
                    "last_name": student.last_name,
                    "email": student.email,
                    "lms_user_id": student.lms_user_id,
                    "assignment": assignment.name,
                    "movement": movements[assignment.name],
                    "duedate": assignment.duedate,
                    "submitted": sub is not None,
                    "autograded": autograded,
                    "timestamp": sub.timestamp if sub is not None else None,
                    "seconds_late": float(sub.total_seconds_late) if sub is not None else 0.0,
                    "score": float(sub.score) if autograded else float("nan"),
                    "max_score": max_score,
                    "needs_manual_grade": bool(sub.needs_manual_grade) if sub else False,
                }
                row["late"] = row["seconds_late"] > 0
                rows.append(row)
    frame = pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)
    for column in ("submitted", "autograded", "late", "needs_manual_grade"):
        frame[column] = frame[column].astype(bool)
    frame["duedate"] = pd.to_datetime(frame["duedate"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def load_cells(db_url: str, root: Path | None = None) -> pd.DataFrame:
    """Return one row per graded cell of each submission.

    ``kind`` is ``test`` for an autograded test cell (:func:`autograded_test_cells`)
    and ``rubric`` for an answer graded by hand (a written answer or a task);
    ``score`` is the manual score when a grader set one, else the autograded score.
    ``autograded`` is False for every cell of a notebook nbgrader could not
    autograde (:func:`never_autograded`). ``root`` is the course root, as for
    :func:`load_submissions`.
    """
    require_gradebook(db_url)
    rows = []
    with Gradebook(db_url) as gb:
        movements = _movements(gb, root)
        unread = never_autograded(gb)
        for assignment in gb.assignments:
            tests = {nb.name: autograded_test_cells(nb) for nb in assignment.notebooks}
            for sub in assignment.submissions:
                for notebook in sub.notebooks:
                    autograded = (assignment.name, sub.student.id, notebook.name) not in unread
                    for grade in notebook.grades:
                        cell = grade.cell
                        test = not isinstance(cell, TaskCell) and cell.name in tests[notebook.name]
                        rows.append({
                            "student": sub.student.id,
                            "assignment": assignment.name,
                            "movement": movements[assignment.name],
                            "notebook": notebook.name,
                            "cell": cell.name,
                            "kind": "test" if test else "rubric",
                            "autograded": autograded,
                            "auto_score": grade.auto_score,
                            "manual_score": grade.manual_score,
                            "score": float(grade.score),
                            "max_score": float(grade.max_score),
                            "needs_manual_grade": bool(grade.needs_manual_grade),
                            "failed_tests": bool(grade.failed_tests),
                        })
    frame = pd.DataFrame(rows, columns=CELL_COLUMNS)
    for column in ("autograded", "needs_manual_grade", "failed_tests"):
        frame[column] = frame[column].astype(bool)
    return frame


def display_name(row: pd.Series) -> str:
    """Return "Last, First" as Canvas shows a student, or the student id without names."""
    last, first = row.get("last_name"), row.get("first_name")
    if isinstance(last, str) and last and isinstance(first, str) and first:
        return f"{last}, {first}"
    return str(row["student"])


def canvas_frame(submissions: pd.DataFrame) -> pd.DataFrame:
    """Return a Canvas gradebook import table.

    Columns ``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per
    assignment. The first row is ``Points Possible`` with each assignment's maximum.
    ``ID`` is the student's LMS user id when the gradebook has one, ``SIS Login ID``
    the nbgrader student id (a hub login); Canvas matches students on either. A
    missing submission, and one nbgrader could not autograde, is left blank (Canvas
    then leaves that grade unchanged). Write it with :func:`write_canvas`.
    """
    assignments = sorted(submissions["assignment"].unique())
    if submissions.empty:
        return pd.DataFrame(columns=CANVAS_COLUMNS)
    scores = submissions.pivot(index="student", columns="assignment", values="score")
    people = submissions.drop_duplicates("student").set_index("student").sort_index()
    table = pd.DataFrame({
        "Student": [display_name(r) for _, r in people.reset_index().iterrows()],
        "ID": people["lms_user_id"].fillna("").astype(str).to_numpy(),
        "SIS User ID": "",
        "SIS Login ID": people.index.astype(str),
        "Section": "",
    })
    for name in assignments:
        table[name] = scores.loc[people.index, name].to_numpy()
    maxima = submissions.groupby("assignment")["max_score"].first()
    points = pd.DataFrame([{
        "Student": "Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "",
        "Section": "", **{name: maxima[name] for name in assignments},
    }])
    return pd.concat([points, table], ignore_index=True)[CANVAS_COLUMNS + assignments]


def movement_scores(submissions: pd.DataFrame) -> pd.DataFrame:
    """Return each student's score per movement group, in course order.

    One row per student and movement group that has assignments: ``student,
    movement, score, max_score, percent``. A missing submission counts 0 points of
    its maximum. A group holding a submission nbgrader could not autograde has no
    score and no percent (NaN, written blank), since its total is not known.
    """
    not_graded = submissions["submitted"] & ~submissions["autograded"]
    frame = submissions.assign(score=submissions["score"].fillna(0.0), unknown=not_graded)
    totals = frame.groupby(["student", "movement"], as_index=False).agg(
        score=("score", "sum"), max_score=("max_score", "sum"), unknown=("unknown", "any"))
    totals["score"] = totals["score"].where(~totals["unknown"])
    totals["percent"] = (100 * totals["score"] / totals["max_score"].where(totals["max_score"] > 0))
    order = {name: i for i, name in enumerate([*groups(), OTHER])}
    totals["_order"] = totals["movement"].map(order)
    totals = totals.sort_values(["student", "_order"]).drop(columns="_order")
    return totals.reset_index(drop=True)[["student", "movement", "score", "max_score", "percent"]]


def write_canvas(submissions: pd.DataFrame, path: Path | str) -> Path:
    """Write :func:`canvas_frame` as a CSV file that spreadsheets read as data."""
    return write_frame(canvas_frame(submissions), path)


def write_movement_scores(submissions: pd.DataFrame, path: Path | str) -> Path:
    """Write :func:`movement_scores` as a CSV file that spreadsheets read as data."""
    return write_frame(movement_scores(submissions), path)


def nbgrader_rows(gb: Gradebook, students: Sequence[str] = (),
                  assignments: Sequence[str] = ()) -> Iterable[list[Any]]:
    """Yield the rows of ``nbgrader export``'s CSV, one per assignment and student.

    The values are nbgrader's own: a missing submission scores 0 with no timestamp,
    ``score`` is the raw score less the late penalty, never below 0. A submission
    nbgrader could not autograde (:func:`never_autograded`) has a blank
    ``raw_score`` and ``score`` instead of 0. ``students`` and ``assignments``
    limit the rows, as nbgrader's ``--student`` and ``--assignment`` do.
    """
    unread = {(a, s) for a, s, _ in never_autograded(gb)}
    for assignment in gb.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for student in gb.students:
            if students and student.id not in students:
                continue
            try:
                sub = gb.find_submission(assignment.name, student.id)
            except MissingEntry:
                timestamp, raw, penalty, score = None, 0.0, 0.0, 0.0
            else:
                timestamp, penalty = sub.timestamp, sub.late_submission_penalty
                if (assignment.name, student.id) not in unread:
                    raw = sub.score
                    score = max(0.0, sub.score - (penalty or 0.0))
                else:
                    raw = score = None
            yield [assignment.name, assignment.duedate, timestamp, student.id, student.last_name,
                   student.first_name, student.email, raw, penalty, score, assignment.max_score]


def write_nbgrader_csv(gb: Gradebook, path: Path | str, students: Sequence[str] = (),
                       assignments: Sequence[str] = ()) -> Path:
    """Write the grades in ``nbgrader export``'s CSV layout, with every field quoted as needed.

    nbgrader's own CSV export joins fields with commas unquoted, so a name holding a
    comma, a quote or a line break shifts or breaks its row; here the csv module
    quotes such fields and text cells are neutralised (:mod:`instructor.safe_csv`).
    """
    return write_rows(path, NBGRADER_COLUMNS, nbgrader_rows(gb, students, assignments))


def nbgrader_export(out: Path | str, db_url: str | None = None) -> Path:
    """Write the gradebook's grades in ``nbgrader export``'s CSV layout; return the path.

    Parameters
    ----------
    out : Path or str
        The CSV file to write.
    db_url : str, optional
        The gradebook's SQLAlchemy URL (default: :func:`default_db_url`).
    """
    db_url = db_url or default_db_url()
    require_gradebook(db_url)
    with Gradebook(db_url) as gb:
        return write_nbgrader_csv(gb, Path(out).resolve())


class SafeCsvExportPlugin(ExportPlugin):
    """nbgrader export plugin writing :func:`write_nbgrader_csv`'s file.

    ``nbgrader export --exporter=instructor.grade_export.SafeCsvExportPlugin`` (or
    ``c.ExportApp.plugin_class`` in ``nbgrader_config.py``) then writes the same
    columns as nbgrader's own CSV plugin, properly quoted; ``--to``, ``--student``
    and ``--assignment`` work as there.
    """

    def export(self, gradebook: Gradebook) -> None:
        """Write the grades to ``--to`` (default ``grades.csv``)."""
        dest = self.to or "grades.csv"
        self.log.info("Exporting grades to %s", dest)
        write_nbgrader_csv(gradebook, dest, [str(s) for s in self.student],
                           [str(a) for a in self.assignment])
