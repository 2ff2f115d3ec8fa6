"""Regenerate the student versions in ``exercises/`` from the sources in ``solutions/``.

Each assignment is released with ``nbgrader generate_assignment <name> --force``
(without ``--force`` nbgrader silently keeps an existing release); releasing them
all runs ``nbgrader generate_assignment "*" --force`` once. The command also
records each assignment in the gradebook, which ``nbgrader autograde`` needs: by
default the course's ``gradebook.db`` (ignored by git); ``db_url`` points it
elsewhere, for example at a throw-away database in tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

#: Folder names in ``solutions/`` that are not assignments.
NOT_ASSIGNMENTS = {"__pycache__", ".ipynb_checkpoints"}


def course_root() -> Path:
    """Return the course root: the folder that holds ``nbgrader_config.py``."""
    return Path(__file__).resolve().parent.parent


def find_assignments(root: Path, source: str = "solutions") -> list[str]:
    """Return the names of the assignments in ``root/source``, sorted.

    An assignment is a folder of ``source`` that holds at least one notebook.
    """
    folder = Path(root) / source
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir()
        and p.name not in NOT_ASSIGNMENTS
        and not p.name.startswith(".")
        and any(p.glob("*.ipynb"))
    )


def release(
    root: Path | None = None,
    assignments: Sequence[str] | None = None,
    db_url: str | None = None,
    quiet: bool = True,
) -> list[str]:
    """Regenerate ``exercises/`` with ``nbgrader generate_assignment --force``.

    Parameters
    ----------
    root : Path, optional
        The course root (default: the folder of this package's parent).
    assignments : sequence of str, optional
        Assignments to release (default: all of ``solutions/``; then release folders
        whose source is gone are removed too, so ``exercises/`` mirrors ``solutions/``).
    db_url : str, optional
        Gradebook URL passed to nbgrader as ``--db`` (default: the course's own).
    quiet : bool
        Pass ``--quiet`` to nbgrader (errors are still printed).

    Returns
    -------
    list of str
        The released assignments.

    Raises
    ------
    RuntimeError
        If nbgrader fails for an assignment; the message holds nbgrader's output.
    """
    root = Path(root) if root is not None else course_root()
    names = list(assignments) if assignments else find_assignments(root)
    if not assignments:
        exercises = root / "exercises"
        if exercises.is_dir():
            for stale in sorted(exercises.iterdir()):
                if stale.is_dir() and stale.name not in names:
                    shutil.rmtree(stale)
    # One nbgrader process for all assignments (its start-up dominates): nbgrader
    # expands the glob "*" over solutions/ itself.
    for name in names if assignments else (["*"] if names else []):
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"]
        if db_url:
            command.append(f"--db={db_url}")
        if quiet:
            command.append("--quiet")
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(
                f"nbgrader generate_assignment {name} failed (exit {done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
    return names
