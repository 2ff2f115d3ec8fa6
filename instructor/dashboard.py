"""The grading dashboard's tables and charts (``instructor/dashboard.ipynb`` shows them).

Every function takes the tables of :mod:`instructor.grade_export` and returns a
pandas table or a matplotlib figure, so the dashboard can be tested without a
browser. The gradebook comes from ``$IRH_GRADEBOOK_URL`` (an SQLAlchemy URL),
else the course's ``gradebook.db``.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from instructor.grade_export import default_db_url, load_cells, load_submissions, movement_scores
from instructor.movements import groups

#: The status of a submission nbgrader could not autograde, and why.
NOT_GRADED = "not graded: the notebook could not be read"
STATUS_COLOURS = {"on time": "#4c72b0", "late": "#dd8452", "missing": "#c44e52",
                  "not graded": "#8172b3"}


@dataclass
class Data:
    """What the dashboard reads from the gradebook."""

    db_url: str
    submissions: pd.DataFrame
    cells: pd.DataFrame


def load(db_url: str | None = None) -> Data:
    """Read the gradebook (default: ``$IRH_GRADEBOOK_URL`` or the course's gradebook.db)."""
    url = db_url or default_db_url()
    return Data(url, load_submissions(url), load_cells(url))


OVERVIEW_COLUMNS = ["assignment", "students", "submitted", "late", "missing", "not graded",
                    "mean percent", "answers to grade"]


def _not_graded(subs: pd.DataFrame) -> pd.Series:
    """Submissions nbgrader could not autograde (they have no score)."""
    return subs["submitted"] & ~subs["autograded"]


def overview(data: Data) -> pd.DataFrame:
    """Return one row per assignment: students, submitted, late, missing, not graded,
    mean % (of the graded submissions) and answers to grade."""
    subs = data.submissions
    if subs.empty:
        return pd.DataFrame(columns=OVERVIEW_COLUMNS)
    queue = manual_queue(data).groupby("assignment").size()
    table = subs.assign(not_graded=_not_graded(subs)).groupby("assignment").agg(
        students=("student", "size"),
        submitted=("submitted", "sum"),
        late=("late", "sum"),
        not_graded=("not_graded", "sum"),
        max_score=("max_score", "first"),
        mean_score=("score", "mean"),
    )
    table["missing"] = table["students"] - table["submitted"]
    table["not graded"] = table["not_graded"]
    table["mean percent"] = (100 * table["mean_score"] / table["max_score"]).round(1)
    table["answers to grade"] = queue.reindex(table.index).fillna(0).astype(int)
    return table.reset_index()[OVERVIEW_COLUMNS]


def _empty(message: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


def score_distributions(data: Data) -> Figure:
    """Histograms of submitted scores (percent of maximum), one panel per assignment."""
    subs = data.submissions[data.submissions["submitted"] & data.submissions["autograded"]]
    if subs.empty:
        return _empty("No submissions yet.")
    names = sorted(subs["assignment"].unique())
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False,
                             sharex=True)
    for ax, name in zip(axes.flat, names, strict=False):
        part = subs[subs["assignment"] == name]
        ax.hist(100 * part["score"] / part["max_score"], bins=range(0, 105, 10),
                color="#4c72b0", edgecolor="white")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score (%)")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.suptitle("Score distribution per assignment")
    fig.tight_layout()
    return fig


def rubric_levels(data: Data) -> pd.DataFrame:
    """Return counts of each awarded score per rubric-graded answer (graded answers only)."""
    cells = data.cells
    graded = cells[(cells["kind"] == "rubric") & ~cells["needs_manual_grade"]]
    if graded.empty:
        return pd.DataFrame()
    graded = graded.assign(rubric=graded["assignment"] + " / " + graded["cell"],
                           level=graded["score"].round().astype(int))
    return graded.pivot_table(index="rubric", columns="level", values="student",
                              aggfunc="count", fill_value=0)


def rubric_distributions(data: Data) -> Figure:
    """Stacked bars: how many students got each score on each rubric-graded answer."""
    levels = rubric_levels(data)
    if levels.empty:
        return _empty("No rubric grades yet.")
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(levels) + 1.5))
    left = pd.Series(0, index=levels.index)
    colours = plt.cm.viridis([i / max(1, len(levels.columns) - 1)
                              for i in range(len(levels.columns))])
    for colour, level in zip(colours, levels.columns, strict=True):
        ax.barh(levels.index, levels[level], left=left, color=colour, label=f"{level} pts")
        left = left + levels[level]
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title("Score distribution per rubric (graded answers)")
    ax.legend(ncol=min(6, len(levels.columns)), fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def movement_profiles(data: Data) -> pd.DataFrame:
    """Return each student's percent per movement group (rows: students; columns: groups).

    Missing work counts 0, as in the by-movement export; a group holding a
    submission nbgrader could not autograde has no percent (NaN).
    """
    subs = data.submissions
    if subs.empty:
        return pd.DataFrame()
    percent = movement_scores(subs).pivot(index="student", columns="movement", values="percent")
    percent.columns.name = "movement"
    order = [g for g in groups() if g in percent.columns]
    return percent[order + [c for c in percent.columns if c not in order]].round(1)


def profile_heatmap(data: Data) -> Figure:
    """A heat map of every student's percent across the movement groups."""
    profiles = movement_profiles(data)
    if profiles.empty:
        return _empty("No students yet.")
    many = len(profiles) > 60  # a large class: one pixel row per student, no names
    fig, ax = plt.subplots(figsize=(8, 12 if many else 0.22 * len(profiles) + 1.8))
    # a movement holding work nbgrader could not autograde has no percent: grey
    colours = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    image = ax.imshow(profiles.to_numpy(dtype=float), aspect="auto", cmap=colours, vmin=0,
                      vmax=100)
    ax.set_xticks(range(len(profiles.columns)), profiles.columns, rotation=30, ha="right")
    if many:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(profiles)} students")
    else:
        ax.set_yticks(range(len(profiles.index)), profiles.index, fontsize=7)
    fig.colorbar(image, ax=ax, label="score (%)")
    ax.set_title("Students across the movements (missing work counts 0; grey: not graded)")
    fig.tight_layout()
    return fig


