"""Write the course's synthetic data sets: fictional clients' check-ins and outcomes.

Every row is invented. No real client, service or study stands behind these numbers.

Run from the course root::

    python instructor/make_data.py

This writes ``instructor/data/checkins.csv`` and ``instructor/data/outcomes.csv`` and
copies both into each assignment in ``solutions/`` that reads them, so the data is
released with the assignment. ``--out DIR`` writes the two files to DIR only.

The check-in is the course's own four-item relationship check-in (below). It is not,
and must never become, a copy of a published or licensed scale.

The generator builds in two patterns that the exercises ask students to find:

* early alliance and outcome: the mean check-in over sessions 1-3 correlates with the
  change in wellbeing at about the size reported in meta-analyses (r near .28);
* rupture and repair: some clients' check-in falls by 2 points or more from one
  session to the next; most of these episodes recover within two sessions, some do
  not, and unrepaired episodes tend to end therapy early with less change.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20260410
N_CLIENTS = 160

#: The course's relationship check-in: column name -> statement the client rates 0-10.
CHECKIN_ITEMS: dict[str, str] = {
    "safe_to_say": "Today I could say what was really on my mind.",
    "shaped_together": "We shaped what we did today together.",
    "life_in_view": "The people and places that matter to me had room today.",
    "could_name_friction": "If something felt off between us, I could have said so.",
}

#: Assignments (folders of ``solutions/``) that read the data and get a copy of it.
ASSIGNMENTS_USING_DATA: tuple[str, ...] = ("m05_treatment_planning", "m07_between_us")

FILES: tuple[str, ...] = ("checkins.csv", "outcomes.csv")

COURSE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = COURSE_ROOT / "instructor" / "data"


def generate(seed: int = SEED, n_clients: int = N_CLIENTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the check-in and outcome tables.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed always gives the same tables.
    n_clients : int
        Number of fictional clients.

    Returns
    -------
    checkins : pandas.DataFrame
        One row per client and session: ``client_id``, ``session`` and one integer
        column (0-10) per item of :data:`CHECKIN_ITEMS`.
    outcomes : pandas.DataFrame
        One row per client: ``client_id``, ``sessions_attended``, ``wellbeing_start``
        and ``wellbeing_end`` (integers, 0-100, a fictional wellbeing rating).
    """
    rng = np.random.default_rng(seed)
    n_items = len(CHECKIN_ITEMS)
    checkin_rows: list[list[object]] = []
    outcome_rows: list[list[object]] = []
    for index in range(n_clients):
        client_id = f"C{index + 1:03d}"
        bond = rng.normal()  # the quality of this working relationship, unobserved
        planned_sessions = int(rng.integers(6, 15))
        level = 6.6 + 1.0 * bond
        # Some relationships go through a rupture; most are repaired.
        rupture_at = None
        repaired = False
        if planned_sessions >= 7 and rng.random() < 0.4:
            rupture_at = int(rng.integers(4, planned_sessions - 1))
            repaired = bool(rng.random() < 0.72)
        depth = float(rng.uniform(2.6, 3.8))
        sessions = planned_sessions
        if rupture_at is not None and not repaired:
            sessions = min(planned_sessions, rupture_at + 2)
        for session in range(1, sessions + 1):
            true_score = level + 0.07 * (session - 1) + rng.normal(0, 0.35)
            if rupture_at is not None and session >= rupture_at:
                since = session - rupture_at
                if repaired:
                    # the drop, a partial recovery, then a little above the earlier level
                    true_score += (-depth, -0.35 * depth)[since] if since < 2 else 0.3
                else:
                    true_score -= depth * (1.0 if since == 0 else 0.8)
            items = np.clip(np.rint(true_score + rng.normal(0, 0.6, n_items)), 0, 10)
            checkin_rows.append([client_id, session, *items.astype(int).tolist()])
        start = float(np.clip(rng.normal(44, 11), 8, 85))
        change = 9 + 4.3 * bond + rng.normal(0, 16)
        if rupture_at is not None:
            change += 4 if repaired else -6
        end = float(np.clip(start + change, 0, 100))
        outcome_rows.append([client_id, sessions, round(start), round(end)])
    checkins = pd.DataFrame(checkin_rows, columns=["client_id", "session", *CHECKIN_ITEMS])
    outcomes = pd.DataFrame(
        outcome_rows,
        columns=["client_id", "sessions_attended", "wellbeing_start", "wellbeing_end"],
    )
    return checkins, outcomes


def write(out_dir: Path, seed: int = SEED) -> list[Path]:
    """Generate the tables and write them as CSV files into ``out_dir``.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write into; created if missing.
    seed : int
        Seed passed to :func:`generate`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`FILES`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    checkins, outcomes = generate(seed)
    paths = [out_dir / name for name in FILES]
    for table, path in zip((checkins, outcomes), paths, strict=True):
        table.to_csv(path, index=False, lineterminator="\n")
    return paths


def copy_to_assignments(data_dir: Path, solutions_dir: Path) -> list[Path]:
    """Copy the data files into each assignment that reads them.

    Parameters
    ----------
    data_dir : pathlib.Path
        Folder holding the files of :data:`FILES`.
    solutions_dir : pathlib.Path
        The nbgrader source folder holding one folder per assignment.

    Returns
    -------
    list of pathlib.Path
        The copies written.
    """
    copies = []
    for assignment in ASSIGNMENTS_USING_DATA:
        target = solutions_dir / assignment
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            copies.append(Path(shutil.copyfile(data_dir / name, target / name)))
    return copies


def main(argv: list[str] | None = None) -> int:
    """Run the command line: write the data, then copy it into the assignments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        help="write the CSV files to this folder only (no copies into solutions/)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.out is not None:
        written = write(args.out, args.seed)
    else:
        written = write(DEFAULT_OUT, args.seed)
        written += copy_to_assignments(DEFAULT_OUT, COURSE_ROOT / "solutions")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
