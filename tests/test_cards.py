"""Tests of widgets/cards.py: display helpers for course pages."""

from widgets.cards import force_overview, movement_card


def test_force_overview_lists_the_five_movements():
    """Does the FORCE overview show each movement's course name and the step it reimagines?"""
    from widgets.force import MOVEMENTS

    table = force_overview().value
    for m in MOVEMENTS:
        assert m.name in table
        assert m.reimagines in table
    assert table.count("<tr>") == len(MOVEMENTS) + 1


def test_movement_card_is_markdown_from_force():
    """Does the movement card show the summary from widgets/force.py as Markdown?"""
    card = movement_card("termination")
    assert card.data.startswith("**Movement 5 of 5: Ending as a beginning.**")
