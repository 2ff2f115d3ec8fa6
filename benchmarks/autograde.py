"""Autograding cost per submission: a course assignment against an empty notebook.

Builds a throw-away copy of the course, releases the chosen assignment(s) and an
assignment whose notebook is empty, places N synthetic submissions of each (the
solution notebook, so every cell runs, with the assignment's data files), runs
``nbgrader autograde`` on each and prints the seconds per submission (wall time of
the whole command divided by N, so nbgrader's start-up is shared out), the ratio
to the empty notebook, and the slowest cells of each notebook in one timed run
(the usual reason a notebook costs more than an empty one: imports, charts). With ``--repeats``,
each repeat measures the empty notebook and then the assignments, and the ratio
is the median of the ratios within a repeat.

Usage (from the course root)::

    python benchmarks/autograde.py                      # m05_treatment_planning, N = 40
    python benchmarks/autograde.py --n 20 --assignment all --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_markdown_cell, new_notebook

from instructor.course_copy import (
    copy_course,
    isolated_env,
    notebooks,
    read,
    run_nbgrader,
    submit,
)
from instructor.release import course_root, find_assignments, release

EMPTY = "zz_empty"
TARGET = 1.2


def make_empty_assignment(course: Path) -> None:
    """Add an assignment whose notebook has a single markdown cell."""
    nb = new_notebook(cells=[new_markdown_cell("Empty.")], metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    folder = course / "solutions" / EMPTY
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{EMPTY}.ipynb")


def place_submissions(course: Path, assignment: str, n: int) -> None:
    """Submit the solution notebook(s) of an assignment as n students, with its data files."""
    source = course / "solutions" / assignment
    for i in range(n):
        student = f"bench{i:03d}"
        for path in notebooks(source):
            submit(course, student, assignment, path.stem, read(path))
        for extra in (course / "exercises" / assignment).iterdir():
            if extra.suffix != ".ipynb":
                target = course / "submitted" / student / assignment / extra.name
                target.write_bytes(extra.read_bytes())


def autograde_seconds(course: Path, assignment: str, n: int) -> float:
    """Autograde all n submissions once; return wall seconds per submission."""
    start = time.perf_counter()
    done = run_nbgrader(course, "autograde", assignment, "--force", env=isolated_env(course))
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        errors = [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line]
        raise RuntimeError(f"autograde {assignment} failed:\n" + "\n".join(errors[-20:]))
    return elapsed / n


def slowest_cells(folder: Path, top: int = 2) -> list[tuple[float, str]]:
    """Run an assignment's solution notebooks once; return its slowest code cells.

    Each item is (seconds, "cell N: first line"). This is where an assignment's extra
    cost per submission comes from: a fresh kernel per submission pays it every time.
    """
    found: list[tuple[float, str]] = []
    for path in notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, record_timing=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        for index, cell in enumerate(nb.cells):
            timing = cell.metadata.get("execution", {})
            if cell.cell_type != "code" or "shell.execute_reply" not in timing:
                continue
            began = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            first = cell.source.strip().split("\n")[0][:40]
            found.append(((ended - began).total_seconds(), f"cell {index}: {first}"))
    return sorted(found, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="submissions per assignment")
    parser.add_argument("--assignment", default="m05_treatment_planning",
                        help="assignment to measure, or 'all' for every course assignment")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each; medians of the times and of the ratios are reported")
    args = parser.parse_args(argv)

    names = find_assignments(course_root()) if args.assignment == "all" else [args.assignment]
    with tempfile.TemporaryDirectory(prefix="irh-bench-") as tmp:
        course = copy_course(Path(tmp) / "course", with_exercises=False)
        make_empty_assignment(course)
        release(course, db_url=f"sqlite:///{course / 'gradebook.db'}")
        for name in [EMPTY, *names]:
            place_submissions(course, name, args.n)
        # Each repeat measures the empty notebook, then the assignments, so that every
        # ratio compares runs made close together (the load of a shared machine drifts).
        runs: dict[str, list[float]] = {name: [] for name in [EMPTY, *names]}
        ratios: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(args.repeats):
            for name in [EMPTY, *names]:
                runs[name].append(autograde_seconds(course, name, args.n))
                print(f"  measured {name}: {runs[name][-1]:.3f} s/submission", file=sys.stderr)
                if name != EMPTY:
                    ratios[name].append(runs[name][-1] / runs[EMPTY][-1])
        seconds = {name: statistics.median(values) for name, values in runs.items()}
        cells = {name: slowest_cells(course / "solutions" / name) for name in names}

    empty = seconds[EMPTY]
    print(f"\nAutograde, {args.n} submissions each, median of {args.repeats} run(s)\n")
    print("| notebook | s per submission | ratio to empty | slowest cells (s, one run) |")
    print("| --- | ---: | ---: | --- |")
    print(f"| empty notebook | {empty:.2f} | 1.00 | |")
    over = []
    for name in names:
        ratio = statistics.median(ratios[name])
        slow = "; ".join(f"{t:.2f} {label}" for t, label in cells[name])
        print(f"| {name} | {seconds[name]:.2f} | {ratio:.2f} | {slow} |")
        if ratio > TARGET:
            over.append(name)
    if over:
        print(f"\nAbove the {TARGET}x target: {', '.join(over)}. Their slowest cells are the "
              "cost a fresh kernel pays for every submission (imports, charts).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
