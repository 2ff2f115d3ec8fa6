"""The nbgrader source assignments in solutions/ and the synthetic data they read.

Each course module 01-07 has one assignment, ``solutions/<name>/<name>.ipynb``. These
tests check the notebooks as an instructor relies on them: the solutions pass their
own tests, a blank answer fails every test, each reflection has points and a visible
rubric before it, and the shipped data is exactly what ``instructor/make_data.py``
writes. The full release / autograde / feedback loop is tested in
``test_nbgrader_course.py``.
"""

from __future__ import annotations

import filecmp
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbgrader.preprocessors import ClearSolutions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
DATA = ROOT / "instructor" / "data"
MAKE_DATA = ROOT / "instructor" / "make_data.py"

ASSIGNMENTS = [
    "m01_relational_shift",
    "m02_first_contact",
    "m03_assessment",
    "m04_diagnosis",
    "m05_treatment_planning",
    "m06_termination",
    "m07_between_us",
]
DATA_FILES = ["checkins.csv", "outcomes.csv"]
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def notebook_path(assignment: str) -> Path:
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def load(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(assignment), as_version=4)


def meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_manual_answer(cell: nbformat.NotebookNode) -> bool:
    m = meta(cell)
    return cell.cell_type == "markdown" and bool(m.get("grade")) and bool(m.get("solution"))


def is_test_cell(cell: nbformat.NotebookNode) -> bool:
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def execute(nb: nbformat.NotebookNode, folder: Path, allow_errors: bool) -> None:
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(folder)}},
    ).execute()


