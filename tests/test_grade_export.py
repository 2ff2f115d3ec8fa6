"""Tests of instructor/grade_export.py and instructor/movements.py: grades out of the gradebook."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEMO_STUDENTS as STUDENTS
from nbgrader.api import Gradebook, MissingEntry

from instructor import demo_gradebook
from instructor.course_copy import copy_course, isolated_env, read, run_nbgrader, submit
from instructor.grade_export import (
    CANVAS_COLUMNS,
    canvas_frame,
    load_cells,
    load_submissions,
    movement_scores,
    nbgrader_export,
)
from instructor.movements import groups, movement_of
from instructor.release import find_assignments, release
from widgets.force import slugs

ROOT = Path(__file__).resolve().parent.parent
NBGRADER_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nbgrader"
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]


@pytest.fixture(scope="module")
def submissions(demo_db) -> pd.DataFrame:
    return load_submissions(demo_db)


def test_course_assignments_carry_their_movement():
    """Does each course notebook name its movement in its metadata, in course order?"""
    assert groups() == ["general", *slugs(), "capstone"]
    names = find_assignments(ROOT)
    assert [movement_of(n) for n in names] == ["general", *slugs(), "capstone"]
    for assignment in names:
        for path in (ROOT / "solutions" / assignment).glob("*.ipynb"):
            meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
            assert meta["irh"]["movement"] == movement_of(assignment), path
        group = movement_of(assignment)
        if group in slugs():
            assert group.replace("-", "_") in assignment, (assignment, group)


def course_with(tmp_path: Path, assignment: str, movement: str | None) -> Path:
    """A course folder whose solutions/ holds one assignment with this movement metadata."""
    folder = tmp_path / "solutions" / assignment
    folder.mkdir(parents=True)
    nb = json.loads((NBGRADER_FIXTURES / "solutions" / "lens_fixture" / "lens_fixture.ipynb")
                    .read_text(encoding="utf-8"))
    if movement is not None:
        nb["metadata"]["irh"] = {"movement": movement}
    (folder / f"{assignment}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return tmp_path


def test_movement_comes_from_metadata_not_the_name(tmp_path):
    """Does an m08 assignment map to the movement its notebook names, and to other without?"""
    assert movement_of("m08_extra", course_with(tmp_path / "a", "m08_extra", None)) == "other"
    assert movement_of("m08_extra", course_with(tmp_path / "b", "m08_extra", "diagnosis")) \
        == "diagnosis"
    assert movement_of("m08_extra", tmp_path / "no-such-course") == "other"
    assert movement_of("m08_extra") == "other"


def test_unknown_movement_in_metadata_is_refused(tmp_path):
    """Is a notebook naming a movement outside the course refused, naming its file?"""
    root = course_with(tmp_path, "m08_extra", "dagnosis")
    with pytest.raises(ValueError, match=r"m08_extra\.ipynb: .*'dagnosis'"):
        movement_of("m08_extra", root)


def test_submissions_cover_every_student_and_assignment(demo_db, submissions):
    """Is there one row per student and assignment, missing ones marked and unscored?"""
    assert len(submissions) == STUDENTS * len(demo_gradebook.ASSIGNMENTS)
    missing = submissions[~submissions["submitted"]]
    assert len(missing) > 0
    assert missing["score"].isna().all()
    with Gradebook(demo_db) as gb:
        row = submissions[submissions["submitted"]].iloc[0]
        sub = gb.find_submission(row["assignment"], row["student"])
        assert row["score"] == sub.score
        assert row["late"] == (sub.total_seconds_late > 0)
    assert submissions["late"].any()


def test_cells_distinguish_tests_from_rubrics(demo_db):
    """Are test cells and rubric-graded answers told apart, with their maxima?"""
    cells = load_cells(demo_db)
    assert set(cells["kind"]) == {"test", "rubric"}
    assert set(cells.loc[cells["kind"] == "rubric", "cell"]) == {"case-answer", "practice-answer"}
    assert (cells["score"] <= cells["max_score"]).all()
    assert cells.loc[cells["kind"] == "rubric", "needs_manual_grade"].any()


def test_canvas_layout(submissions, tmp_path):
    """Does the Canvas CSV have Canvas's columns, a Points Possible row and blank missing grades?"""
    table = canvas_frame(submissions)
    path = tmp_path / "canvas.csv"
    table.to_csv(path, index=False)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == CANVAS_COLUMNS + demo_gradebook.ASSIGNMENTS
    assert back.loc[0, "Student"] == "Points Possible"
    maxima = submissions.groupby("assignment")["max_score"].first()
    for name in demo_gradebook.ASSIGNMENTS:
        assert float(back.loc[0, name]) == maxima[name]
    assert len(back) == STUDENTS + 1
    missing = submissions[~submissions["submitted"]].iloc[0]
    row = back[back["SIS Login ID"] == missing["student"]].iloc[0]
    assert row[missing["assignment"]] == ""
    done = submissions[submissions["submitted"]].iloc[0]
    row = back[back["SIS Login ID"] == done["student"]].iloc[0]
    assert float(row[done["assignment"]]) == done["score"]
    assert row["Student"] == f"{done['last_name']}, {done['first_name']}"


