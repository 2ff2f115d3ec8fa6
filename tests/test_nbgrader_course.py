"""The course's own assignments through the real nbgrader loop.

One temporary copy of the course (module scope) is released again with
`python -m instructor release`'s code and its own gradebook; the fresh exercises/
must equal the committed ones. Notebooks are compared as parsed JSON, whole:
nbgrader's release is deterministic (cell checksums are MD5 sums of cell content,
there are no timestamps), so no field is ignored. The same copy then receives,
for every assignment, the solution notebook, the blank exercise and a solution
with its lens labels rotated (valid to the visible tests, wrong to the hidden
ones); all are autograded at once and get feedback.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from instructor.course_copy import copy_course, isolated_env, notebooks, read, run_nbgrader, submit
from instructor.release import find_assignments, release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

# Region delimiters of nbgrader: solutions, hidden tests, grader mark schemes.
REGIONS = [
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
]
# Words that only the source notebooks use.
MARKERS = [*(b for b, _ in REGIONS), *(e for _, e in REGIONS), "Exemplar answer",
           "Grader notes"]


ROTATE = {'"medical"': '"relational"', '"relational"': '"integrative"',
          '"integrative"': '"medical"'}


def rotated_lenses(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, bool]:
    """The notebook with each lens label in its solution regions replaced by the next one."""
    changed = False
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        if "### BEGIN SOLUTION" not in cell.source:
            continue
        head, _, rest = cell.source.partition("### BEGIN SOLUTION")
        body, _, tail = rest.partition("### END SOLUTION")
        new = re.sub('|'.join(ROTATE), lambda m: ROTATE[m.group(0)], body)
        changed |= new != body
        cell.source = f"{head}### BEGIN SOLUTION{new}### END SOLUTION{tail}"
    return nb, changed


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course copy, released, submitted, autograded and with feedback.

    Yields (root, {assignment: True if a rotated-lens student was submitted}).
    """
    root = copy_course(tmp_path_factory.mktemp("course"), with_exercises=False)
    release(root, db_url=f"sqlite:///{root / 'gradebook.db'}")
    rotated = {}
    for assignment in find_assignments(root):
        rotated[assignment] = False
        for path in notebooks(root / "solutions" / assignment):
            name = path.stem
            submit(root, "solution", assignment, name, read(path))
            exercise = read(root / "exercises" / assignment / path.name)
            submit(root, "blank", assignment, name, exercise)
            nb, changed = rotated_lenses(read(path))
            if changed:
                submit(root, "rotated", assignment, name, nb)
                rotated[assignment] = True
        # data files that the notebooks read travel with the submission
        for extra in (root / "exercises" / assignment).iterdir():
            if extra.suffix != ".ipynb":
                for student in ("solution", "blank", "rotated"):
                    folder = root / "submitted" / student / assignment
                    if folder.is_dir():
                        (folder / extra.name).write_bytes(extra.read_bytes())
    env = isolated_env(root)
    graded = run_nbgrader(root, "autograde", "*", "--force", env=env)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    feedback = run_nbgrader(root, "generate_feedback", "*", "--force", env=env)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    yield root, rotated


def gradebook(root: Path) -> Gradebook:
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}")


def feedback_pages(root: Path, student: str) -> dict[str, str]:
    """Each feedback page of a student, as a person reads it (no tags, entities decoded)."""
    pages = {}
    for page in sorted((root / "feedback" / student).glob("*/*.html")):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        pages[page.parent.name] = text
    return pages


def hidden_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The lines between BEGIN and END HIDDEN TESTS of a source notebook."""
    lines: list[str] = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside:
                lines.append(line)
    return lines


def hidden_test_lines() -> dict[str, set[str]]:
    """Per assignment, the distinctive lines of its hidden tests (not also said in public)."""
    return distinctive_lines(hidden_lines)


@pytest.mark.slow
def test_solutions_score_full_autograded_marks(course):
    """Does each solution notebook, submitted as a student, get every autograded point?"""
    root, _ = course
    with gradebook(root) as gb:
        for assignment in find_assignments(ROOT):
            sub = gb.find_submission(assignment, "solution")
            assert sub.code_score == sub.max_code_score > 0, assignment


@pytest.mark.slow
def test_blank_exercises_score_zero(course):
    """Does each released exercise, submitted blank, score zero (no test passes)?"""
    root, _ = course
    with gradebook(root) as gb:
        for assignment in find_assignments(ROOT):
            sub = gb.find_submission(assignment, "blank")
            assert sub.score == 0, assignment
            failing = [g.cell.name for nb in sub.notebooks for g in nb.grades if g.score]
            assert not failing, (assignment, failing)


@pytest.mark.slow
def test_blank_feedback_reveals_no_solution(course):
    """Does the blank student's feedback show no solution, hidden test or grader note?"""
    root, _ = course
    pages = feedback_pages(root, "blank")
    assert sorted(pages) == find_assignments(ROOT)
    for assignment, lines in secrets().items():
        text = pages[assignment]
        for line in lines:
            assert line not in text, (assignment, line)
        for marker in MARKERS:
            assert marker not in text, (assignment, marker)


