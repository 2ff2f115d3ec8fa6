"""The five FORCE movements: the one place their names and ideas live.

The source the course teaches from names the sequence FORCE but does not expand
the letters, so neither does the course. Each movement reimagines one step of
medical-model practice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Movement:
    """One FORCE movement.

    Parameters
    ----------
    slug : str
        Stable identifier used in vignette files, journals and grades.
    name : str
        The course's name for the movement.
    reimagines : str
        The medical-model step (or steps) the movement reimagines.
    core_idea : str
        One sentence on what the movement asks of the practitioner.
    """

    slug: str
    name: str
    reimagines: str
    core_idea: str


MOVEMENTS: tuple[Movement, ...] = (
    Movement(
        slug="first-contact",
        name="Reaching out: the field opens",
        reimagines="intake",
        core_idea=(
            "The first exchange is already therapy: reaching out takes courage, and the "
            "quality of early attention shapes the relationship that can grow."
        ),
    ),
    Movement(
        slug="assessment",
        name="Assessment in context",
        reimagines="assessment",
        core_idea=(
            "Symptoms are understood together with patterns of relationship, context "
            "and the resources a person already has."
        ),
    ),
    Movement(
        slug="diagnosis",
        name="Diagnosis as a starting point",
        reimagines="diagnosis",
        core_idea=(
            "A diagnosis opens an understanding of struggles within relationships and "
            "life, rather than closing the question of who the person is."
        ),
    ),
    Movement(
        slug="treatment-planning",
        name="Planning from the relational context",
        reimagines="treatment planning and consultation",
        core_idea=(
            "Clinical wisdom and relational context plan together; even standard "
            "interventions are delivered through the relationship."
        ),
    ),
    Movement(
        slug="termination",
        name="Ending as a beginning",
        reimagines="termination",
        core_idea=(
            "The therapeutic journey is cyclical: an ending is the next beginning, and "
            "an attuned relationship is carried on."
        ),
    ),
)

#: The movement value of a vignette that follows one client through all five
#: movements; its nodes name their own movement.
CAPSTONE = "capstone"

LENSES: tuple[str, ...] = ("medical", "relational", "integrative")

_BY_SLUG = {m.slug: m for m in MOVEMENTS}


def movement(slug: str) -> Movement:
    """Return the movement with this slug.

    Raises
    ------
    KeyError
        If no movement has this slug; the message lists the valid slugs.
    """
    try:
        return _BY_SLUG[slug]
    except KeyError:
        valid = ", ".join(_BY_SLUG)
        raise KeyError(f"unknown movement {slug!r}; expected one of {valid}") from None


def slugs() -> list[str]:
    """Return the movement slugs in course order."""
    return [m.slug for m in MOVEMENTS]


def summary(slug: str) -> str:
    """One Markdown line placing a movement in the sequence, for course pages.

    >>> summary("assessment").startswith("**Movement 2 of 5: Assessment in context.**")
    True
    """
    m = movement(slug)
    position = slugs().index(slug) + 1
    return (
        f"**Movement {position} of {len(MOVEMENTS)}: {m.name}.** "
        f"It reimagines *{m.reimagines}*. {m.core_idea}"
    )
