"""Command line of the instructor tools: ``python -m instructor <command>``.

Run from the course root (the folder of ``nbgrader_config.py``)::

    python -m instructor release                       # regenerate all of exercises/
    python -m instructor import-rubric rubric-scores.csv  # rubric grades into the gradebook
    python -m instructor export --canvas canvas.csv --by-movement movements.csv
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _release(args: argparse.Namespace) -> int:
    from instructor.release import release

    names = release(assignments=args.assignment or None, db_url=args.db, quiet=not args.verbose)
    print(f"released {len(names)} assignment(s) into exercises/: {', '.join(names)}")
    return 0


def _import_rubric(args: argparse.Namespace) -> int:
    from instructor.grade_export import default_db_url
    from instructor.rubric_import import RubricImportError, import_rubric

    db_url = args.db or default_db_url()
    try:
        written = import_rubric(Path(args.csv), db_url)
    except RubricImportError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s); nothing was written.", file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {len(written)} rubric grade(s) into {db_url}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from instructor.grade_export import (
        default_db_url,
        load_submissions,
        nbgrader_export,
        require_gradebook,
        write_canvas,
        write_movement_scores,
    )

    if not (args.nbgrader or args.canvas or args.by_movement):
        print("nothing to export: give --nbgrader, --canvas and/or --by-movement",
              file=sys.stderr)
        return 2
    db_url = args.db or default_db_url()
    try:
        require_gradebook(db_url)
        if args.nbgrader:
            print(f"wrote {nbgrader_export(Path(args.nbgrader), db_url)}")
        if args.canvas or args.by_movement:
            submissions = load_submissions(db_url)
            if args.canvas:
                print(f"wrote {write_canvas(submissions, args.canvas)}")
            if args.by_movement:
                print(f"wrote {write_movement_scores(submissions, args.by_movement)}")
    except (OSError, ValueError) as error:
        # a missing gradebook or output folder, or a notebook naming an unknown movement
        print(error, file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``python -m instructor``."""
    parser = argparse.ArgumentParser(
        prog="python -m instructor", description="Instructor tools of the IRH course."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = ("gradebook URL (default: $IRH_GRADEBOOK_URL, else sqlite:///<course root>/"
               "gradebook.db)")

    release = commands.add_parser(
        "release", help="regenerate exercises/ from solutions/ (nbgrader generate_assignment "
        "--force for each assignment)"
    )
    release.add_argument("assignment", nargs="*",
                         help="assignments to release (default: all of solutions/)")
    release.add_argument("--db", help="gradebook URL nbgrader records the assignments in "
                         "(default: the course's gradebook.db)")
    release.add_argument("--verbose", action="store_true", help="show nbgrader's log")
    release.set_defaults(run=_release)

    rubric = commands.add_parser(
        "import-rubric", help="write rubric grades from a CSV (student, assignment, notebook, "
        "cell, score, comment) into the gradebook, all or nothing"
    )
    rubric.add_argument("csv", help="the rubric grades CSV file")
    rubric.add_argument("--db", help=db_help)
    rubric.set_defaults(run=_import_rubric)

    export = commands.add_parser("export", help="export grades as CSV files")
    export.add_argument("--db", help=db_help)
    export.add_argument("--nbgrader", metavar="FILE", help="grades in the columns of "
                        "`nbgrader export`, properly quoted")
    export.add_argument("--canvas", metavar="FILE", help="a Canvas gradebook import CSV")
    export.add_argument("--by-movement", metavar="FILE",
                        help="each student's score per movement group (long table)")
    export.set_defaults(run=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one instructor command; return its exit code."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