@pytest.mark.slow
def test_failing_hidden_tests_reveal_no_hidden_line(course):
    """Does a student failing hidden tests read "a hidden test failed" and no hidden line?"""
    root, rotated = course
    assert any(rotated.values()), "no assignment has lens labels to rotate"
    pages = {**feedback_pages(root, "solution")}
    rotated_pages = feedback_pages(root, "rotated")
    for assignment, lines in hidden_test_lines().items():
        assert lines, f"{assignment} has no hidden test"
        for text in [pages[assignment], rotated_pages.get(assignment, "")]:
            for line in lines:
                assert line not in text, (assignment, line)
            assert "HIDDEN TESTS" not in text
        if rotated[assignment]:
            assert "a hidden test failed" in rotated_pages[assignment], assignment


def files(folder: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(folder)): p for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }


def split_secret(nb: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """Return (secret lines, public lines) of a source notebook.

    Secret: lines inside nbgrader regions, and whole written-answer cells (a graded
    markdown answer without delimiters is replaced entirely on release).
    """
    secret: list[str] = []
    public: list[str] = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.split("\n")
        has_region = any(b in cell.source for b, _ in REGIONS)
        if cell.cell_type == "markdown" and meta.get("solution") and not has_region:
            secret += lines
            continue
        inside = False
        for line in lines:
            if any(b in line for b, _ in REGIONS):
                inside = True
            (secret if inside else public).append(line)
            if any(e in line for _, e in REGIONS):
                inside = False
    return secret, public


def secrets() -> dict[str, set[str]]:
    """Per assignment, the distinctive secret lines (not also said in public)."""
    return distinctive_lines(lambda nb: split_secret(nb)[0])


def distinctive_lines(select) -> dict[str, set[str]]:
    """Per assignment, the lines ``select`` picks from its source notebooks that are long
    enough to be telling, are no nbgrader marker, and are not also said in public."""
    found = {}
    for assignment in find_assignments(ROOT):
        chosen: set[str] = set()
        public: set[str] = set()
        for path in (SOLUTIONS / assignment).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            chosen |= {line.strip() for line in select(nb)}
            public |= {line.strip() for line in split_secret(nb)[1]}
        found[assignment] = {
            line for line in chosen - public
            if len(line) >= 16 and not any(m in line for m in MARKERS)
        }
    return found


def test_course_has_released_assignments():
    """Is every assignment of solutions/ released in exercises/, and nothing else?"""
    assert find_assignments(ROOT), "no assignment in solutions/"
    released = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())
    assert released == find_assignments(ROOT)


@pytest.mark.slow
def test_exercises_match_a_fresh_release(course):
    """Does regenerating exercises/ from solutions/ give exactly the committed files?"""
    root, _ = course
    fresh, committed = files(root / "exercises"), files(EXERCISES)
    assert sorted(fresh) == sorted(committed), "files differ; run: python -m instructor release"
    for name, path in fresh.items():
        if name.endswith(".ipynb"):
            new, old = json.loads(path.read_text()), json.loads(committed[name].read_text())
            same = new == old
            where = first_difference(new, old)
        else:
            same = path.read_bytes() == committed[name].read_bytes()
            where = "content"
        assert same, f"exercises/{name} differs ({where}); run: python -m instructor release"


def first_difference(new: dict, old: dict) -> str:
    """Name the first part of two notebooks that differs (for the failure message)."""
    for key in ("metadata", "nbformat", "nbformat_minor"):
        if new.get(key) != old.get(key):
            return key
    for i, (a, b) in enumerate(zip(new["cells"], old["cells"], strict=False)):
        if a != b:
            grade_id = a.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            return f"cell {i} {grade_id}".strip()
    return f"{len(new['cells'])} cells instead of {len(old['cells'])}"


def test_no_solution_hidden_test_or_grader_note_in_exercises():
    """Does no line of a solution, hidden test or grader note appear anywhere in exercises/?"""
    texts = {
        name: path.read_text(encoding="utf-8", errors="replace")
        for name, path in files(EXERCISES).items()
    }
    leaks = []
    for name, text in texts.items():
        for marker in MARKERS:
            if marker in text:
                leaks.append(f"{name}: {marker!r}")
    for assignment, lines in secrets().items():
        assert lines, f"{assignment}: found no solution text to check"
        for name, text in texts.items():
            if not name.endswith(".ipynb"):
                continue
            sources = "\n".join(
                cell.source for cell in nbformat.reads(text, as_version=4).cells
            )
            for line in lines:
                if line in sources:
                    leaks.append(f"{name}: {line[:80]!r}")
    assert not leaks, "\n".join(leaks)


def test_split_secret_finds_each_kind_of_region():
    """Does the leak test's reader find solution, hidden-test and written-answer text?"""
    nb = nbformat.read(
        ROOT / "tests" / "fixtures" / "nbgrader" / "solutions" / "lens_fixture" /
        "lens_fixture.ipynb", as_version=4,
    )
    secret, public = split_secret(nb)
    joined = "\n".join(secret)
    assert "fixture-solution-marker" in joined
    assert "fixture-hidden-message" in joined
    assert "fixture-grader-note-marker" in joined
    assert not any(re.search("fixture-.*-marker", line) for line in public)
