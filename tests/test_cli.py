"""Tests of widgets/cli.py: ``python -m widgets validate`` and ``play``, run as commands."""

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "scenario-valid.yaml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "widgets", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_validate_a_valid_file_prints_nothing_and_exits_0():
    """Does validate stay silent and exit 0 for a valid file?"""
    result = run("validate", str(VALID))
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_validate_reports_each_problem_as_file_line_message():
    """Does validate print file:line: message per problem, with the file as given, and exit 1?"""
    result = run(
        "validate",
        "scenario-valid.yaml",
        "scenario-unknown-next.yaml",
        "scenario-bad-lens.yaml",
        cwd=FIXTURES,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "scenario-unknown-next.yaml:38: unknown next target 'bookd' in node 'choice-two'",
        "scenario-unknown-next.yaml:44: node 'booked' is unreachable from start 'message'",
        "scenario-bad-lens.yaml:23: nodes.message.choices[1].lens: unknown lens 'biomedical'; "
        "expected one of: medical, relational, integrative",
    ]


def test_validate_a_missing_file():
    """Is a file that does not exist a reported problem, not a traceback?"""
    result = run("validate", "nope.yaml")
    assert result.returncode == 1
    assert result.stdout.startswith("nope.yaml:1: cannot read the file")
    assert "Traceback" not in result.stderr


def test_play_prints_the_transcript_of_a_path():
    """Does play print each node, the chosen response, its feedback, the field and the debrief?"""
    result = run("play", str(VALID), "--choose", "1,0", "--reflect", "I noticed my hurry.")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    order = [
        "== A short test call (Reaching out: the field opens)",
        "[message]",
        "> 1: [medical] Before we talk, I need to complete the intake form.",
        "Gains structure; loses the moment.",
        "Field: safety 3 (-1), mutuality 9",
        "[callback]",
        "Reflect: What did you notice in yourself as Sam hesitated?",
        "Reflection saved: I noticed my hurry.",
        "[choice-two]",
        "> 0: [integrative]",
        "Field: safety 5 (+2), mutuality 9",
        "[booked] (ending)",
        "Debrief:",
        "The first exchange already is therapy.",
    ]
    positions = [out.index(part) for part in order]
    assert positions == sorted(positions)


def test_play_field_shows_the_clamped_change():
    """When a value hits 10, does the transcript show the change that really happened?"""
    result = run("play", str(VALID), "--choose", "0,0")
    assert "Field: safety 5 (+1), mutuality 10 (+1)" in result.stdout


def test_play_index_out_of_range_exits_2_naming_index_and_node():
    """Is an out-of-range index an error (exit 2) naming the index and the node?"""
    result = run("play", str(VALID), "--choose", "0,7")
    assert result.returncode == 2
    assert "index 7 (number 2 in the list) is out of range at node 'choice-two'" in result.stderr


def test_play_too_many_indices_exits_2():
    """Are indices left over after an ending an error (exit 2) that names them?"""
    result = run("play", str(VALID), "--choose", "0,1,2")
    assert result.returncode == 2
    assert "index 2 (number 3 in the list) is left over" in result.stderr
    assert "'open-door'" in result.stderr


def test_play_with_too_few_indices_stops_and_lists_the_choices():
    """With fewer indices than choice nodes, does play stop and list what can be chosen?"""
    result = run("play", str(VALID), "--choose", "0")
    assert result.returncode == 0
    assert "(stopped: no index left for node 'choice-two'" in result.stdout
    assert "1: [relational] Everything is confidential." in result.stdout


