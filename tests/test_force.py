"""Tests of widgets/force.py: the five movements as data."""

import pytest

from widgets import force


def test_five_movements_in_course_order():
    """Are there exactly five movements, in the order the course teaches them?"""
    assert force.slugs() == [
        "first-contact",
        "assessment",
        "diagnosis",
        "treatment-planning",
        "termination",
    ]


def test_every_movement_names_the_step_it_reimagines():
    """Does every movement have a name, the medical-model step it reimagines and a core idea?"""
    for m in force.MOVEMENTS:
        assert m.name and m.reimagines and len(m.core_idea) > 40


def test_unknown_slug_lists_the_valid_ones():
    """Does asking for an unknown movement name the valid slugs?"""
    with pytest.raises(KeyError, match="first-contact, assessment"):
        force.movement("intake")


def test_capstone_is_not_a_movement():
    """Is the capstone marker kept apart from the five movements?"""
    assert force.CAPSTONE not in force.slugs()


def test_summary_places_the_movement_in_the_sequence():
    """Does a movement's summary give its position, name and the step it reimagines?"""
    text = force.summary("diagnosis")
    assert text.startswith("**Movement 3 of 5: Diagnosis as a starting point.**")
    assert "*diagnosis*" in text
