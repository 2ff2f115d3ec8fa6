"""Tests of instructor/dashboard.py and instructor/dashboard.ipynb, without and with Voila."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import matplotlib
import nbformat
import pytest
from conftest import DEMO_STUDENTS as STUDENTS
from matplotlib.figure import Figure
from nbclient import NotebookClient

from instructor import dashboard, demo_gradebook
from instructor.movements import groups

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "instructor" / "dashboard.ipynb"



@pytest.fixture(scope="module")
def data(demo_db) -> dashboard.Data:
    return dashboard.load(demo_db)


def test_gradebook_url_from_environment(demo_db, monkeypatch):
    """Does the dashboard read the gradebook named by IRH_GRADEBOOK_URL?"""
    monkeypatch.setenv("IRH_GRADEBOOK_URL", demo_db)
    assert dashboard.load().db_url == demo_db


def test_overview_counts(data):
    """Does the overview count submitted, late, missing and waiting answers per assignment?"""
    table = dashboard.overview(data).set_index("assignment")
    subs = data.submissions
    for name, row in table.iterrows():
        part = subs[subs["assignment"] == name]
        assert row["students"] == STUDENTS
        assert row["submitted"] == part["submitted"].sum()
        assert row["missing"] == (~part["submitted"]).sum()
        assert row["late"] == part["late"].sum()
    assert table["answers to grade"].sum() == data.cells["needs_manual_grade"].sum()


def test_rubric_levels_count_graded_answers(data):
    """Does each rubric's level count add up to its graded answers?"""
    levels = dashboard.rubric_levels(data)
    cells = data.cells
    graded = cells[(cells["kind"] == "rubric") & ~cells["needs_manual_grade"]]
    assert levels.to_numpy().sum() == len(graded)
    assert "m03_assessment / case-answer" in levels.index


def test_profiles_cover_every_movement(data):
    """Does every student have a percent for general, the five movements and capstone?"""
    profiles = dashboard.movement_profiles(data)
    assert list(profiles.columns) == groups()
    assert len(profiles) == STUDENTS
    assert ((profiles >= 0) & (profiles <= 100)).all().all()


def test_missing_and_late_rows(data):
    """Is every missing or late submission listed once with its status?"""
    rows = dashboard.missing_and_late(data)
    subs = data.submissions
    assert (rows["status"] == "missing").sum() == (~subs["submitted"]).sum()
    assert (rows["status"] == "late").sum() == subs["late"].sum()
    status = dashboard.submission_status(data)
    assert status.to_numpy().sum() == len(subs)


def test_manual_queue_lists_waiting_answers(data):
    """Is the queue exactly the answers with needs_manual_grade set?"""
    queue = dashboard.manual_queue(data)
    assert len(queue) == data.cells["needs_manual_grade"].sum() > 0
    assert set(queue["cell"]) <= {"case-answer", "practice-answer"}


def test_charts_draw(data):
    """Does every chart draw a figure with content (bars, bins or an image)?"""
    charts = [dashboard.score_distributions(data), dashboard.rubric_distributions(data),
              dashboard.profile_heatmap(data), dashboard.status_chart(data),
              dashboard.queue_chart(data), dashboard.student_profile(data, "s001")]
    for fig in charts:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.patches or ax.images, fig.axes[0].get_title()
    assert len(charts[0].axes) >= len(demo_gradebook.ASSIGNMENTS)


def test_empty_gradebook_still_renders(tmp_path):
    """Does a course with no students or submissions give empty tables and message charts?"""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("m01_relational_shift")
    data = dashboard.load(url)
    assert dashboard.manual_queue(data).empty
    for chart in (dashboard.score_distributions, dashboard.rubric_distributions,
                  dashboard.profile_heatmap, dashboard.queue_chart):
        assert isinstance(chart(data), Figure)


def test_notebook_is_stored_clean():
    """Is dashboard.ipynb stored without outputs or execution counts, with minimal metadata?"""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_notebook_runs_and_draws_charts(demo_db, monkeypatch):
    """Does the notebook run top to bottom on a gradebook and show charts and a widget?"""
    monkeypatch.setenv("IRH_GRADEBOOK_URL", demo_db)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
                   ).execute()
    kinds = [key for cell in nb.cells for out in cell.get("outputs", [])
             for key in out.get("data", {})]
    assert kinds.count("image/png") >= 5
    assert "application/vnd.jupyter.widget-view+json" in kinds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_voila_serves_the_dashboard(demo_db, tmp_path):
    """Does `voila instructor/dashboard.ipynb` serve the page with its charts and no code?"""
    port = free_port()
    env = dict(os.environ, IRH_GRADEBOOK_URL=demo_db, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", str(NOTEBOOK.relative_to(ROOT)), "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        page = ""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=240) as r:
                    page = r.read().decode("utf-8")
                break
            except OSError:
                time.sleep(1)
        assert "Grading dashboard" in page
        # the course's template renders outputs on the server, charts as inline PNG images
        assert page.count('src="data:image/png;base64,') >= 5
        assert "dashboard.load()" not in page  # sources are not shown
    finally:
        server.terminate()
        server.wait(timeout=30)


NOT_GRADED = "not graded: the notebook could not be read"


@pytest.fixture
def not_autograded(demo_db, tmp_path) -> tuple[dashboard.Data, str, str]:
    """The demo gradebook plus one submission in the state `nbgrader autograde` leaves for a
    notebook it cannot read: its rows exist, no cell has a score. Yields (data, student,
    assignment)."""
    import shutil
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    path = tmp_path / "gradebook.db"
    shutil.copy(demo_db[len("sqlite:///"):], path)
    url = f"sqlite:///{path}"
    with Gradebook(url) as gb:
        assignment = "m07_between_us"
        submitted = {s.student.id for s in gb.find_assignment(assignment).submissions}
        student = sorted({s.id for s in gb.students} - submitted)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission
            gb.add_submission(assignment, student)
    return dashboard.load(url), student, assignment


def test_never_autograded_submission_has_its_own_status(not_autograded):
    """Is a submission nbgrader could not read listed as not graded, with the reason, and
    kept out of the grading queue and the score charts?"""
    data, student, assignment = not_autograded
    rows = dashboard.missing_and_late(data)
    mine = rows[(rows["student"] == student) & (rows["assignment"] == assignment)]
    assert list(mine["status"]) == [NOT_GRADED]
    status = dashboard.submission_status(data)
    assert status.loc[assignment, "not graded"] == 1
    assert status.to_numpy().sum() == len(data.submissions)
    queue = dashboard.manual_queue(data)
    assert not ((queue["student"] == student) & (queue["assignment"] == assignment)).any()
    overview = dashboard.overview(data).set_index("assignment")
    assert overview.loc[assignment, "not graded"] == 1
    assert math.isnan(dashboard.movement_profiles(data).loc[student, "capstone"])
    for chart in (dashboard.status_chart, dashboard.profile_heatmap,
                  dashboard.score_distributions):
        assert isinstance(chart(data), Figure)
