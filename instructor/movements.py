"""Which FORCE movement each assignment belongs to.

Each source notebook in ``solutions/<assignment>/`` names its movement group in its
notebook metadata::

    "metadata": {"irh": {"movement": "assessment"}, "kernelspec": ...}

The groups, in course order, are ``general`` (the relational shift as a whole), the
five movements (:data:`widgets.force.MOVEMENTS`) and ``capstone`` (one client through
all five, :data:`widgets.force.CAPSTONE`). The movement lives with the notebook, so
a new assignment brings its own and nothing else needs to be edited; nbgrader copies
the metadata into the released exercise unchanged. An assignment whose notebooks
name no movement (or that is not in ``solutions/``) belongs to ``other``.
"""

from __future__ import annotations

import json
from pathlib import Path

from instructor.release import course_root
from widgets.force import CAPSTONE, slugs

#: The group of an assignment that is about the course as a whole.
GENERAL = "general"
#: The group of an assignment whose notebooks name no movement.
OTHER = "other"
#: Key of the course's own notebook metadata; its ``movement`` names the group.
METADATA_KEY = "irh"
#: The folder of the source notebooks, relative to the course root (nbgrader's
#: ``CourseDirectory.source_directory`` in ``nbgrader_config.py``).
SOURCE_DIRECTORY = "solutions"


def groups() -> list[str]:
    """Return every movement group in course order: general, the five movements, capstone."""
    return [GENERAL, *slugs(), CAPSTONE]


def movement_of(assignment: str, root: Path | None = None) -> str:
    """Return the movement group of an assignment, from its notebooks' metadata.

    Parameters
    ----------
    assignment : str
        An assignment name such as ``m03_assessment``.
    root : Path, optional
        The course root holding ``solutions/`` (default: this course).

    Returns
    -------
    str
        One of :func:`groups`, or ``other`` when no notebook of the assignment
        names a movement (also for an assignment missing from ``solutions/``).

    Raises
    ------
    ValueError
        If a notebook names a movement outside :func:`groups`, cannot be read, or
        the notebooks of one assignment name different movements; the message
        starts with the notebook's path.
    """
    folder = Path(root if root is not None else course_root()) / SOURCE_DIRECTORY / assignment
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        try:
            metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as error:
            raise ValueError(f"{path}: cannot read the notebook's metadata: {error}") from None
        movement = (metadata.get(METADATA_KEY) or {}).get("movement")
        if movement is None:
            continue
        if movement not in groups():
            raise ValueError(
                f"{path}: metadata {METADATA_KEY}.movement is {movement!r}; expected one of "
                f"{', '.join(groups())}"
            )
        found.setdefault(movement, path)
    if len(found) > 1:
        named = "; ".join(f"{p.name}: {m}" for m, p in found.items())
        raise ValueError(f"{folder}: the notebooks name different movements ({named})")
    return next(iter(found), OTHER)
