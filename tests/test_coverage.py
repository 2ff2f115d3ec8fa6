"""Checks of course/coverage.md, the table of where each idea of the course is taught.

The table has four columns: an item id (``idea-N``, ``movement:SLUG``, ``ethics:NAME`` or
``ref:NAME``), what the item is, the notebooks that teach it (``NN_slug.ipynb`` followed by
the headings of the sections that teach it, in parentheses, separated by semicolons) and the
vignettes that teach it (ids in backticks). These tests keep the table truthful as the
course changes: every place it names must exist, down to the section heading.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from widgets.force import slugs

ROOT = Path(__file__).resolve().parent.parent
COVERAGE = ROOT / "course" / "coverage.md"
COURSE = ROOT / "course"
SCENARIOS = ROOT / "widgets" / "scenarios"

ITEM_ID = re.compile(r"^(idea-[1-9]\d*|movement:[a-z-]+|ethics:[a-z-]+|ref:[a-z-]+)$")
NOTEBOOK = re.compile(r"([\w-]+\.ipynb)(?:\s*\(([^)]*)\))?")
VIGNETTE = re.compile(r"`([a-z0-9][a-z0-9-]*)`")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
HEADING_NUMBER = re.compile(r"^\s*\d+[.)]\s*")


@dataclass(frozen=True)
class Row:
    """One row of the coverage table."""

    line: int
    item: str
    what: str
    notebooks: dict[str, list[str]]
    vignettes: list[str]


def parse_table(text: str) -> list[Row]:
    """Return the rows of the first Markdown table whose header starts with ``Item``.

    Raises
    ------
    ValueError
        If there is no such table, or a row does not have four cells.
    """
    rows: list[Row] = []
    in_table = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not in_table:
            if cells and cells[0].lower() == "item":
                in_table = True
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the separator row
        if len(cells) != 4:
            raise ValueError(f"line {number}: expected 4 cells, found {len(cells)}")
        item, what, notebook_cell, vignette_cell = cells
        notebooks: dict[str, list[str]] = {}
        for name, sections in NOTEBOOK.findall(LINK.sub(r"\1", notebook_cell)):
            listed = [s.strip() for s in sections.split(";") if s.strip()]
            notebooks.setdefault(name, []).extend(listed)
        vignettes = VIGNETTE.findall(vignette_cell)
        rows.append(Row(number, item.strip("`"), what, notebooks, vignettes))
    if not in_table:
        raise ValueError("no table with an 'Item' header")
    return rows


def headings(notebook: Path) -> list[str]:
    """Return the Markdown headings of a notebook, lower-cased, without leading numbers."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            if line.startswith("#"):
                title = line.lstrip("#").strip()
                found.append(HEADING_NUMBER.sub("", title).lower())
    return found


def problems(rows: list[Row], course: Path, scenarios: Path) -> list[str]:
    """Return one message per broken promise in the table (empty when all is well)."""
    found = []
    seen: set[str] = set()
    for row in rows:
        where = f"line {row.line} ({row.item})"
        if not ITEM_ID.match(row.item):
            found.append(f"{where}: item id does not follow the idea-/movement:/ethics:/ref: form")
        if row.item in seen:
            found.append(f"{where}: duplicate item id")
        seen.add(row.item)
        if not row.notebooks and not row.vignettes:
            found.append(f"{where}: names no notebook and no vignette")
        for name, sections in row.notebooks.items():
            path = course / name
            if not path.is_file():
                found.append(f"{where}: notebook {name} does not exist")
                continue
            titles = headings(path)
            for section in sections:
                if not any(section.lower() in title for title in titles):
                    found.append(f"{where}: {name} has no heading containing {section!r}")
        for vignette in row.vignettes:
            if not (scenarios / f"{vignette}.yaml").is_file():
                found.append(f"{where}: vignette {vignette} does not exist")
    return found


def missing_items(rows: list[Row], ideas: int, movement_slugs: list[str]) -> list[str]:
    """Return the idea numbers and movement slugs that have no row."""
    items = {row.item for row in rows}
    wanted = [f"idea-{n}" for n in range(1, ideas + 1)]
    wanted += [f"movement:{slug}" for slug in movement_slugs]
    return [item for item in wanted if item not in items]


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return parse_table(COVERAGE.read_text(encoding="utf-8"))


def test_every_place_named_exists(rows):
    """Does every row name at least one place, and does every notebook, section and vignette it
    names exist?"""
    assert problems(rows, COURSE, SCENARIOS) == []


def test_every_idea_and_movement_has_a_row(rows):
    """Do ideas 1 to 7 and every FORCE movement slug each have a row?"""
    assert missing_items(rows, 7, slugs()) == []


def test_ethics_and_references_are_covered(rows):
    """Does the table also cover the ethics items and the reference groups?"""
    kinds = {row.item.split(":")[0] for row in rows}
    assert {"ethics", "ref"} <= kinds


# --- the checks themselves can fail ---------------------------------------------------------

BROKEN = """\
| Item | What | Notebooks (sections) | Vignettes |
| --- | --- | --- | --- |
| idea-1 | a meeting | 99_missing.ipynb | |
| idea-2 | the relationship | 01_real.ipynb (Learning goals; No such heading) | `no-such-vignette` |
| idea-2 | twice | | |
| notanid | oops | 01_real.ipynb | |
"""


@pytest.fixture()
def small_course(tmp_path: Path) -> tuple[Path, Path]:
    course = tmp_path / "course"
    scenarios = tmp_path / "scenarios"
    course.mkdir()
    scenarios.mkdir()
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title\n## 1. Learning goals"}
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    (course / "01_real.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return course, scenarios


def test_broken_places_are_reported(small_course):
    """Does the check report a missing notebook, a missing heading, a missing vignette, an
    empty row, a duplicate and a malformed id, each with its line?"""
    course, scenarios = small_course
    found = problems(parse_table(BROKEN), course, scenarios)
    assert found == [
        "line 3 (idea-1): notebook 99_missing.ipynb does not exist",
        "line 4 (idea-2): 01_real.ipynb has no heading containing 'No such heading'",
        "line 4 (idea-2): vignette no-such-vignette does not exist",
        "line 5 (idea-2): duplicate item id",
        "line 5 (idea-2): names no notebook and no vignette",
        "line 6 (notanid): item id does not follow the idea-/movement:/ethics:/ref: form",
    ]


def test_existing_heading_matches_without_its_number(small_course):
    """Is a section found when the heading carries a number ("1. Learning goals")?"""
    course, scenarios = small_course
    table = BROKEN.splitlines()[:2] + ["| idea-3 | x | 01_real.ipynb (learning GOALS) | |"]
    assert problems(parse_table("\n".join(table)), course, scenarios) == []


def test_missing_ideas_and_movements_are_reported():
    """Are an idea number and a movement slug without a row both reported?"""
    rows = parse_table(BROKEN)
    assert missing_items(rows, 3, ["first-contact"]) == ["idea-3", "movement:first-contact"]


def test_a_row_with_the_wrong_number_of_cells_is_rejected():
    """Does a row with three cells stop the parser with its line number?"""
    with pytest.raises(ValueError, match="line 3"):
        parse_table(BROKEN.splitlines()[0] + "\n| --- | --- | --- | --- |\n| idea-1 | a | b |\n")
