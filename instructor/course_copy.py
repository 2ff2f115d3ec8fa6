"""Throw-away copies of the course for rehearsing the grading loop.

The robustness tests and ``benchmarks/autograde.py`` run the real nbgrader
commands on a copy of the course in a temporary folder, with its own gradebook,
exchange and Jupyter configuration, so the instructor's own files are never
touched. The helpers here build such a copy, place submissions in it and run
nbgrader there.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from instructor.release import course_root

#: What a course copy needs besides solutions/ and exercises/.
COURSE_FILES = ("nbgrader_config.py", "instructor")
#: Never copied: nbgrader's working folders and caches.
IGNORED = shutil.ignore_patterns(
    "__pycache__", ".ipynb_checkpoints", "*.pyc", "gradebook.db", "submitted", "autograded",
    "feedback",
)


def copy_course(
    dest: Path, root: Path | None = None, solutions: Path | None = None,
    with_exercises: bool = True,
) -> Path:
    """Copy the course's grading setup into ``dest`` and return ``dest``.

    Parameters
    ----------
    dest : Path
        An empty or missing folder.
    root : Path, optional
        The course to copy (default: this course).
    solutions : Path, optional
        A folder of assignments to use as ``solutions/`` instead of the course's own
        (for example a test fixture).
    with_exercises : bool
        Copy the committed ``exercises/`` too (when the copy grades the real course
        without releasing it again).
    """
    root = Path(root) if root else course_root()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORED)
        else:
            shutil.copy2(src, dest / name)
    shutil.copytree(solutions or root / "solutions", dest / "solutions", ignore=IGNORED)
    if with_exercises and solutions is None and (root / "exercises").is_dir():
        shutil.copytree(root / "exercises", dest / "exercises", ignore=IGNORED)
    return dest


def isolated_env(course: Path, **extra: str) -> dict[str, str]:
    """Return an environment for nbgrader in a course copy: its own Jupyter config and exchange."""
    course = Path(course)
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter-config")
    env["IRH_EXCHANGE_ROOT"] = str(course / ".exchange")
    env.pop(_gradebook_env(), None)
    env.update(extra)
    return env


def _gradebook_env() -> str:
    from instructor.grade_export import GRADEBOOK_ENV

    return GRADEBOOK_ENV


def run_nbgrader(course: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in a course copy; return the finished process (never raises)."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course, env=env or isolated_env(course), capture_output=True, text=True,
        timeout=timeout,
    )


def notebooks(folder: Path) -> list[Path]:
    """Return the notebooks of an assignment folder, sorted."""
    return sorted(Path(folder).glob("*.ipynb"))


def submit(course: Path, student: str, assignment: str, notebook: str,
           nb: nbformat.NotebookNode | str | bytes) -> Path:
    """Place one notebook of a student's submission in ``submitted/``; return its path.

    ``nb`` is a notebook, or raw text written as is (to submit a malformed file).
    """
    path = Path(course) / "submitted" / student / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    return path


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4, returning a fresh copy that may be edited."""
    return copy.deepcopy(nbformat.read(path, as_version=4))


def cell_by_id(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """Return the cell of a notebook with this nbgrader ``grade_id``."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")
