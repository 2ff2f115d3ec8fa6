"""Which FORCE movement each assignment belongs to.

Assignments are named ``mNN_slug`` after the course module they follow. Module 01
introduces the relational shift as a whole (``general``), modules 02-06 follow the
five movements in course order (:data:`widgets.force.MOVEMENTS`), and module 07
follows one client through all five (:data:`widgets.force.CAPSTONE`).
"""

from __future__ import annotations

import re

from widgets.force import CAPSTONE, slugs

#: The group of an assignment that is about the course as a whole.
GENERAL = "general"

_MODULE = re.compile(r"^m(\d{2})_")


def groups() -> list[str]:
    """Return every movement group in course order: general, the five movements, capstone."""
    return [GENERAL, *slugs(), CAPSTONE]


def movement_of(assignment: str) -> str:
    """Return the movement group of an assignment, from its module number.

    Parameters
    ----------
    assignment : str
        An assignment name such as ``m03_assessment_in_context``.

    Raises
    ------
    ValueError
        If the name does not start with a module number from 01 to 07.
    """
    match = _MODULE.match(assignment)
    order = groups()
    if not match or not 1 <= int(match.group(1)) <= len(order):
        raise ValueError(
            f"cannot tell the movement of assignment {assignment!r}: expected a name "
            f"'mNN_...' with NN from 01 to {len(order):02d}"
        )
    return order[int(match.group(1)) - 1]
