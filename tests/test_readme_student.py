"""A student follows the README: configure, fetch, submit; the instructor collects.

Real nbgrader commands on a small fixture assignment, through a private exchange folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from instructor.course_copy import copy_course, isolated_env, run_nbgrader
from instructor.release import release

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nbgrader"
ASSIGNMENT = "lens_fixture"


def student_config_from_readme() -> str:
    """The student's nbgrader_config.py exactly as README.md shows it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Fetching and submitting exercises (students)", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks and "c.Exchange.root" in blocks[0], "no student configuration in the README"
    return blocks[0]


def test_student_fetches_and_submits_as_the_readme_says(tmp_path):
    """Does the README's student configuration let a student fetch and submit for real?"""
    course = copy_course(tmp_path / "course", solutions=FIXTURES / "solutions")
    env = isolated_env(course)
    exchange = Path(env["IRH_EXCHANGE_ROOT"])
    release(course, db_url=f"sqlite:///{course / 'gradebook.db'}")
    done = run_nbgrader(course, "release_assignment", ASSIGNMENT, env=env)
    assert done.returncode == 0, done.stderr

    student = tmp_path / "student"
    student.mkdir()
    config = student_config_from_readme().replace('"/srv/nbgrader/exchange"', repr(str(exchange)))
    (student / "nbgrader_config.py").write_text(config, encoding="utf-8")
    student_env = {k: v for k, v in os.environ.items() if not k.startswith("IRH_")}
    student_env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "student-jupyter")

    def as_student(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=student,
                              env=student_env, capture_output=True, text=True, timeout=300)

    listed = as_student("list")
    assert listed.returncode == 0 and ASSIGNMENT in listed.stdout + listed.stderr
    fetched = as_student("fetch_assignment", ASSIGNMENT)
    assert fetched.returncode == 0, fetched.stderr
    assert (student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    submitted = as_student("submit", ASSIGNMENT)
    assert submitted.returncode == 0, submitted.stderr

    collected = run_nbgrader(course, "collect", ASSIGNMENT, env=env)
    assert collected.returncode == 0, collected.stderr
    assert list((course / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))


def test_rubric_input_and_grade_export_have_different_names():
    """Does the README name the rubric CSV and the grade export differently?"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rubric = re.search(r"import-rubric (\S+\.csv)", readme).group(1)
    export = re.search(r"export --nbgrader (\S+\.csv)", readme).group(1)
    assert rubric != export, f"both are called {rubric}"
