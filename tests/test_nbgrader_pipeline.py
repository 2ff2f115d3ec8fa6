"""The whole grading loop, with real nbgrader commands, on a small fixture assignment.

One course copy (module scope) releases tests/fixtures/nbgrader/solutions/lens_fixture,
receives one submission per situation below, is autograded once and gets feedback
once; each test then reads the gradebook, the autograded notebooks or the feedback.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from instructor.course_copy import (
    cell_by_id,
    copy_course,
    isolated_env,
    read,
    run_nbgrader,
    submit,
)
from instructor.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nbgrader"
ASSIGNMENT = NOTEBOOK = "lens_fixture"
TIMEOUT = "8"  # seconds per cell here, so the endless loop costs little

CORRECT = (
    "def lens_of(response):\n"
    '    if "diagnos" in response.lower():\n'
    '        return "medical"\n'
    '    return "relational" if "between us" in response else "integrative"'
)
ALWAYS_RELATIONAL = 'def lens_of(response):\n    return "relational"'
ALWAYS_MEDICAL = 'def lens_of(response):\n    return "medical"'
ENDLESS = "def lens_of(response):\n    while True:\n        pass"
OWN_REFLECTION = "A diagnosis gives us shared words; it can hide what happens between us."

# Text that exists only in solutions/ and must never reach a student.
SECRETS = [
    "fixture-solution-marker",
    "fixture-hidden-message",
    "What is happening between us now?",
    "BEGIN HIDDEN TESTS",
    "fixture-exemplar-marker",
    "fixture-grader-note-marker",
]


def answered(exercise: Path, code: str, reflection: str = OWN_REFLECTION):
    """The released notebook with this code answer and reflection."""
    nb = read(exercise)
    cell_by_id(nb, "lens_answer").source = code
    cell_by_id(nb, "reflection").source = reflection
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A released, submitted, autograded course copy with feedback; yields (path, autograde run)."""
    root = copy_course(tmp_path_factory.mktemp("course"), solutions=FIXTURES / "solutions")
    env = isolated_env(root, IRH_AUTOGRADE_TIMEOUT=TIMEOUT)
    db = f"sqlite:///{root / 'gradebook.db'}"
    release(root, db_url=db)
    exercise = root / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

    source = read(root / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    submit(root, "solution", ASSIGNMENT, NOTEBOOK, source)
    submit(root, "blank", ASSIGNMENT, NOTEBOOK, read(exercise))
    submit(root, "passing", ASSIGNMENT, NOTEBOOK, answered(exercise, CORRECT))
    submit(root, "visible-fail", ASSIGNMENT, NOTEBOOK, answered(exercise, ALWAYS_RELATIONAL))
    submit(root, "hidden-fail", ASSIGNMENT, NOTEBOOK, answered(exercise, ALWAYS_MEDICAL))

    tampered = answered(exercise, ALWAYS_RELATIONAL)
    cell_by_id(tampered, "lens_tests").source = "assert True"
    submit(root, "tampered", ASSIGNMENT, NOTEBOOK, tampered)

    inflated = answered(exercise, CORRECT)
    cell_by_id(inflated, "lens_tests").metadata["nbgrader"]["points"] = 100
    submit(root, "inflated", ASSIGNMENT, NOTEBOOK, inflated)

    deleted = answered(exercise, CORRECT)
    deleted.cells.remove(cell_by_id(deleted, "lens_tests"))
    submit(root, "deleted", ASSIGNMENT, NOTEBOOK, deleted)

    no_answer = answered(exercise, CORRECT)
    no_answer.cells.remove(cell_by_id(no_answer, "reflection"))
    submit(root, "deleted-answer", ASSIGNMENT, NOTEBOOK, no_answer)

    submit(root, "endless", ASSIGNMENT, NOTEBOOK, answered(exercise, ENDLESS))
    submit(root, "malformed", ASSIGNMENT, NOTEBOOK,
           (FIXTURES / "malformed-submission.txt").read_bytes())

    graded = run_nbgrader(root, "autograde", ASSIGNMENT, "--force", env=env)
    feedback = run_nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    assert feedback.returncode == 0, feedback.stderr
    yield root, graded


def score(root: Path, student: str, cell: str = "lens_tests") -> float:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_grade(cell, NOTEBOOK, ASSIGNMENT, student).score


def max_score(root: Path, student: str) -> float:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_submission(ASSIGNMENT, student).max_score


def feedback_text(root: Path, student: str) -> str:
    """The feedback page as a person reads it: tags removed, entities decoded."""
    page = (root / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_solution_scores_full_autograded_marks(course):
    """Does the solution notebook, submitted as a student, get every autograded point?"""
    root, _ = course
    assert score(root, "solution") == 2


def test_blank_submission_scores_zero(course):
    """Does the released notebook submitted blank score zero in total?"""
    root, _ = course
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert gb.find_submission(ASSIGNMENT, "blank").score == 0


def test_edited_locked_test_cell_gives_no_credit(course):
    """Is a test cell the student replaced by `assert True` restored, so a wrong answer fails?"""
    root, _ = course
    assert score(root, "tampered") == 0
    nb = read(root / "autograded" / "tampered" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    assert "assert True" not in cell_by_id(nb, "lens_tests").source


def test_inflated_points_are_reset(course):
    """Does a test cell whose points were raised to 100 still count its real 2 points?"""
    root, _ = course
    assert score(root, "inflated") == 2
    assert max_score(root, "inflated") == max_score(root, "passing") == 5


def test_deleted_test_cell_is_restored_and_graded(course):
    """Is a deleted test cell added back from the gradebook and graded?"""
    root, _ = course
    nb = read(root / "autograded" / "deleted" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    assert "BEGIN HIDDEN TESTS" in cell_by_id(nb, "lens_tests").source
    assert score(root, "deleted") == 2


def test_deleted_answer_cell_is_restored_without_the_exemplar(course):
    """Is a deleted written-answer cell restored as the blank stub, not the exemplar?"""
    root, _ = course
    nb = read(root / "autograded" / "deleted-answer" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    source = cell_by_id(nb, "reflection").source
    assert "YOUR ANSWER HERE" in source
    assert "fixture-exemplar-marker" not in source


def test_malformed_notebook_is_reported_and_others_graded(course):
    """Is a malformed submission reported (exit 1) while every other student is graded?"""
    root, graded = course
    assert graded.returncode == 1
    assert "malformed" in graded.stdout + graded.stderr
    for student in ("solution", "passing", "deleted", "endless"):
        assert (root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()


def test_endless_loop_is_stopped_and_others_graded(course):
    """Is an endless loop interrupted by the timeout, scored 0, and are the others graded?"""
    root, _ = course
    assert score(root, "endless") == 0
    assert score(root, "passing") == 2
    assert "did not finish within the time limit" in feedback_text(root, "endless")


@pytest.mark.parametrize(
    "student",
    ["passing", "visible-fail", "hidden-fail", "blank", "endless", "tampered", "deleted-answer"],
)
def test_feedback_shows_no_hidden_test_nor_grader_note(course, student):
    """Does the feedback page of this student show no hidden test, solution or grader note?"""
    root, _ = course
    text = feedback_text(root, student)
    assert "lens_tests" in text  # the page is the real feedback, with the test cell
    for secret in SECRETS:
        assert secret not in text, (student, secret)


def test_feedback_of_hidden_failure_is_generic(course):
    """Does a student failing only a hidden test read "a hidden test failed", nothing more?"""
    root, _ = course
    text = feedback_text(root, "hidden-fail")
    assert "Test cell 'lens_tests' failed: a hidden test failed." in text


def test_feedback_of_visible_failure_names_the_assertion(course):
    """Does a student failing a visible test read that test's message?"""
    root, _ = course
    text = feedback_text(root, "visible-fail")
    assert "Test cell 'lens_tests' failed: AssertionError: a response about diagnosis" in text


def test_feedback_of_passing_student_reports_no_failure(course):
    """Does a passing student's feedback show the full test score and no failure?"""
    root, _ = course
    text = feedback_text(root, "passing")
    assert "failed:" not in text
    assert re.search(r"Score:\s*2(\.0)?\s*/\s*2", text), text[:2000]
