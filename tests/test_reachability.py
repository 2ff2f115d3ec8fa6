"""Tests of widgets/reachability.py: the (node, values) states play can reach."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from widgets.reachability import BranchRef, explore
from widgets.scenario import (
    ScenarioError,
    check_text,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)

FIXTURES = Path(__file__).parent / "fixtures"
V2 = FIXTURES / "scenario-v2-valid.yaml"


def problems_of(name: str) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(FIXTURES / name)
    return [(p.line, p.message) for p in caught.value.problems]


def loop_vignette(variables: int = 3) -> str:
    """A vignette whose hidden variables wander over many values before an ending.

    Every choice at ``talk`` moves one variable up or down; the talk goes on until all
    of them reach 10 (after a move up), so play can reach 11 ** variables states there.
    """
    names = [f"v{'abcdefgh'[i]}" for i in range(variables)]
    hidden = "".join(f"  {n}: 5\n" for n in names)
    done = ", ".join(f'{m}: "== 10"' for m in names)
    choices = ""
    for n in names:
        for sign, word in ((1, "up"), (-1, "down")):
            choices += (
                f"      - say: Move {n} {word}.\n"
                "        lens: relational\n"
                f"        effects: {{{n}: {sign}}}\n"
                "        feedback: A move.\n"
            )
            if sign > 0:
                choices += (
                    f"        next:\n          - if: {{{done}}}\n            go: done\n"
                    "          - go: talk\n"
                )
            else:
                choices += "        next: talk\n"
    return (
        "id: loop\nmovement: assessment\ntitle: Loop\nsummary: A fictional loop.\n"
        "client: {name: Lo, about: A fictional client.}\n"
        f"field:\n  safety: 4\nhidden:\n{hidden}start: talk\nnodes:\n"
        f"  talk:\n    text: Talk.\n    choices:\n{choices}"
        "  done:\n    text: Done.\n    end: true\ndebrief: Done.\n"
    )


def test_a_valid_v2_vignette_has_no_state_problems():
    """Does the state check of the valid version 2 fixture find every branch taken?"""
    found = explore(load_scenario(V2))
    assert found.complete and found.never_taken == () and found.dead_ends == ()
    assert found.reached == set(load_scenario(V2).nodes)
    assert found.tracked == ("safety", "disclosure", "risk")


def test_conditions_are_read_after_the_effects_and_values_are_clamped():
    """Does the state check read a condition after the choice's effects, kept within 0..10?"""
    text = (
        V2.read_text()
        .replace(
            "effects: {mutuality: 1, disclosure: 2}", "effects: {mutuality: 1, disclosure: 20}"
        )
        .replace('{disclosure: ">= 4", risk: "> 4"}', '{disclosure: "== 10"}')
    )
    scenario = parse_scenario(text, "clamped.yaml")
    assert explore(scenario).never_taken == ()


def test_a_branch_never_true_names_its_line():
    """Is a branch whose condition no reachable state meets reported at its line?"""
    assert problems_of("scenario-v2-never-true-branch.yaml") == [
        (
            21,
            "nodes.ask.choices[0].next[0]: never taken: its condition (risk > 6) is never true "
            "in a state play can reach",
        ),
        (29, "node 'tells' is reached only through branches that are never taken"),
    ]


def test_a_branch_always_preceded_by_an_earlier_one_is_reported():
    """Is a branch that holds only where an earlier branch is taken first reported?"""
    assert problems_of("scenario-v2-shadowed-branch.yaml") == [
        (
            23,
            "nodes.ask.choices[0].next[1]: never taken: whenever risk == 6, safety >= 5 holds, "
            "an earlier branch is taken",
        )
    ]


def test_a_node_reached_only_through_dead_branches():
    """Is a node that only never-taken branches lead to reported at its line?"""
    found = problems_of("scenario-v2-only-through-dead-branch.yaml")
    assert (29, "node 'tells' is reached only through branches that are never taken") in found


