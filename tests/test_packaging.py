"""The course's Python code is installed packages, never found through sys.path edits."""

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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


# A fresh install must get exactly the releases the tests ran against: requirements.txt pins
# what the course names, constraints.txt (pulled in by `-c`) pins everything those pull in.
REQUIREMENTS = ROOT / "requirements.txt"


def _requirement_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _local_project_name(folder: Path) -> str:
    with (folder / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["name"]


def _pinned_version(req: Requirement) -> str:
    (spec,) = req.specifier
    return spec.version


def _pins_and_roots() -> tuple[dict[str, str], dict[str, str], set[str]]:
    """Read requirements.txt and its constraints files.

    Returns the pins of requirements.txt, the pins of the constraints files (both as
    canonical name -> version) and the names of the local projects.
    """
    required: dict[str, str] = {}
    constrained: dict[str, str] = {}
    local: set[str] = set()
    for line in _requirement_lines(REQUIREMENTS):
        if line.startswith("-c "):
            for pin in _requirement_lines(REQUIREMENTS.parent / line[3:].strip()):
                req = Requirement(pin)
                constrained[canonicalize_name(req.name)] = _pinned_version(req)
        elif line.startswith(("-e ", ".")):
            folder = line[3:].strip() if line.startswith("-e ") else line
            local.add(canonicalize_name(_local_project_name(REQUIREMENTS.parent / folder)))
        else:
            req = Requirement(line)
            required[canonicalize_name(req.name)] = _pinned_version(req)
    return required, constrained, local


def test_requirements_are_exact_pins_or_local_paths():
    """Is every line of requirements.txt a name==version pin, a local path or a -c file,
    and every line of its constraints files a name==version pin?"""
    loose = []
    constraint_files = []
    for line in _requirement_lines(REQUIREMENTS):
        if line.startswith("-c "):
            constraint_files.append(REQUIREMENTS.parent / line[3:].strip())
        elif line == "-e ." or line.startswith("./"):
            assert (REQUIREMENTS.parent / line.removeprefix("-e ") / "pyproject.toml").is_file()
        elif not re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line):
            loose.append(f"requirements.txt: {line}")
    for path in constraint_files:
        loose += [f"{path.name}: {line}" for line in _requirement_lines(path)
                  if not re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line)]
    assert loose == []


def test_a_package_is_pinned_in_one_place():
    """Is no package pinned in both requirements.txt and constraints.txt (one place to bump)?"""
    required, constrained, _ = _pins_and_roots()
    assert sorted(required.keys() & constrained.keys()) == []


def _installed_dependencies(roots: set[str], pins: dict[str, str]) -> set[str]:
    """Canonical names of the installed distributions that ``roots`` need, transitively.

    A distribution installed at another version than its pin is not descended into: its
    metadata lists the needs of that other release, not of the pinned one.
    """
    found: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(name, frozenset()) for name in roots]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency of a release other than the installed one
        found.add(name)
        if name in pins and Version(dist.version) != Version(pins[name]):
            continue
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": extra})
                                         for extra in extras | {""}):
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return found


def test_every_installed_dependency_is_pinned():
    """Is every installed package that the requirements pull in, however deep, pinned
    with == in requirements.txt or constraints.txt?"""
    required, constrained, local = _pins_and_roots()
    pins = {**constrained, **required}
    needed = _installed_dependencies(set(required) | local, pins)
    assert sorted(needed - local - pins.keys()) == []
