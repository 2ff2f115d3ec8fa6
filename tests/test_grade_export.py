"""Tests of instructor/grade_export.py and instructor/movements.py: grades out of the gradebook."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEMO_STUDENTS as STUDENTS
from nbgrader.api import Gradebook

from instructor import demo_gradebook
from instructor.grade_export import (
    CANVAS_COLUMNS,
    canvas_frame,
    load_cells,
    load_submissions,
    movement_scores,
    nbgrader_export,
)
from instructor.movements import groups, movement_of
from instructor.release import find_assignments
from widgets.force import slugs

ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture(scope="module")
def submissions(demo_db) -> pd.DataFrame:
    return load_submissions(demo_db)


def test_movement_of_each_module():
    """Do m01 and m07 map to general and capstone, m02-m06 to the five movements in order?"""
    names = ["m01_x", "m02_x", "m03_x", "m04_x", "m05_x", "m06_x", "m07_x"]
    assert [movement_of(n) for n in names] == ["general", *slugs(), "capstone"]
    assert groups() == ["general", *slugs(), "capstone"]
    with pytest.raises(ValueError, match="cannot tell the movement"):
        movement_of("m08_extra")


def test_course_assignments_are_named_after_their_movement():
    """Does every m02-m06 assignment of solutions/ carry its movement's name?"""
    for assignment in find_assignments(ROOT):
        group = movement_of(assignment)
        if group in slugs():
            assert group.replace("-", "_") in assignment, (assignment, group)


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