def test_play_never_waits_for_input():
    """Does play finish with no standard input at all?"""
    result = subprocess.run(
        [sys.executable, "-m", "widgets", "play", str(VALID)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0


def test_play_an_invalid_vignette_exits_1_with_its_problems():
    """Does play refuse an invalid vignette with its problems and exit 1?"""
    result = run("play", str(FIXTURES / "scenario-dead-end.yaml"))
    assert result.returncode == 1
    assert "no ending can be reached from node 'open-door'" in result.stderr


def test_bad_choose_syntax_is_a_usage_error():
    """Is --choose with a word in it a usage error (exit 2)?"""
    result = run("play", str(VALID), "--choose", "0,x")
    assert result.returncode == 2
    assert "whole numbers separated by commas" in result.stderr


def test_help_is_available_for_every_command():
    """Do the tool and each of its commands explain themselves with --help?"""
    for args in (["--help"], ["validate", "--help"], ["play", "--help"], ["audit", "--help"]):
        result = run(*args)
        assert result.returncode == 0 and "usage:" in result.stdout
    assert "--choose" in run("play", "--help").stdout


# --- hostile YAML -----------------------------------------------------------------------


def deep_nesting(folder: Path) -> Path:
    path = folder / "scenario-deep-nesting.yaml"
    path.write_text("id: x\ntitle: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    return path


def huge_number(folder: Path) -> Path:
    path = folder / "scenario-huge-number.yaml"
    text = VALID.read_text(encoding="utf-8").replace("safety: 4", "safety: " + "9" * 5000)
    path.write_text(text, encoding="utf-8")
    return path


def oversized(folder: Path) -> Path:
    path = folder / "scenario-oversized.yaml"
    padding = "# padding to make the file large\n" * 40_000
    path.write_text(padding + VALID.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda _: "scenario-alias-bomb.yaml", r":6: YAML aliases .*expand to more than"),
        (lambda _: "scenario-recursive-alias.yaml", r":5: alias \*nodes refers to .*contains it"),
        (lambda _: "scenario-control-character.yaml", r":3: .*control character U\+001B"),
        (lambda _: "scenario-non-string-keys.yaml", r":5: key 'on' is not text"),
        (lambda _: "scenario-impossible-date.yaml", r":3: cannot read the value '2024-13-45'"),
        (deep_nesting, r":2: .*nested more than \d+ levels deep"),
        (huge_number, r":9: .*5000 digits"),
        (oversized, r":1: the file is larger than 1 MiB"),
    ],
    ids=[
        "alias-bomb",
        "recursive-alias",
        "control-character",
        "non-string-keys",
        "impossible-date",
        "deep-nesting",
        "huge-number",
        "oversized",
    ],
)
def test_validate_reports_hostile_yaml_as_file_line_message(tmp_path, make, expected):
    """Does validate turn hostile YAML into 'file:line: message' and exit 1, without a traceback?"""
    made = make(tmp_path)
    path = FIXTURES / made if isinstance(made, str) else made
    result = run("validate", str(path))
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert any(re.match(re.escape(str(path)) + expected, line) for line in lines), lines


def test_validate_names_every_non_text_key():
    """Is each key YAML reads as a boolean, number, null, date or list reported on its line?"""
    result = run("validate", "scenario-non-string-keys.yaml", cwd=FIXTURES)
    lines = [line.split(": ", 1) for line in result.stdout.splitlines()]
    about_keys = [
        (where, message)
        for where, message in lines
        if "is not text" in message or "must be a plain word" in message
    ]
    assert [where for where, _ in about_keys] == [
        "scenario-non-string-keys.yaml:5",
        "scenario-non-string-keys.yaml:6",
        "scenario-non-string-keys.yaml:8",
        "scenario-non-string-keys.yaml:9",
        "scenario-non-string-keys.yaml:10",
    ]


def is_control(char: str) -> bool:
    """C0 and C1 control characters (and DEL), except the newline."""
    return char != "\n" and unicodedata.category(char) == "Cc"


def test_play_prints_no_terminal_control_characters():
    """Does play show a vignette's escape sequences as visible text, never as raw controls?"""
    path = FIXTURES / "scenario-terminal-escapes.yaml"
    result = run("play", str(path), "--choose", "0", "--reflect", "Mine \x1b[2J \x07")
    assert result.returncode == 0, result.stderr
    assert not [c for c in result.stdout + result.stderr if is_control(c)]
    assert "Escapes \\x1b[2J in the title" in result.stdout
    assert "Sam\\x1b]0;owned\\x07" in result.stdout
    assert "About \\x9b31m text." in result.stdout
    assert "Reflection saved: Mine \\x1b[2J \\x07" in result.stdout


def test_play_error_messages_carry_no_terminal_control_characters(tmp_path):
    """Are problems printed for an invalid vignette free of raw control characters too?"""
    path = tmp_path / "scenario-terminal-escapes.yaml"
    text = (FIXTURES / "scenario-terminal-escapes.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("next: done", 'next: "\\e[2Jgone"', 1), encoding="utf-8")
    for command in ("play", "validate"):
        result = run(command, str(path))
        assert result.returncode == 1
        assert "unknown next target '\\x1b[2Jgone'" in result.stdout + result.stderr
        assert not [c for c in result.stdout + result.stderr if is_control(c)]


# --- format version 2: hidden values, tones, seeds, audit --------------------------------

V2 = FIXTURES / "scenario-v2-valid.yaml"


def test_play_prints_hidden_values_after_each_step_and_the_tone():
    """Does the transcript show hidden values at the start and after each step, and the tone?"""
    result = run("play", str(V2), "--choose", "0,1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    order = [
        "Field: safety 4, mutuality 3",
        "Hidden: disclosure 2, risk 5",
        "> 0: [relational] Fine can cover a lot.",
        "Field: safety 4, mutuality 4 (+1)",
        "Hidden: disclosure 4 (+2), risk 5",
        "[tells]",
        "[plan]",
        "> 1: [medical] I'd like you to see the psychiatrist this week.",
        "Hidden: disclosure 4, risk 4 (-1)",
        "[referred] (ending)",
        "Tone: mixed",
        "Debrief:",
    ]
    positions = [out.index(part) for part in order]
    assert positions == sorted(positions)


def test_play_of_a_version_1_file_shows_no_hidden_line_and_a_hopeful_tone():
    """Does a version 1 transcript stay free of hidden values and end hopeful?"""
    result = run("play", str(VALID), "--choose", "0,0")
    assert "Hidden:" not in result.stdout
    assert "[booked] (ending)\n    Sam books a first session.\n  Tone: hopeful" in result.stdout


def test_play_follows_branches_after_the_effects():
    """Does play go where a branch leads once the choice's effects are applied?"""
    result = run("play", str(V2), "--choose", "1")
    assert "[quiet]" in result.stdout and "[missed] (ending)" in result.stdout
    assert "Tone: costly" in result.stdout


def test_seed_shows_the_shuffled_order_and_keeps_file_indices():
    """Does --seed list the choices in the session's order while --choose stays in file order?"""
    from widgets.scenario import load_scenario
    from widgets.session import Session

    order = Session(load_scenario(V2), seed=3).choice_order("ask")
    assert order != [0, 1, 2]
    result = run("play", str(V2), "--choose", "0,1", "--seed", "3")
    assert result.returncode == 0, result.stderr
    shown = result.stdout.split("Shown as (seed 3, shuffled):\n", 1)[1].splitlines()[:3]
    assert [int(line.split(":")[0]) for line in shown] == order
    assert "> 0: [relational] Fine can cover a lot." in result.stdout
    assert "Shown as (seed 3, file order: shuffle is false):" in result.stdout
    unseeded = run("play", str(V2), "--choose", "0,1").stdout
    assert "Shown as" not in unseeded

    def without_listing(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith(("    ", "  Shown"))]

    assert without_listing(result.stdout) == without_listing(unseeded)


def test_seed_lists_a_stopped_path_in_the_shown_order():
    """When play stops for want of an index, are the choices listed in the seed's order?"""
    result = run("play", str(V2), "--seed", "3")
    listed = result.stdout.split("its choices are)\n", 1)[1].splitlines()
    assert [int(line.split(":")[0]) for line in listed] == [
        int(line.split(":")[0])
        for line in result.stdout.split("shuffled):\n", 1)[1].splitlines()[:3]
    ]


def test_a_bad_seed_is_a_usage_error():
    """Is --seed with a word or a negative number a usage error (exit 2)?"""
    for seed in ("x", "-1"):
        result = run("play", str(V2), "--seed", seed)
        assert result.returncode == 2 and "0 or more" in result.stderr


def test_validate_reports_v2_problems_with_every_other_file():
    """Does validate report the v2 rules as file:line: message beside version 1 files?"""
    result = run(
        "validate",
        "scenario-valid.yaml",
        "scenario-v2-valid.yaml",
        "scenario-v2-bad-operator.yaml",
        "scenario-v2-stuck-state.yaml",
        cwd=FIXTURES,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "scenario-v2-bad-operator.yaml:21",
        "scenario-v2-stuck-state.yaml:34",
    ]


def test_audit_prints_each_vignette_and_the_total():
    """Does audit print the figures per vignette, then the total, and how ties count?"""
    result = run("audit", str(VALID), str(V2))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("scenario-valid (") < out.index("scenario-v2-valid (")
    total = out.split("In total (all 2 vignettes):\n", 1)[1]
    for line in [
        "  choice nodes: 4",
        "  top-scoring choice is integrative: 2 of 4 (50%)",
        "  top-scoring choice is relational: 2 of 4 (50%)",
        "  top-scoring choice is medical: 1 of 4 (25%)",
        "  top score shared by several choices: 1 of 4 (25%)",
        "  top-scoring choice is also the longest: 2 of 4 (50%)",
        "  all choices lead to the same next: 1 of 4 (25%)",
        "  endings by tone: hopeful 3, mixed 1, costly 1",
        "  choices that lower safety, by lens: medical 2 of 3, relational 1 of 3, "
        "integrative 1 of 3",
    ]:
        assert line + "\n" in total
    assert "each of them counts" in total


def test_audit_json_gives_the_same_figures():
    """Does --json give the figures of the text output as one JSON object?"""
    import json

    data = json.loads(run("audit", "--json", str(VALID), str(V2)).stdout)
    assert [v["name"] for v in data["vignettes"]] == ["scenario-valid", "scenario-v2-valid"]
    total = data["total"]
    assert total["choice_nodes"] == 4
    assert total["top_scoring_lens"]["medical"] == {"nodes": 1, "share": 0.25}
    assert total["same_next"] == {"nodes": 1, "share": 0.25}
    assert total["endings_by_tone"] == {"hopeful": 3, "mixed": 1, "costly": 1}
    assert total["choices_lowering_safety"]["relational"] == {"lower": 1, "choices": 3}
    assert "each of them counts" in data["ties"]


def test_audit_of_an_invalid_file_exits_1_and_audits_the_rest():
    """Does audit report an invalid file on stderr, exit 1 and still audit the valid ones?"""
    result = run("audit", str(VALID), str(FIXTURES / "scenario-v2-unknown-tone.yaml"))
    assert result.returncode == 1
    assert "unknown tone 'bleak'" in result.stderr
    assert "scenario-valid (" in result.stdout and "In total (all 1 vignettes)" in result.stdout


def test_audit_of_the_shipped_vignettes_adds_up():
    """Does the audit of the shipped vignettes run, with totals equal to the sums?"""
    import json

    from widgets.scenario import shipped_scenarios

    paths = [str(p) for p in shipped_scenarios()]
    data = json.loads(run("audit", "--json", *paths).stdout)
    assert len(data["vignettes"]) == len(paths)
    assert data["total"]["choice_nodes"] == sum(v["choice_nodes"] for v in data["vignettes"])


def test_audit_main_can_be_called_in_process(capsys):
    """Does main(argv) run audit in this process, for tools that embed the CLI?"""
    from widgets.cli import main

    assert main(["audit", str(VALID)]) == 0
    assert "choice nodes: 2" in capsys.readouterr().out
