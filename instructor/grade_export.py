"""Read the nbgrader gradebook into pandas tables, and export grades.

Two tables feed every export and the dashboard:

- :func:`load_submissions`: one row per student and assignment, every student and
  every assignment (a missing submission is a row with ``submitted`` False);
- :func:`load_cells`: one row per graded cell of each submission.

Exports: nbgrader's own CSV (:func:`nbgrader_export`, which runs ``nbgrader export``),
a Canvas gradebook import CSV (:func:`canvas_frame`) and each student's scores per
movement (:func:`movement_scores`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, TaskCell

from instructor.movements import groups, movement_of
from instructor.release import course_root

#: Environment variable naming the gradebook (an SQLAlchemy URL).
GRADEBOOK_ENV = "IRH_GRADEBOOK_URL"

#: The first columns of a Canvas gradebook import file, in Canvas's order.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

OTHER = "other"


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


def group_of(assignment: str) -> str:
    """Return the movement group of an assignment, or ``other`` for a name outside the scheme."""
    try:
        return movement_of(assignment)
    except ValueError:
        return OTHER


SUBMISSION_COLUMNS = [
    "student", "first_name", "last_name", "email", "lms_user_id", "assignment", "movement",
    "duedate", "submitted", "timestamp", "late", "seconds_late", "score", "max_score",
    "needs_manual_grade",
]

CELL_COLUMNS = [
    "student", "assignment", "movement", "notebook", "cell", "kind", "auto_score",
    "manual_score", "score", "max_score", "needs_manual_grade", "failed_tests",
]


def load_submissions(db_url: str) -> pd.DataFrame:
    """Return one row per student and assignment of the gradebook.

    Columns: ``student, first_name, last_name, email, lms_user_id, assignment,
    movement, duedate, submitted, timestamp, late, seconds_late, score, max_score,
    needs_manual_grade``. A missing submission has ``submitted`` False and a missing
    ``score`` (NaN); ``late`` is True when nbgrader counts seconds past the due
    date (extensions included).
    """
    require_gradebook(db_url)
    rows = []
    with Gradebook(db_url) as gb:
        students = sorted(gb.students, key=lambda s: s.id)
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            by_student = {s.student.id: s for s in assignment.submissions}
            max_score = float(assignment.max_score)
            for student in students:
                sub = by_student.get(student.id)
                row = {
                    "student": student.id,
                    "first_name": student.first_name,
                    "last_name": student.last_name,
                    "email": student.email,
                    "lms_user_id": student.lms_user_id,
                    "assignment": assignment.name,
                    "movement": group_of(assignment.name),
                    "duedate": assignment.duedate,
                    "submitted": sub is not None,
                    "timestamp": sub.timestamp if sub is not None else None,
                    "seconds_late": float(sub.total_seconds_late) if sub is not None else 0.0,
                    "score": float(sub.score) if sub is not None else float("nan"),
                    "max_score": max_score,
                    "needs_manual_grade": bool(sub.needs_manual_grade) if sub else False,
                }
                row["late"] = row["seconds_late"] > 0
                rows.append(row)
    frame = pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)
    for column in ("submitted", "late", "needs_manual_grade"):
        frame[column] = frame[column].astype(bool)
    frame["duedate"] = pd.to_datetime(frame["duedate"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def load_cells(db_url: str) -> pd.DataFrame:
    """Return one row per graded cell of each submission.

    ``kind`` is ``test`` for an autograded test cell and ``rubric`` for a manually
    graded answer (a graded markdown answer or a task); ``score`` is the manual
    score when a grader set one, else the autograded score.
    """
    require_gradebook(db_url)
    rows = []
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for notebook in sub.notebooks:
                    for grade in notebook.grades:
                        cell = grade.cell
                        manual = isinstance(cell, TaskCell) or cell.cell_type == "markdown"
                        rows.append({
                            "student": sub.student.id,
                            "assignment": assignment.name,
                            "movement": group_of(assignment.name),
                            "notebook": notebook.name,
                            "cell": cell.name,
                            "kind": "rubric" if manual else "test",
                            "auto_score": grade.auto_score,
                            "manual_score": grade.manual_score,
                            "score": float(grade.score),
                            "max_score": float(grade.max_score),
                            "needs_manual_grade": bool(grade.needs_manual_grade),
                            "failed_tests": bool(grade.failed_tests),
                        })
    frame = pd.DataFrame(rows, columns=CELL_COLUMNS)
    for column in ("needs_manual_grade", "failed_tests"):
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
    missing submission is left blank (Canvas then leaves that grade unchanged).
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
    its maximum.
    """
    frame = submissions.assign(score=submissions["score"].fillna(0.0))
    totals = frame.groupby(["student", "movement"], as_index=False)[["score", "max_score"]].sum()
    totals["percent"] = (100 * totals["score"] / totals["max_score"].where(totals["max_score"] > 0))
    order = {name: i for i, name in enumerate([*groups(), OTHER])}
    totals["_order"] = totals["movement"].map(order)
    totals = totals.sort_values(["student", "_order"]).drop(columns="_order")
    return totals.reset_index(drop=True)[["student", "movement", "score", "max_score", "percent"]]


def nbgrader_export(out: Path, db_url: str | None = None, root: Path | None = None) -> Path:
    """Write nbgrader's own grades CSV with ``nbgrader export --to``; return its path."""
    out = Path(out).resolve()
    command = [sys.executable, "-m", "nbgrader", "export", f"--to={out}"]
    if db_url:
        command.append(f"--db={db_url}")
    done = subprocess.run(
        command, cwd=root or course_root(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader export failed:\n{done.stdout}{done.stderr}")
    return out