def test_movement_scores(submissions):
    """Are each student's scores summed per movement, a missing submission counting 0?"""
    table = movement_scores(submissions)
    assert len(table) == STUDENTS * len(groups())
    first = table[table["student"] == "s001"]
    assert list(first["movement"]) == groups()
    general = submissions[(submissions["student"] == "s001")
                          & (submissions["assignment"] == "m01_relational_shift")].iloc[0]
    row = first[first["movement"] == "general"].iloc[0]
    expected = 0.0 if math.isnan(general["score"]) else general["score"]
    assert row["score"] == expected
    assert row["percent"] == pytest.approx(100 * expected / general["max_score"])


def test_nbgrader_own_export(demo_db, tmp_path):
    """Does `nbgrader export --to` write one row per student and assignment?"""
    out = nbgrader_export(tmp_path / "grades.csv", db_url=demo_db)
    grades = pd.read_csv(out)
    assert {"assignment", "student_id", "score", "max_score"} <= set(grades.columns)
    assert len(grades) == STUDENTS * len(demo_gradebook.ASSIGNMENTS)


def test_command_line(demo_db, tmp_path):
    """Does `python -m instructor export --canvas --by-movement` write both files?"""
    canvas, moves = tmp_path / "canvas.csv", tmp_path / "moves.csv"
    done = subprocess.run(
        [sys.executable, "-m", "instructor", "export", "--db", demo_db, "--canvas", str(canvas),
         "--by-movement", str(moves)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(canvas).iloc[0]["Student"] == "Points Possible"
    assert set(pd.read_csv(moves)["movement"]) == set(groups())


def copy_db(demo_db: str, tmp_path: Path) -> str:
    """A private copy of the demo gradebook, which a test may change."""
    path = tmp_path / "gradebook.db"
    shutil.copy(demo_db[len("sqlite:///"):], path)
    return f"sqlite:///{path}"


def export_all(db: str, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Run `python -m instructor export` for every format; return each file's rows."""
    out = {name: tmp_path / f"{name}.csv" for name in ("nbgrader", "canvas", "by-movement")}
    done = subprocess.run(
        [sys.executable, "-m", "instructor", "export", "--db", db,
         *(arg for name, path in out.items() for arg in (f"--{name}", str(path)))],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    rows = {}
    for name, path in out.items():
        with open(path, newline="", encoding="utf-8") as handle:
            rows[name] = list(csv.reader(handle))
    return rows


def records(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3", "+1", "\t=1+1", "\r=1", " =1+1"]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_formulas_are_neutralised_in_every_export(demo_db, tmp_path):
    """Is a name, id or LMS id that a spreadsheet would evaluate written as text everywhere?"""
    db = copy_db(demo_db, tmp_path)
    with Gradebook(db) as gb:
        for i, formula in enumerate(FORMULAS):
            gb.update_or_create_student(f"s{i + 1:03d}", last_name=formula, first_name="Ana",
                                        email=formula, lms_user_id=formula)
        gb.add_student("@SUM(1)", last_name="-2+3", first_name="=1+2", lms_user_id="-7")
    rows = export_all(db, tmp_path)
    for name, table in rows.items():
        for row in table:
            for cell in row:
                assert is_number(cell) or not (
                    cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in ("=", "+", "-", "@")
                ), (name, cell)
    canvas = {r["SIS Login ID"]: r for r in records(rows["canvas"])}
    assert canvas["s001"]["Student"] == "'=HYPERLINK(\"http://x\",\"y\"), Ana"
    assert canvas["s001"]["ID"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert canvas["s003"]["ID"] == "'-2+3"
    assert canvas["s005"]["ID"] == "'\t=1+1"
    assert canvas["s007"]["ID"] == "' =1+1"
    assert canvas["'@SUM(1)"]["Student"] == "'-2+3, =1+2"
    assert canvas["'@SUM(1)"]["ID"] == "'-7"
    grades = {(r["student_id"], r["assignment"]): r for r in records(rows["nbgrader"])}
    first = grades[("s001", "m01_relational_shift")]
    assert first["last_name"] == first["email"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert grades[("'@SUM(1)", "m01_relational_shift")]["first_name"] == "'=1+2"
    assert {r["student"] for r in records(rows["by-movement"])} >= {"s001", "'@SUM(1)"}
    # scores stay numbers: the points row and every grade of s001 parse as floats
    points = records(rows["canvas"])[0]
    assert all(is_number(points[a]) for a in demo_gradebook.ASSIGNMENTS)
    assert all(is_number(canvas["s001"][a]) or canvas["s001"][a] == ""
               for a in demo_gradebook.ASSIGNMENTS)
    assert is_number(first["score"]) and is_number(first["max_score"])


def test_nbgrader_format_quotes_commas_newlines_and_quotes(demo_db, tmp_path):
    """Does the nbgrader-format CSV keep a name with a comma, a newline or a quote in its column?"""
    db = copy_db(demo_db, tmp_path)
    with Gradebook(db) as gb:
        gb.update_or_create_student("s001", last_name="O'Neil, Jr.", first_name="Ana")
        gb.update_or_create_student("s002", last_name='Two\nLines "quoted"', first_name="Bo")
    out = nbgrader_export(tmp_path / "grades.csv", db_url=db)
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == NBGRADER_COLUMNS
    assert all(len(row) == len(NBGRADER_COLUMNS) for row in rows)
    grades = {(r["student_id"], r["assignment"]): r for r in records(rows)}
    assert len(grades) == STUDENTS * len(demo_gradebook.ASSIGNMENTS)
    assert grades[("s001", "m01_relational_shift")]["last_name"] == "O'Neil, Jr."
    assert grades[("s002", "m01_relational_shift")]["last_name"] == 'Two\nLines "quoted"'
    with Gradebook(db) as gb:
        for (student, assignment), row in grades.items():
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                assert row["timestamp"] == "" and float(row["score"]) == 0.0
                continue
            assert float(row["raw_score"]) == sub.score
            assert float(row["score"]) == max(0.0, sub.score - sub.late_submission_penalty)
            assert float(row["max_score"]) == sub.max_score
            assert row["timestamp"] == str(sub.timestamp)


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory) -> Path:
    """A course copy with one assignment, m08_extra (no movement in its metadata), released,
    with a solution and a malformed submission, autograded by nbgrader."""
    tmp = tmp_path_factory.mktemp("m08")
    solutions = tmp / "solutions"
    (solutions / "m08_extra").mkdir(parents=True)
    source = NBGRADER_FIXTURES / "solutions" / "lens_fixture" / "lens_fixture.ipynb"
    shutil.copy(source, solutions / "m08_extra" / "m08_extra.ipynb")
    root = copy_course(tmp / "course", solutions=solutions)
    release(root, db_url=f"sqlite:///{root / 'gradebook.db'}")
    submit(root, "solution", "m08_extra", "m08_extra", read(source))
    submit(root, "malformed", "m08_extra", "m08_extra",
           (NBGRADER_FIXTURES / "malformed-submission.txt").read_bytes())
    graded = run_nbgrader(root, "autograde", "m08_extra", "--force", env=isolated_env(root))
    assert graded.returncode == 1 and "malformed" in graded.stdout + graded.stderr
    return root


@pytest.mark.slow
def test_never_autograded_submission_is_told_apart(graded_course):
    """Is a submission nbgrader could not read marked as not autograded, with no score?"""
    subs = load_submissions(f"sqlite:///{graded_course / 'gradebook.db'}", root=graded_course)
    subs = subs.set_index("student")
    assert subs.loc["solution", "autograded"] and subs.loc["solution", "score"] == 2
    assert subs.loc["malformed", "submitted"] and not subs.loc["malformed", "autograded"]
    assert math.isnan(subs.loc["malformed", "score"])
    assert set(subs["movement"]) == {"other"}
    cells = load_cells(f"sqlite:///{graded_course / 'gradebook.db'}", root=graded_course)
    assert not cells.loc[cells["student"] == "malformed", "autograded"].any()
    assert cells.loc[cells["student"] == "solution", "autograded"].all()


@pytest.mark.slow
def test_never_autograded_submission_is_exported_blank(graded_course, tmp_path):
    """Is a submission nbgrader could not read exported blank, not 0, in every CSV?"""
    db = f"sqlite:///{graded_course / 'gradebook.db'}"
    out = {name: tmp_path / f"{name}.csv" for name in ("nbgrader", "canvas", "by-movement")}
    done = subprocess.run(
        [sys.executable, "-m", "instructor", "export", "--db", db,
         *(arg for name, path in out.items() for arg in (f"--{name}", str(path)))],
        cwd=graded_course, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    rows = {}
    for name, path in out.items():
        with open(path, newline="", encoding="utf-8") as handle:
            rows[name] = list(csv.reader(handle))
    canvas = {r["SIS Login ID"]: r for r in records(rows["canvas"])}
    assert canvas["malformed"]["m08_extra"] == ""
    assert float(canvas["solution"]["m08_extra"]) == 2
    grades = {r["student_id"]: r for r in records(rows["nbgrader"])}
    assert grades["malformed"]["raw_score"] == grades["malformed"]["score"] == ""
    assert float(grades["malformed"]["max_score"]) == 5
    assert float(grades["solution"]["score"]) == 2
    moves = {r["student"]: r for r in records(rows["by-movement"])}
    assert moves["malformed"]["movement"] == "other"
    assert moves["malformed"]["score"] == moves["malformed"]["percent"] == ""
    assert float(moves["solution"]["score"]) == 2


def test_plain_nbgrader_export_writes_the_same_file(demo_db, tmp_path):
    """Does a plain `nbgrader export` in the course write the course's quoted, safe file?"""
    db = copy_db(demo_db, tmp_path)
    with Gradebook(db) as gb:
        gb.update_or_create_student("s001", last_name="O'Neil, Jr.", first_name="=1+2")
    ours = nbgrader_export(tmp_path / "ours.csv", db_url=db)
    theirs = tmp_path / "theirs.csv"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--db={db}", f"--to={theirs}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert theirs.read_bytes() == ours.read_bytes()
    assert "\"O'Neil, Jr.\",'=1+2," in ours.read_text(encoding="utf-8")