def test_a_state_with_no_way_to_an_ending():
    """Is a reachable state with no way to an ending reported, with how to reach it?"""
    assert problems_of("scenario-v2-stuck-state.yaml") == [
        (
            34,
            "no ending can be reached from node 'again' in 5 reachable states, for example "
            "with risk 4 (play --choose 1)",
        )
    ]
    scenario, _ = check_text((FIXTURES / "scenario-v2-stuck-state.yaml").read_text())
    assert scenario is None


def test_a_nodes_own_branches_are_checked_too():
    """Is a never-true branch on a node's own next reported at its line?"""
    text = V2.read_text().replace('      - if: {risk: ">= 6"}', '      - if: {risk: ">= 9"}')
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "own.yaml")
    lines = [(p.line, p.message.split(":")[0]) for p in caught.value.problems]
    assert (47, "nodes.quiet.next[0]") in lines


def test_the_stuck_state_path_replays_in_play():
    """Does the path named in a stuck-state report lead there in ``play``?"""
    scenario = parse_scenario(
        (FIXTURES / "scenario-v2-stuck-state.yaml")
        .read_text()
        .replace("go: again\n", "go: quiet\n"),
        "unstuck.yaml",
    )
    # With the loop opened the file is valid; the reported path reaches 'again' with risk 4.
    from widgets.session import Session

    session = Session(scenario)
    session.choose(1)
    assert session.node_id == "again" and session.hidden == {"risk": 4}


def test_variables_no_condition_reads_are_left_out_of_states():
    """Does a version 1 vignette explore one state per node, whatever its effects?"""
    scenario = load_scenario(FIXTURES / "scenario-valid.yaml")
    found = explore(scenario)
    assert found.tracked == () and found.states == len(scenario.nodes)


def test_the_bound_stops_the_check_with_one_warning():
    """Past the bound, does the check stop with one warning line and the file stay valid?"""
    text = loop_vignette(3)
    found = explore(parse_scenario(text, "loop.yaml", max_states=10**6), max_states=100)
    assert not found.complete and found.states == 100
    assert found.never_taken == () and found.dead_ends == ()
    scenario, problems = check_text(text, "loop.yaml", max_states=100)
    assert scenario is not None
    [warning] = problems
    assert warning.warning and warning.line == 8
    assert str(warning).startswith("loop.yaml:8: warning: the state check stopped at its bound")
    assert "100 states" in warning.message and "va, vb, vc" in warning.message


def test_the_full_loop_is_explored_under_the_default_bound():
    """Without a bound in the way, is every state of the loop found, and no more?"""
    found = explore(parse_scenario(loop_vignette(3), "loop.yaml"))
    # At talk every combination but all tens (that move goes to done), plus done itself.
    assert found.complete and found.states == (11**3 - 1) + 1


def test_validate_prints_the_warning_and_exits_0(tmp_path):
    """Does ``validate --max-states`` print one warning line and exit 0, quickly?"""
    path = tmp_path / "loop.yaml"
    path.write_text(loop_vignette(5))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "widgets", "validate", "--max-states", "5000", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{path}:8: warning: the state check stopped at its bound of 5,000")


def test_a_bad_bound_is_a_usage_error():
    """Is ``--max-states 0`` refused as a usage error?"""
    result = subprocess.run(
        [sys.executable, "-m", "widgets", "validate", "--max-states", "0", str(V2)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "at least 1" in result.stderr


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_shipped_vignettes_validate_well_under_a_second(path):
    """Does each shipped vignette load, state check included, in well under a second?"""
    load_scenario(path)  # the schema check is compiled once per process
    times = []
    for _ in range(3):  # the best of three, so a busy machine does not decide
        started = time.perf_counter()
        load_scenario(path)
        times.append(time.perf_counter() - started)
    assert min(times) < 0.5


def test_branch_refs_name_their_place_in_the_file():
    """Does a branch reference give the path the line table uses?"""
    assert BranchRef("ask", 0, 1).path == ("nodes", "ask", "choices", 0, "next", 1)
    assert BranchRef("quiet", None, 0).path == ("nodes", "quiet", "next", 0)