def student_profile(data: Data, student: str) -> Figure:
    """Bars of one student's percent per movement group, beside the class mean."""
    profiles = movement_profiles(data)
    if student not in profiles.index:
        return _empty(f"No grades for {student}.")
    fig, ax = plt.subplots(figsize=(8, 3))
    x = range(len(profiles.columns))
    ax.bar([i - 0.2 for i in x], profiles.loc[student], width=0.4, label=student,
           color="#4c72b0")
    ax.bar([i + 0.2 for i in x], profiles.mean(), width=0.4, label="class mean",
           color="#bbbbbb")
    ax.set_xticks(list(x), profiles.columns, rotation=20, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (%)")
    ax.set_title(f"Profile of {student} across the movements")
    ax.legend()
    fig.tight_layout()
    return fig


def submission_status(data: Data) -> pd.DataFrame:
    """Return per assignment the number of on-time, late, missing and not graded submissions.

    "not graded" is a submission nbgrader could not autograde (however late it came).
    """
    subs = data.submissions
    if subs.empty:
        return pd.DataFrame(columns=list(STATUS_COLOURS))
    status = pd.Series("on time", index=subs.index)
    status[subs["late"]] = "late"
    status[~subs["submitted"]] = "missing"
    status[_not_graded(subs)] = "not graded"
    table = pd.crosstab(subs["assignment"], status.rename("status"))
    return table.reindex(columns=list(STATUS_COLOURS), fill_value=0)


def missing_and_late(data: Data) -> pd.DataFrame:
    """Return the missing, late and not graded submissions, one row each.

    Columns ``student, assignment, status, hours late``. The status of a submission
    nbgrader could not autograde is :data:`NOT_GRADED`, which says why it has no
    score; ``hours late`` is given for late submissions.
    """
    subs = data.submissions
    not_graded = _not_graded(subs)
    rows = subs[~subs["submitted"] | subs["late"] | not_graded].copy()
    rows["status"] = rows["submitted"].map({True: "late", False: "missing"})
    rows.loc[not_graded[rows.index], "status"] = NOT_GRADED
    rows["hours late"] = (rows["seconds_late"] / 3600).round(1).where(rows["late"])
    return rows[["student", "assignment", "status", "hours late"]].sort_values(
        ["assignment", "status", "student"]).reset_index(drop=True)


def status_chart(data: Data) -> Figure:
    """Stacked bars of on-time, late and missing submissions per assignment."""
    table = submission_status(data)
    if table.empty:
        return _empty("No assignments yet.")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    bottom = pd.Series(0, index=table.index)
    for status, colour in STATUS_COLOURS.items():
        ax.bar(table.index, table[status], bottom=bottom, color=colour, label=status)
        bottom = bottom + table[status]
    ax.set_ylabel("students")
    ax.set_title("Submissions: on time, late, missing, not graded")
    ax.tick_params(axis="x", rotation=20)
    ax.legend()
    fig.tight_layout()
    return fig


def manual_queue(data: Data) -> pd.DataFrame:
    """Return the answers still waiting for a manual grade (student, assignment, cell).

    Cells of a notebook nbgrader could not autograde are left out: nbgrader marks
    them all for review, but they wait for the submission to be fixed, not for a
    grader.
    """
    cells = data.cells
    queue = cells[cells["needs_manual_grade"] & cells["autograded"]]
    return queue[["assignment", "notebook", "cell", "student", "max_score"]].sort_values(
        ["assignment", "cell", "student"]).reset_index(drop=True)


def queue_chart(data: Data) -> Figure:
    """Bars of how many answers wait for a manual grade, per assignment and answer cell."""
    queue = manual_queue(data)
    if queue.empty:
        return _empty("No answer is waiting for a manual grade.")
    counts = queue.groupby(["assignment", "cell"]).size()
    labels = [f"{a} / {c}" for a, c in counts.index]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(counts) + 1.5))
    ax.barh(labels, counts.to_numpy(), color="#dd8452")
    ax.invert_yaxis()
    ax.set_xlabel("answers to grade")
    ax.set_title(f"Manual grading queue ({len(queue)} answers)")
    fig.tight_layout()
    return fig
