"""Tests of widgets/audit.py: the figures that show whether a vignette can be gamed."""

from pathlib import Path

from widgets.audit import audit, combine
from widgets.scenario import load_scenario, parse_scenario

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "scenario-valid.yaml"
V2 = FIXTURES / "scenario-v2-valid.yaml"


def test_a_version_1_vignette():
    """Are the figures of the small version 1 fixture counted as worked out by hand?"""
    a = audit(load_scenario(VALID))
    assert a.name == "scenario-valid" and a.choice_nodes == 2
    assert dict(a.top_lens) == {"medical": 0, "relational": 1, "integrative": 1}
    assert (a.tied, a.top_is_longest, a.same_next) == (0, 2, 1)
    assert dict(a.endings) == {"hopeful": 2, "mixed": 0, "costly": 0}
    assert dict(a.choices) == {"medical": 1, "relational": 2, "integrative": 1}
    assert dict(a.lower_safety) == {"medical": 1, "relational": 1, "integrative": 0}


def test_hidden_effects_do_not_score_and_ties_count_for_each_lens():
    """Is the score the visible field only, with a tie counted once for each tied lens?"""
    a = audit(load_scenario(V2))
    # At 'ask' relational (+1 mutuality, +2 disclosure) and medical (+1 safety) tie at 1:
    # with hidden effects counted, relational would be the only top choice.
    assert dict(a.top_lens) == {"medical": 1, "relational": 1, "integrative": 1}
    assert a.tied == 1
    assert a.top_is_longest == 0 and a.same_next == 0
    assert dict(a.endings) == {"hopeful": 1, "mixed": 1, "costly": 1}
    assert dict(a.lower_safety) == {"medical": 1, "relational": 0, "integrative": 1}


def test_identical_branch_lists_lead_to_the_same_next():
    """Do choices with the same branches (conditions in any order) count as converging?"""
    same = (
        "        next:\n"
        '          - if: {safety: ">= 3", risk: "<= 4"}\n'
        "            go: together\n"
        "          - go: referred\n"
    )
    swapped = same.replace('safety: ">= 3", risk: "<= 4"', 'risk: "<= 4", safety: ">= 3"')
    text = (
        V2.read_text()
        .replace("        next: together\n", same)
        .replace(
            "        next:\n"
            '          - if: {safety: "<= 2"}\n'
            "            go: missed\n"
            "          - go: referred\n",
            swapped,
        )
    )
    assert audit(parse_scenario(text, "same.yaml")).same_next == 1
    # Identical lists are compared, not meanings: "< 5" is another condition than "<= 4".
    different = text.replace('risk: "<= 4", safety: ">= 3"', 'risk: "< 5", safety: ">= 3"')
    assert audit(parse_scenario(different, "different.yaml")).same_next == 0


def test_longest_counts_whitespace_runs_once():
    """Is a say padded with folded line breaks not counted as longer than it reads?"""
    text = VALID.read_text().replace(
        '"Before we talk, I need to complete the intake form."',
        '"Before    we    talk,    I    need    to    complete    the    intake    form."',
    )
    assert audit(parse_scenario(text, "spaces.yaml")).top_is_longest == 2


def test_combine_adds_every_figure():
    """Does the total add up the figures of each vignette?"""
    one, two = audit(load_scenario(VALID)), audit(load_scenario(V2))
    total = combine([one, two])
    assert total.choice_nodes == 4
    assert dict(total.top_lens) == {"medical": 1, "relational": 2, "integrative": 2}
    assert dict(total.endings) == {"hopeful": 3, "mixed": 1, "costly": 1}
    assert total.files == (str(VALID), str(V2))
    data = total.to_dict()
    assert data["top_scoring_lens"]["relational"] == {"nodes": 2, "share": 0.5}
    assert data["choices_lowering_safety"]["medical"] == {"lower": 2, "choices": 3}
