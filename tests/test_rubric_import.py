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


def problems_of(path: Path, db: str) -> list[str]:
    with pytest.raises(RubricImportError) as caught:
        import_rubric(path, db)
    return caught.value.problems


def test_row_with_more_fields_than_the_header_is_refused(db, tmp_path):
    """Is a row with an unquoted comma in its comment refused with its line, not truncated,
    and listed with the other rows' problems?"""
    student = submitted_student(db)
    before = grade(db, student, "case-answer")
    csv = write(tmp_path, f"{student},{A},{A},practice-answer,3,",
                f"{student},{A},{A},case-answer,4,Clear, specific",
                f"{student},{A},{A},practice-answer,9,")
    problems = problems_of(csv, db)
    assert problems == [
        f"{csv}:3: 7 fields where the header has 6 (quote a comment that holds a comma)",
        f"{csv}:4: score 9 is above the maximum 4 of cell 'practice-answer'",
        f"{csv}:4: the same cell was already graded on line 2",
    ]
    assert grade(db, student, "case-answer") == before


def test_problem_names_the_line_where_its_row_starts(db, tmp_path):
    """Is a problem reported on the line where its row starts, also for a comment on two lines?"""
    student = submitted_student(db)
    csv = write(tmp_path, f'{student},{A},{A},practice-answer,9,"two\nlines"',
                f"{student},{A},{A},case-answer,9,")
    assert [p.split(": ")[0] for p in problems_of(csv, db)] == [f"{csv}:2", f"{csv}:4"]


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission
def test_grade_for_a_submission_never_autograded_is_refused(db, tmp_path):
    """Is a grade for a submission that nbgrader could not autograde refused?"""
    with Gradebook(db) as gb:
        submitted = {s.student.id for s in gb.find_assignment(A).submissions}
        absent = sorted({s.id for s in gb.students} - submitted)[0]
        # what `nbgrader autograde` leaves for a notebook it cannot read: the submission's
        # rows, and no score on any cell
        gb.add_submission(A, absent)
    csv = write(tmp_path, f"{absent},{A},{A},case-answer,2,")
    assert problems_of(csv, db) == [
        f"{csv}:2: {absent}'s {A}/{A} was never autograded (nbgrader could not read the "
        "notebook); fix the submission and autograde it again first"
    ]


def test_manual_score_on_a_test_cell_is_refused(db, tmp_path):
    """Is a score for an autograded test cell refused, since only answers are graded by hand?"""
    student = submitted_student(db)
    csv = write(tmp_path, f"{student},{A},{A},lens-tests,3,")
    assert problems_of(csv, db) == [
        f"{csv}:2: cell 'lens-tests' is an autograded test cell; only written answers and "
        "tasks take a rubric score"
    ]


def test_duplicate_header_names_are_refused(db, tmp_path):
    """Is a header naming a column twice refused on line 1?"""
    student = submitted_student(db)
    path = tmp_path / "grades.csv"
    path.write_text("student,assignment,notebook,cell,score,score\n"
                    f"{student},{A},{A},case-answer,1,5\n", encoding="utf-8")
    assert problems_of(path, db) == [f"{path}:1: column 'score' appears twice in the header"]


@pytest.mark.parametrize("score", ["５", "\u0663", "1_0", "1e0", "nan", "inf", "0x1", "", " "])
def test_score_must_be_plain_ascii_decimal(db, tmp_path, score):
    """Is a score that Python's float() accepts but a grader did not mean refused?"""
    student = submitted_student(db)
    csv = write(tmp_path, f"{student},{A},{A},case-answer,{score},")
    problems = problems_of(csv, db)
    assert len(problems) == 1 and problems[0].startswith(f"{csv}:2: "), problems
    assert ("is not a number" in problems[0]) or ("empty score" in problems[0])


def test_plain_decimals_are_accepted(db, tmp_path):
    """Are 4, 4.5, .5 and 3. accepted as scores?"""
    student = submitted_student(db)
    csv = write(tmp_path, f"{student},{A},{A},case-answer,4.5,",
                f"{student},{A},{A},practice-answer,.5,")
    assert [r.score for r in import_rubric(csv, db)] == [4.5, 0.5]


def test_score_just_above_the_maximum_is_shown_as_written(db, tmp_path):
    """Does a score of 5.0000001 against a maximum of 5 read as written, not as 5?"""
    student = submitted_student(db)
    csv = write(tmp_path, f"{student},{A},{A},case-answer,5.0000001,")
    assert problems_of(csv, db) == [
        f"{csv}:2: score 5.0000001 is above the maximum 5 of cell 'case-answer'"
    ]


def test_file_that_is_not_utf8_is_reported_with_its_line(db, tmp_path):
    """Is a Latin-1 file reported as file:line, without a traceback, exit 1, from the CLI?"""
    student = submitted_student(db)
    path = tmp_path / "grades.csv"
    path.write_bytes((HEADER + f"{student},{A},{A},case-answer,4,ok\n"
                      f"{student},{A},{A},practice-answer,3,très bien\n").encode("latin-1"))
    assert problems_of(path, db) == [
        f"{path}:3: not UTF-8 text (byte 0xe8); save the file as UTF-8"
    ]
    done = subprocess.run([sys.executable, "-m", "instructor", "import-rubric", str(path),
                           "--db", db], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{path}:3: not UTF-8 text" in done.stderr and "Traceback" not in done.stderr


def test_oversize_field_is_reported_with_its_line(db, tmp_path):
    """Is a field beyond the csv module's size limit reported as file:line, exit 1?"""
    student = submitted_student(db)
    path = tmp_path / "grades.csv"
    path.write_text(HEADER + f"{student},{A},{A},case-answer,4,ok\n"
                    f'{student},{A},{A},case-answer,4,"{"x" * 200_000}"\n', encoding="utf-8")
    problems = problems_of(path, db)
    assert problems == [f"{path}:3: a field is longer than 131072 characters"], problems
    done = subprocess.run([sys.executable, "-m", "instructor", "import-rubric", str(path),
                           "--db", db], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{path}:3: a field is longer" in done.stderr and "Traceback" not in done.stderr
