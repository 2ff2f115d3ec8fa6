"""The course's Python code is installed packages, never found through sys.path edits."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_packages_import_from_any_folder():
    """Do widgets, instructor and irh_devtools import from a folder outside the checkout?"""
    with tempfile.TemporaryDirectory() as elsewhere:
        result = subprocess.run(
            [sys.executable, "-c",
             "import widgets, instructor.feedback, instructor.dashboard, irh_devtools.voila"],
            cwd=elsewhere, capture_output=True, text=True,
        )
    assert result.returncode == 0, result.stderr


def _code_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return path.read_text(encoding="utf-8")


def test_no_sys_path_edits():
    """Does no config file, notebook, benchmark or package change sys.path to find course code?"""
    places = [ROOT / "nbgrader_config.py", *ROOT.glob("benchmarks/*.py"),
              *ROOT.glob("instructor/*.py"), *ROOT.glob("instructor/*.ipynb"),
              *ROOT.glob("course/**/*.ipynb"), *ROOT.glob("widgets/*.py"),
              *ROOT.glob("irh_devtools/*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in places if "sys.path" in _code_of(p)]
    assert offenders == []


def test_benchmarks_do_not_import_tests():
    """Do the benchmarks get their helpers from a package rather than from tests/?"""
    for path in ROOT.glob("benchmarks/*.py"):
        text = path.read_text(encoding="utf-8")
        assert "voila_support" not in text and "tests" + "/" not in text.split('"""', 2)[-1], path