def errors(cell: nbformat.NotebookNode) -> list[str]:
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def load_make_data():
    spec = importlib.util.spec_from_file_location("make_data", MAKE_DATA)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_module_has_one_assignment():
    """Does each of modules 01-07 have exactly one source notebook named like its folder?"""
    folders = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    assert folders == ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        found = [p.name for p in (SOLUTIONS / assignment).glob("*.ipynb")]
        assert found == [f"{assignment}.ipynb"], assignment


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_top_to_bottom_with_all_tests_passing(assignment):
    """Does the solution notebook run in a fresh kernel without a single error?"""
    nb = load(assignment)
    execute(nb, notebook_path(assignment).parent, allow_errors=False)
    assert sum(is_test_cell(c) for c in nb.cells) >= 1


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_answers_fail_every_test_cell(assignment):
    """With the solutions cleared as nbgrader releases them, does every test cell fail
    with an assertion message (and none with a crash in the test code itself)?"""
    nb, _ = ClearSolutions().preprocess(load(assignment), {})
    execute(nb, notebook_path(assignment).parent, allow_errors=True)
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert tests
    for cell in tests:
        assert errors(cell) == ["AssertionError"], (meta(cell)["grade_id"], errors(cell))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reflections_have_points_and_a_visible_rubric_before_them(assignment):
    """Is each reflective answer worth 3-5 points, preceded by a locked rubric cell with a
    table of 3 or 4 levels that states the same points?"""
    cells = load(assignment).cells
    answers = [i for i, c in enumerate(cells) if is_manual_answer(c)]
    assert answers
    for i in answers:
        points = meta(cells[i]).get("points")
        assert points in (3, 4, 5), (assignment, i, points)
        rubric = cells[i - 1]
        m = meta(rubric)
        assert rubric.cell_type == "markdown", (assignment, i)
        assert m.get("locked") and not m.get("grade") and not m.get("solution"), (assignment, i)
        assert f"({points} points" in rubric.source, (assignment, i)
        rows = [line for line in rubric.source.splitlines() if line.startswith("|")]
        assert rows[0].startswith("| Level | Points |"), (assignment, i)
        levels = rows[2:]  # after the header and the separator
        assert 3 <= len(levels) <= 4, (assignment, i, levels)
        assert levels[0].split("|")[2].strip() == str(points), (assignment, i)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exemplar_and_grader_notes_live_only_in_answer_cells(assignment):
    """Do the exemplar answer and grader notes sit inside the answer cell that nbgrader
    replaces, and nowhere else in the notebook?"""
    cells = load(assignment).cells
    for cell in cells:
        has_notes = "Exemplar answer" in cell.source or "Grader notes" in cell.source
        assert has_notes == is_manual_answer(cell), (assignment, cell.source[:60])
        if is_manual_answer(cell):
            # A solution region would make nbgrader keep the rest of the cell.
            assert "BEGIN SOLUTION" not in cell.source and "MARK SCHEME" not in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_are_unique_and_well_formed(assignment):
    """Is every nbgrader grade_id unique in its notebook, and named after the assignment?"""
    ids = [meta(c)["grade_id"] for c in load(assignment).cells if meta(c)]
    assert len(ids) == len(set(ids)), ids
    for grade_id in ids:
        assert GRADE_ID.match(grade_id) and grade_id.startswith(assignment), grade_id
    for cell in load(assignment).cells:
        if meta(cell):
            assert meta(cell)["schema_version"] == 3


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_assignment_has_manual_and_autograded_parts(assignment):
    """Are there at least two reflections and one autograded part with visible and
    hidden tests, each test cell locked?"""
    cells = load(assignment).cells
    assert sum(is_manual_answer(c) for c in cells) >= 2
    tests = [c for c in cells if is_test_cell(c)]
    assert tests
    for cell in tests:
        visible, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        hidden, _, _ = rest.partition("### END HIDDEN TESTS")
        assert "assert" in visible and "assert" in hidden, meta(cell)["grade_id"]
        assert meta(cell)["locked"] and meta(cell)["points"] > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_header_states_points_module_and_fiction(assignment):
    """Does the first cell give the total points (matching the cells), link to its course
    module, and say that all cases are fictional?"""
    nb = load(assignment)
    first = nb.cells[0].source
    total = sum(meta(c).get("points", 0) for c in nb.cells)
    stated = re.search(r"\*\*Points:\*\* (\d+) in total", first)
    assert stated and int(stated.group(1)) == total, (stated, total)
    assert "All cases are fictional" in first
    link = re.search(r"\]\((\.\./\.\./course/[^)]+\.ipynb)\)", first)
    assert link and (notebook_path(assignment).parent / link.group(1)).resolve().is_file()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_clean(assignment):
    """Is the notebook stored without outputs, execution counts or extra metadata?"""
    nb = load(assignment)
    assert set(nb.metadata) == {"kernelspec", "language_info", "irh"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert set(cell.metadata) <= {"nbgrader"}


def test_data_generator_is_deterministic(tmp_path):
    """Does running the generator twice write byte-identical files?"""
    for name in ("first", "second"):
        subprocess.run(
            [sys.executable, str(MAKE_DATA), "--out", str(tmp_path / name)],
            check=True,
            capture_output=True,
        )
    for file in DATA_FILES:
        assert (tmp_path / "first" / file).read_bytes() == (tmp_path / "second" / file).read_bytes()


def test_committed_data_is_what_the_generator_writes(tmp_path):
    """Are instructor/data and the copies released with each assignment exactly the
    generator's output?"""
    make_data = load_make_data()
    make_data.write(tmp_path)
    for file in DATA_FILES:
        assert filecmp.cmp(tmp_path / file, DATA / file, shallow=False), file
        for assignment in make_data.ASSIGNMENTS_USING_DATA:
            copy = SOLUTIONS / assignment / file
            assert filecmp.cmp(tmp_path / file, copy, shallow=False), copy


def test_assignments_that_read_data_ship_it():
    """Does every notebook that reads a CSV have that file in its own folder?"""
    for assignment in ASSIGNMENTS:
        text = "\n".join(c.source for c in load(assignment).cells)
        for file in re.findall(r'read_csv\("([^"]+)"\)', text):
            assert (SOLUTIONS / assignment / file).is_file(), (assignment, file)
    make_data = load_make_data()
    assert set(make_data.ASSIGNMENTS_USING_DATA) <= set(ASSIGNMENTS)


def test_data_shows_alliance_outcome_link_and_rupture_repair():
    """Does the data hold an early-alliance/outcome correlation near the meta-analytic
    size, and rupture episodes, most of them repaired and some not?"""
    checkins = pd.read_csv(DATA / "checkins.csv").sort_values(["client_id", "session"])
    outcomes = pd.read_csv(DATA / "outcomes.csv").set_index("client_id")
    items = list(load_make_data().CHECKIN_ITEMS)
    checkins["score"] = checkins[items].mean(axis=1)
    early = checkins[checkins["session"] <= 3].groupby("client_id")["score"].mean()
    change = outcomes["wellbeing_end"] - outcomes["wellbeing_start"]
    assert 0.25 <= early.corr(change) <= 0.35

    by_client = checkins.groupby("client_id")["score"]
    drop = by_client.diff() <= -2
    after = pd.concat([by_client.shift(-1), by_client.shift(-2)], axis=1).max(axis=1)
    repaired = (after >= by_client.shift(1) - 1)[drop]
    assert len(repaired) >= 20
    assert 0.5 <= repaired.mean() < 1
    assert checkins[items].isin(range(11)).all().all()
    assert outcomes[["wellbeing_start", "wellbeing_end"]].stack().between(0, 100).all()


def test_checkin_is_the_courses_own():
    """Are the data's check-in columns the course's own items, with none of the labels of
    the licensed ORS/SRS scales?"""
    make_data = load_make_data()
    columns = list(pd.read_csv(DATA / "checkins.csv", nrows=1).columns)
    assert columns == ["client_id", "session", *make_data.CHECKIN_ITEMS]
    licensed_labels = [
        "individually",
        "interpersonally",
        "socially",
        "overall",
        "goals and topics",
        "approach or method",
        "understood, and respected",
    ]
    for text in [*make_data.CHECKIN_ITEMS, *make_data.CHECKIN_ITEMS.values()]:
        for label in licensed_labels:
            assert label not in text.lower(), (text, label)


def test_notebooks_describe_the_data_they_ship():
    """Do the data notebooks name the check-in statements and the client count that the
    generator actually uses?"""
    make_data = load_make_data()
    for assignment in make_data.ASSIGNMENTS_USING_DATA:
        text = "\n".join(c.source for c in load(assignment).cells)
        assert f"**{make_data.N_CLIENTS} fictional clients**" in text
        for column, statement in make_data.CHECKIN_ITEMS.items():
            assert f"| `{column}` | {statement} |" in text, (assignment, column)
