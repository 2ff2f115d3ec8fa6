"""Tests for widgets.lens_sort: the data file, the model, and the view driven from Python."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from widgets.force import LENSES, slugs
from widgets.lens_sort import (
    LensSort,
    LensSortView,
    Statement,
    validate_data,
)


@pytest.fixture
def data() -> dict:
    text = resources.files("widgets").joinpath("data", "lens_statements.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@pytest.fixture
def small() -> LensSort:
    statements = [
        Statement("a", "First <b>statement</b>.", "medical", "Because **A**.", also="integrative"),
        Statement("b", "Second statement.", "relational", "Because B.", movement="assessment"),
        Statement("c", "Third statement.", "integrative", "Because C."),
    ]
    return LensSort(statements, {lens: f"About {lens}." for lens in LENSES})


# -- the data file -------------------------------------------------------------------------


def test_packaged_data_is_valid(data):
    """Does the packaged statement file pass validation with no problems?"""
    assert validate_data(data) == []


def test_every_statement_has_a_valid_lens_and_feedback(data):
    """Does every statement name a lens from widgets.force.LENSES and carry feedback?"""
    for item in data["statements"]:
        assert item["lens"] in LENSES, item["id"]
        assert item.get("also") in (None, *LENSES), item["id"]
        assert item.get("also") != item["lens"], item["id"]
        assert len(item["feedback"].split()) >= 20, item["id"]
        assert item["text"].strip(), item["id"]


def test_data_has_ten_to_fourteen_statements_covering_every_lens(data):
    """Are there 10-14 statements, each lens the best fit of at least three?"""
    statements = data["statements"]
    assert 10 <= len(statements) <= 14
    for lens in LENSES:
        assert sum(1 for s in statements if s["lens"] == lens) >= 3, lens


def test_some_statements_note_a_second_lens(data):
    """Do several statements name a defensible second lens, and does their feedback name it?"""
    doubles = [s for s in data["statements"] if s.get("also")]
    assert len(doubles) >= 3
    for item in doubles:
        assert item["also"] in item["feedback"].lower(), item["id"]


def test_statement_movements_are_real_slugs(data):
    """Is every movement named by a statement one of the five FORCE slugs?"""
    for item in data["statements"]:
        if "movement" in item:
            assert item["movement"] in slugs(), item["id"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["statements"][0].update(lens="spiritual"), "'lens' must be one of"),
        (lambda d: d["statements"][0].pop("feedback"), "missing 'feedback'"),
        (lambda d: d["statements"][1].update(id=d["statements"][0]["id"]), "duplicate id"),
        (lambda d: d["statements"][0].update(also=d["statements"][0]["lens"]), "'also'"),
        (lambda d: d["statements"][0].update(movement="intake"), "unknown movement"),
        (lambda d: d["lenses"].pop("medical"), "'lenses' must describe"),
        (lambda d: d["statements"][0].update(colour="red"), "unknown keys colour"),
    ],
)
def test_validation_names_the_problem(data, change, expected):
    """Does a broken statement file fail validation with a message naming the problem?"""
    change(data)
    problems = validate_data(data)
    assert any(expected in p for p in problems), problems


def test_from_file_rejects_invalid_data(tmp_path):
    """Does loading a file with a bad lens raise ValueError naming the file?"""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "lenses: {medical: a, relational: b, integrative: c}\n"
        "statements:\n  - {id: x, text: t, lens: holistic, feedback: f}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="bad.yaml.*'lens' must be one of"):
        LensSort.from_file(bad)


# -- the model -----------------------------------------------------------------------------


def test_answer_best_fit_scores(small):
    """Does choosing the best-fit lens count towards the score?"""
    verdict = small.answer(0, "medical")
    assert verdict.match == "best"
    assert (small.score, small.defensible, small.answered) == (1, 0, 1)


def test_answer_second_lens_is_defensible_not_scored(small):
    """Is the noted second lens reported as defensible without counting as a best fit?"""
    verdict = small.answer(0, "integrative")
    assert verdict.match == "also"
    assert "defensible" in verdict.headline
    assert (small.score, small.defensible) == (0, 1)
    assert "1 more a defensible second reading" in small.score_text()


def test_answer_other_lens_names_the_best_fit(small):
    """Does a non-matching answer say which lens fits best?"""
    verdict = small.answer(1, "medical")
    assert verdict.match == "other"
    assert "The best fit is relational" in verdict.headline
    assert small.score == 0


def test_later_answer_replaces_earlier(small):
    """Does answering the same statement again replace the first answer in the score?"""
    small.answer(2, "medical")
    small.answer(2, "integrative")
    assert (small.answered, small.score) == (1, 1)


def test_finished_and_reset(small):
    """Is the exercise finished after every statement is answered, and empty after reset?"""
    for i, lens in enumerate(["medical", "relational", "medical"]):
        small.answer(i, lens)
    assert small.finished
    assert small.score_text() == "3 of 3 sorted: 2 matched the best fit."
    small.reset()
    assert (small.answered, small.finished, small.verdict(0)) == (0, False, None)


def test_answer_rejects_unknown_lens_and_index(small):
    """Are an unknown lens and an out-of-range statement rejected?"""
    with pytest.raises(ValueError, match="unknown lens"):
        small.answer(0, "holistic")
    with pytest.raises(IndexError):
        small.answer(3, "medical")
    assert small.answered == 0


def test_model_module_does_not_need_ipywidgets():
    """Can the model be used in a process where ipywidgets was never imported?"""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from widgets.lens_sort import LensSort\n"
        "m = LensSort.from_file(); m.answer(0, m.statements[0].lens)\n"
        "assert m.score == 1\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- the view ------------------------------------------------------------------------------


def test_view_choose_shows_feedback_and_score(small):
    """Does clicking a lens show the verdict, the rendered feedback and the running score?"""
    view = LensSortView(small)
    assert "Choose one to see the feedback" in view.feedback.value
    view.lens_buttons["medical"].click()
    assert "that is the best fit" in view.feedback.value
    assert "<strong>A</strong>" in view.feedback.value
    assert "1 of 3 sorted: 1 matched the best fit." in view.score.value
    assert view.lens_buttons["medical"].button_style == "info"
    assert "(your choice)" in view.lens_buttons["medical"].tooltip
    assert view.lens_buttons["relational"].button_style == ""


def test_view_escapes_statement_text(small):
    """Is markup inside a statement shown as text rather than rendered?"""
    view = LensSortView(small)
    assert "&lt;b&gt;statement&lt;/b&gt;" in view.statement.value
    assert "<b>statement" not in view.statement.value


def test_view_escapes_raw_html_in_feedback():
    """Is raw HTML in authored feedback shown as text rather than executed?"""
    model = LensSort(
        [Statement("x", "Text.", "medical", "<script>alert(1)</script> Why.")],
        {lens: lens for lens in LENSES},
    )
    view = LensSortView(model)
    view.choose("relational")
    assert "<script>" not in view.feedback.value
    assert "&lt;script&gt;" in view.feedback.value


def test_view_navigation_and_buttons_state(small):
    """Do next and previous move between statements, disabling at the ends?"""
    view = LensSortView(small)
    assert view.previous_button.disabled and not view.next_button.disabled
    assert "Statement 1 of 3" in view.position.value
    view.next_button.click()
    assert "Statement 2 of 3" in view.position.value
    assert "Assessment in context" in view.position.value
    view.next()
    view.next()  # already on the last one: stays
    assert view.index == 2 and view.next_button.disabled
    view.previous()
    assert view.index == 1


def test_view_remembers_answers_when_returning(small):
    """Does returning to an answered statement show its earlier verdict?"""
    view = LensSortView(small)
    view.choose("integrative")
    view.next()
    assert "Choose one" in view.feedback.value
    view.previous()
    assert "defensible reading" in view.feedback.value


def test_view_finish_message_and_reset(small):
    """Does answering everything add the closing note, and does Start again clear it?"""
    view = LensSortView(small)
    for lens in ("medical", "relational", "integrative"):
        view.choose(lens)
        view.next()
    assert "3 of 3 sorted: 3 matched the best fit." in view.score.value
    assert "worth a second look" in view.score.value
    view.reset_button.click()
    assert view.index == 0
    assert "0 of 3 sorted so far." in view.score.value
    assert "worth a second look" not in view.score.value


def test_view_buttons_have_accessible_names(small):
    """Does every button carry a visible description and a tooltip?"""
    view = LensSortView(small)
    buttons = [
        *view.lens_buttons.values(),
        view.previous_button,
        view.next_button,
        view.reset_button,
    ]
    for button in buttons:
        assert button.description.strip()
        assert button.tooltip.strip()


def test_view_displays_as_its_widget_tree(small):
    """Does the view display as the VBox that holds its controls?"""
    view = LensSortView(small)
    bundle = view._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id


def test_packaged_exercise_runs_end_to_end():
    """Can every packaged statement be answered with its best fit for a full score?"""
    view = LensSortView()
    for i, statement in enumerate(view.model.statements):
        view.go_to(i)
        view.choose(statement.lens)
    assert view.model.score == view.model.total


def test_a_data_file_that_is_not_yaml_is_reported_with_its_name(tmp_path):
    """Is a broken statements file reported as file:line: message, not a YAML traceback?"""
    import pytest

    from widgets.lens_sort import LensSort

    bad = tmp_path / "statements.yaml"
    bad.write_text("statements: [unclosed\n")
    with pytest.raises(ValueError, match=r"statements.yaml:2: YAML syntax error: "):
        LensSort.from_file(bad)
