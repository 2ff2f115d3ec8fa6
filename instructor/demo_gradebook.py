"""A synthetic gradebook of fictional students, for tests and for previewing the dashboard.

It holds the course's seven assignments (by name), each with two autograded test
cells and two rubric-graded written answers, and a cohort of fictional students
with seeded random scores: some submissions are missing, some late, and some
written answers still wait for a grader. Nothing in it comes from real students.

Preview the dashboard on it::

    python -m instructor.demo_gradebook /tmp/demo.db
    IRH_GRADEBOOK_URL=sqlite:////tmp/demo.db voila instructor/dashboard.ipynb
"""

from __future__ import annotations

import random
import sys
import warnings
from datetime import datetime, timedelta
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

ASSIGNMENTS = [
    "m01_relational_shift", "m02_first_contact", "m03_assessment", "m04_diagnosis",
    "m05_treatment_planning", "m06_termination", "m07_between_us",
]
#: (cell, points, markdown?) of every demo notebook: two test cells, two written answers.
CELLS = [("lens-tests", 3, False), ("data-tests", 2, False), ("case-answer", 5, True),
         ("practice-answer", 4, True)]
FIRST = ["Ana", "Bo", "Chidi", "Dana", "Emre", "Farah", "Gus", "Hana", "Ines", "Jun", "Kofi",
         "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove"]
LAST = ["Abara", "Berg", "Costa", "Diallo", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen"]
START = datetime(2026, 9, 7, 17, 0)


def build(db_url: str, students: int = 24, seed: int = 7) -> None:
    """Fill an empty gradebook with the demo course.

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL of a new (empty) gradebook.
    students : int
        How many fictional students.
    seed : int
        Seed of the random scores, so the same call gives the same gradebook.
    """
    rng = random.Random(seed)
    with warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; harmless here
        warnings.simplefilter("ignore", SAWarning)
        _fill(db_url, students, rng)


def _fill(db_url: str, students: int, rng: random.Random) -> None:
    with Gradebook(db_url, course_id="irh-relational-health") as gb:
        for week, name in enumerate(ASSIGNMENTS):
            gb.add_assignment(name, duedate=START + timedelta(weeks=2 * week))
            gb.add_notebook(name, name)
            for cell, points, markdown in CELLS:
                cell_type = "markdown" if markdown else "code"
                gb.add_grade_cell(cell, name, name, max_score=points, cell_type=cell_type)
                gb.add_source_cell(cell, name, name, cell_type=cell_type, locked=not markdown,
                                   source="", checksum="")
                if markdown:
                    gb.add_solution_cell(cell, name, name)
        for i in range(students):
            gb.add_student(f"s{i + 1:03d}", first_name=FIRST[i % len(FIRST)],
                           last_name=LAST[(i * 7) % len(LAST)], lms_user_id=str(5000 + i))
        for i in range(students):
            student = f"s{i + 1:03d}"
            skill = rng.uniform(0.35, 1.0)
            for week, name in enumerate(ASSIGNMENTS):
                if rng.random() < 0.06 + 0.02 * week:
                    continue  # missing
                due = gb.find_assignment(name).duedate
                late = rng.random() < 0.1
                stamp = due + (timedelta(hours=rng.randint(1, 60)) if late
                               else -timedelta(hours=rng.randint(1, 90)))
                gb.add_submission(name, student, timestamp=stamp)
                for cell, points, markdown in CELLS:
                    grade = gb.find_grade(cell, name, name, student)
                    if markdown:
                        grade.auto_score = None
                        if rng.random() < 0.25 + 0.05 * week:
                            grade.needs_manual_grade = True
                        else:
                            level = min(points, max(0, round(rng.gauss(skill * points, 1))))
                            grade.manual_score = level
                            grade.needs_manual_grade = False
                    else:
                        grade.auto_score = points if rng.random() < skill else 0
                        grade.needs_manual_grade = False
        gb.db.commit()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m instructor.demo_gradebook NEW_FILE.db")
    target = Path(sys.argv[1]).resolve()
    if target.exists():
        sys.exit(f"{target} exists; give a new file name")
    build(f"sqlite:///{target}")
    print(f"wrote a demo gradebook to {target}")
