"""Tests of instructor/rubric_import.py: rubric grades from a CSV into the gradebook."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from instructor import demo_gradebook
from instructor.rubric_import import RubricImportError, import_rubric

ROOT = Path(__file__).resolve().parent.parent
A = "m03_assessment"
HEADER = "student,assignment,notebook,cell,score,comment\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gb") / "template.db"
    demo_gradebook.build(f"sqlite:///{path}", students=6)
    return path


@pytest.fixture
def db(template, tmp_path) -> str:
    """A fresh copy of the demo gradebook for one test."""
    path = tmp_path / "gradebook.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def submitted_student(db: str, assignment: str = A) -> str:
    with Gradebook(db) as gb:
        return sorted(s.student.id for s in gb.find_assignment(assignment).submissions)[0]


def grade(db: str, student: str, cell: str, assignment: str = A):
    with Gradebook(db) as gb:
        g = gb.find_grade(cell, assignment, assignment, student)
        comment = gb.find_comment(cell, assignment, assignment, student).manual_comment \
            if cell.endswith("answer") else None
        return g.manual_score, g.needs_manual_grade, g.score, comment


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "grades.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_accepted_grades_are_written_and_cleared(db, tmp_path):
    """Does an accepted grade set manual_score, clear needs_manual_grade and set the comment?"""
    student = submitted_student(db)
    with Gradebook(db) as gb:
        g = gb.find_grade("case-answer", A, A, student)
        g.needs_manual_grade = True
        gb.db.commit()
    csv = write(tmp_path, f'{student},{A},{A},case-answer,4,"Clear, specific; name the risk."')
    written = import_rubric(csv, db)
    assert [r.line for r in written] == [2]
    assert grade(db, student, "case-answer") == (4.0, False, 4.0, "Clear, specific; name the risk.")


def test_every_problem_is_listed_and_nothing_written(db, tmp_path):
    """Are all bad rows reported with their line, and is the good row not written either?"""
    student = submitted_student(db)
    before = grade(db, student, "practice-answer")
    csv = write(
        tmp_path,
        f"{student},{A},{A},practice-answer,3,good row",     # line 2: valid
        f"{student},{A},{A},case-answer,6,",                  # 3: above the maximum 5
        f"{student},{A},{A},case-answer,-1,",                 # 4: negative
        f"nobody,{A},{A},case-answer,1,",                     # 5: unknown student
        f"{student},m99_nothing,{A},case-answer,1,",          # 6: unknown assignment
        f"{student},{A},other_notebook,case-answer,1,",       # 7: unknown notebook
        f"{student},{A},{A},no-such-cell,1,",                 # 8: unknown cell
        f"{student},{A},{A},case-answer,four,",               # 9: not a number
    )
    with pytest.raises(RubricImportError) as caught:
        import_rubric(csv, db)
    problems = caught.value.problems
    expected = {
        3: "above the maximum 5", 4: "negative score", 5: "unknown student 'nobody'",
        6: "unknown assignment 'm99_nothing'", 7: "unknown notebook 'other_notebook'",
        8: "unknown cell 'no-such-cell'", 9: "is not a number",
    }
    for line, words in expected.items():
        found = [p for p in problems if p.startswith(f"{csv}:{line}: ") and words in p]
        assert found, (line, problems)
    assert not any(f"{csv}:2:" in p for p in problems)
    assert grade(db, student, "practice-answer") == before


def test_comment_on_test_cell_and_duplicates_are_refused(db, tmp_path):
    """Are a comment on an autograded test cell and a cell graded twice refused?"""
    student = submitted_student(db)
    csv = write(
        tmp_path,
        f"{student},{A},{A},lens-tests,3,well done",
        f"{student},{A},{A},case-answer,3,",
        f"{student},{A},{A},case-answer,4,",
    )
    with pytest.raises(RubricImportError) as caught:
        import_rubric(csv, db)
    text = "\n".join(caught.value.problems)
    assert ":2: cell 'lens-tests' takes no comment" in text
    assert ":4: the same cell was already graded on line 3" in text


def test_student_without_submission_is_refused(db, tmp_path):
    """Is a grade for a known student who did not submit the assignment refused?"""
    with Gradebook(db) as gb:
        submitted = {s.student.id for s in gb.find_assignment("m07_between_us").submissions}
        absent = sorted({s.id for s in gb.students} - submitted)
    assert absent, "the demo gradebook should have a missing submission"
    csv = write(tmp_path, f"{absent[0]},m07_between_us,m07_between_us,case-answer,2,")
    with pytest.raises(RubricImportError, match="has no submission"):
        import_rubric(csv, db)


def test_missing_column_is_reported(db, tmp_path):
    """Is a CSV without a score column refused with the expected header?"""
    path = tmp_path / "grades.csv"
    path.write_text("student,assignment,notebook,cell\ns001,a,b,c\n")
    with pytest.raises(RubricImportError, match="missing column"):
        import_rubric(path, db)


def test_missing_gradebook_is_not_created(tmp_path):
    """Does a --db pointing at no file fail instead of creating an empty gradebook?"""
    csv = write(tmp_path, f"s001,{A},{A},case-answer,1,")
    missing = tmp_path / "nope.db"
    with pytest.raises(FileNotFoundError):
        import_rubric(csv, f"sqlite:///{missing}")
    assert not missing.exists()


def test_command_line(db, tmp_path):
    """Does `python -m instructor import-rubric` exit 1 listing problems, and 0 when valid?"""
    student = submitted_student(db)
    bad = write(tmp_path, f"{student},{A},{A},case-answer,9,")
    run = [sys.executable, "-m", "instructor", "import-rubric", str(bad), "--db", db]
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{bad}:2: score 9 is above the maximum 5" in done.stderr
    assert "nothing was written" in done.stderr
    good = write(tmp_path, f"{student},{A},{A},case-answer,5,")
    run[4] = str(good)
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert grade(db, student, "case-answer")[:2] == (5.0, False)
