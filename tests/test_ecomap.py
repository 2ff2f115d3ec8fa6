"""Tests for widgets.ecomap: the data file, the model, the SVG and the view."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
import yaml

from widgets.ecomap import (
    LEVELS,
    MAX_NAME,
    QUALITIES,
    Ecomap,
    EcomapView,
    render_level_html,
    render_svg,
    render_text_html,
    validate_data,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def data() -> dict:
    text = resources.files("widgets").joinpath("data", "ecomap_example.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@pytest.fixture
def ecomap() -> Ecomap:
    return Ecomap.from_file()


# -- the data file -------------------------------------------------------------------------


def test_packaged_example_is_valid(data):
    """Does the packaged example pass validation with no problems?"""
    assert validate_data(data) == []


def test_example_covers_every_level_and_quality(data):
    """Does the example have relationships at all five levels and of all three qualities?"""
    levels = {r["level"] for r in data["relationships"]}
    qualities = {r["quality"] for r in data["relationships"]}
    assert levels == set(LEVELS)
    assert qualities == set(QUALITIES)


def test_example_says_the_client_is_fictional(data):
    """Does the client's description say the client is fictional?"""
    assert "fictional" in data["client"]["about"].lower()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["relationships"][0].update(level="cosmic"), "'level' must be one of"),
        (lambda d: d["relationships"][0].update(quality="fine"), "'quality' must be one of"),
        (lambda d: d["relationships"][0].update(name=" "), "missing 'name'"),
        (lambda d: d["levels"].pop("spiritual"), "'levels' must describe"),
        (lambda d: d["levels"]["social"].pop("question"), "level 'social' needs"),
        (lambda d: d["client"].pop("about"), "'client' needs"),
    ],
)
def test_validation_names_the_problem(data, change, expected):
    """Does a broken map file fail validation with a message naming the problem?"""
    change(data)
    problems = validate_data(data)
    assert any(expected in p for p in problems), problems


def test_from_file_rejects_invalid_data(tmp_path, data):
    """Does loading a file with an unknown quality raise ValueError naming the file?"""
    data["relationships"][0]["quality"] = "fine"
    bad = tmp_path / "bad-map.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="bad-map.yaml.*'quality'"):
        Ecomap.from_file(bad)


# -- the model -----------------------------------------------------------------------------


def test_add_stores_a_learner_relationship(ecomap):
    """Does adding a relationship put it on the map, marked as the learner's, tidied?"""
    before = len(ecomap.relationships)
    rel = ecomap.add("  Her   evening class ", "social", "supportive", " Tuesdays ")
    assert (rel.name, rel.note, rel.added) == ("Her evening class", "Tuesdays", True)
    assert len(ecomap.relationships) == before + 1
    assert ecomap.at_level("social")[-1] == rel
    assert ecomap.added == [rel]


@pytest.mark.parametrize(
    ("name", "level", "quality", "message"),
    [
        ("   ", "social", "supportive", "give the relationship a name"),
        ("x" * (MAX_NAME + 1), "social", "supportive", "characters or fewer"),
        ("Choir", "cosmic", "supportive", "Unknown level"),
        ("Choir", "social", "fine", "Unknown quality"),
    ],
)
def test_add_rejects_bad_input(ecomap, name, level, quality, message):
    """Are an empty or overlong name, an unknown level and an unknown quality rejected?"""
    before = len(ecomap.relationships)
    with pytest.raises(ValueError, match=message):
        ecomap.add(name, level, quality)
    assert len(ecomap.relationships) == before


def test_remove_additions_keeps_the_example(ecomap):
    """Does removing additions restore exactly the example's relationships?"""
    original = ecomap.relationships
    ecomap.add("Choir", "spiritual", "supportive")
    ecomap.remove_additions()
    assert ecomap.relationships == original


def test_select_validates_level(ecomap):
    """Does selecting an unknown level fail while None clears the selection?"""
    ecomap.select("familial")
    assert ecomap.selected == "familial"
    with pytest.raises(ValueError):
        ecomap.select("cosmic")
    ecomap.select(None)
    assert ecomap.selected is None


def test_counts_by_quality(ecomap):
    """Do the quality counts add up to the number of relationships?"""
    counts = ecomap.counts()
    assert set(counts) == set(QUALITIES)
    assert sum(counts.values()) == len(ecomap.relationships)


# -- rendering -----------------------------------------------------------------------------


def test_svg_is_well_formed_and_labelled(ecomap):
    """Is the SVG well-formed XML with role img, a title and a desc it is labelled by?"""
    root = ET.fromstring(render_svg(ecomap))
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and "Noor Haddad" in title.text
    assert desc is not None and "fictional" in desc.text
    # The first children name and describe the map; no id is needed for that.
    assert list(root)[:2] == [title, desc]
    assert root.get("aria-labelledby") is None


def test_svg_draws_five_rings_and_every_node(ecomap):
    """Does the SVG draw a ring per level and a labelled node per relationship?"""
    svg = render_svg(ecomap)
    root = ET.fromstring(svg)
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for level in LEVELS:
        assert level in texts
    for rel in ecomap.relationships:
        # Labels are wrapped over lines, so compare without spaces.
        assert rel.name.replace(" ", "") in texts.replace(" ", ""), rel.name
    node_circles = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "8"]
    assert len(node_circles) == len(ecomap.relationships)


def test_svg_line_styles_follow_quality(ecomap):
    """Is each quality drawn with its own dash pattern, not only its own colour?"""
    root = ET.fromstring(render_svg(ecomap))
    dashes = {line.get("stroke-dasharray") for line in root.iter(f"{SVG}line")}
    assert {None, "9 5", "2 6"} <= dashes


def test_the_same_map_draws_the_same_svg(ecomap):
    """Is the SVG a function of the map alone (same input, same output, call after call)?"""
    first = render_svg(ecomap)
    render_svg(Ecomap.from_file())
    assert render_svg(ecomap) == first


def test_two_maps_on_one_page_share_no_element_id(ecomap):
    """Can two maps, even of the same client, share a page without clashing ids?"""
    page = render_svg(ecomap) + render_svg(ecomap)
    ids = re.findall(r'\bid="([^"]*)"', page)
    assert len(ids) == len(set(ids))


def test_selected_level_is_highlighted_and_others_dimmed(ecomap):
    """With a level selected, are its nodes at full opacity and the others dimmed?"""
    ecomap.select("spiritual")
    root = ET.fromstring(render_svg(ecomap))
    groups = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    for g in groups:
        level = g.find(f"{SVG}title").text.split("(")[1].split(",")[0]
        assert (g.get("opacity") is None) == (level == "spiritual"), level
    assert "The spiritual level is highlighted." in root.find(f"{SVG}desc").text


def test_added_names_are_escaped_everywhere(ecomap):
    """Is a <script> name shown as text in the SVG, the level view and the text list?"""
    ecomap.add("<script>alert(1)</script>", "social", "strained", "<img src=x onerror=alert(1)>")
    outputs = [render_svg(ecomap), render_level_html(ecomap, "social"), render_text_html(ecomap)]
    for out in outputs:
        assert "<script>" not in out
        assert "<img" not in out
        assert "&lt;script&gt;" in out
    ET.fromstring(outputs[0])  # still well-formed


def test_added_relationship_is_a_square(ecomap):
    """Is a learner's addition drawn as a square node?"""
    ecomap.add("Choir", "spiritual", "supportive")
    root = ET.fromstring(render_svg(ecomap))
    squares = [r for r in root.iter(f"{SVG}rect") if r.get("width") == "16"]
    assert len(squares) == 1


def test_text_list_matches_the_map(ecomap):
    """Does the text version list every relationship with its quality, level by level?"""
    text = render_text_html(ecomap)
    for level in LEVELS:
        assert f"<strong>{level.capitalize()}</strong>" in text
    for rel in ecomap.relationships:
        assert rel.name.replace("'", "&#x27;") in text
    assert text.count("<li>") == len(ecomap.relationships)


def test_level_html_has_the_question(ecomap):
    """Does a level's description include its relationships and the question to consider?"""
    out = render_level_html(ecomap, "familial")
    assert "To consider:" in out
    assert out.count("<li>") == len(ecomap.at_level("familial"))


def test_model_module_does_not_need_ipywidgets():
    """Can the model and the SVG be used without importing ipywidgets or pandas?"""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from widgets.ecomap import Ecomap, render_svg\n"
        "m = Ecomap.from_file(); m.add('Choir', 'spiritual', 'supportive')\n"
        "assert 'Choir' in render_svg(m)\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- the view ------------------------------------------------------------------------------


def test_view_starts_on_the_whole_map(ecomap):
    """Does the view open on the whole map with the client card and the text version?"""
    view = EcomapView(ecomap)
    assert view.level_picker.value == "all"
    assert "Noor Haddad" in view.client_card.value
    assert "<svg" in view.figure.value
    assert "Text version of the whole map" in view.text_version.value


def test_view_level_buttons_select_a_level(ecomap):
    """Does picking a level focus the model and show that level's question?"""
    view = EcomapView(ecomap)
    view.level_picker.value = "ecological"
    assert ecomap.selected == "ecological"
    assert "Ecological level" in view.detail.value
    assert "To consider:" in view.detail.value
    view.select(None)
    assert view.level_picker.value == "all" and ecomap.selected is None


def test_view_add_updates_map_list_and_status(ecomap):
    """Does adding through the form draw the node, list it, clear the form and focus its level?"""
    view = EcomapView(ecomap)
    rel = view.add("Her pottery class", "personal", "supportive", "Thursday evenings")
    assert rel is not None and rel.added
    assert "Her pottery class" in view.text_version.value
    assert "pottery" in view.figure.value
    assert "Added <strong>Her pottery class</strong>" in view.status.value
    assert view.name_input.value == "" and view.note_input.value == ""
    assert view.level_picker.value == "personal"
    assert "(added by you)" in view.detail.value


def test_view_add_button_submits_the_form(ecomap):
    """Does clicking the add button add what the form holds?"""
    view = EcomapView(ecomap)
    view.name_input.value = "Choir"
    view.level_input.value = "spiritual"
    view.quality_input.value = "cut-off"
    view.add_button.click()
    assert ecomap.added[-1].name == "Choir"
    assert ecomap.added[-1].quality == "cut-off"


def test_view_escapes_script_in_added_name(ecomap):
    """Is a <script> name escaped in every HTML widget value the view renders?"""
    view = EcomapView(ecomap)
    view.add("<script>alert('x')</script>", "social", "strained", "<b>note</b>")
    for widget in (view.figure, view.detail, view.text_version, view.status):
        assert "<script>" not in widget.value
        assert "<b>note" not in widget.value
    assert "&lt;script&gt;" in view.status.value
    assert "&lt;script&gt;" in view.figure.value


def test_view_empty_name_shows_an_alert(ecomap):
    """Does submitting an empty name leave the map unchanged and show why?"""
    view = EcomapView(ecomap)
    before = view.figure.value
    assert view.add("   ", "social", "strained") is None
    assert 'role="alert"' in view.status.value
    assert "give the relationship a name" in view.status.value
    assert ecomap.added == []
    assert view.figure.value.count("<circle") == before.count("<circle")


def test_view_reset_button_removes_additions(ecomap):
    """Does the remove button take away the learner's additions and redraw?"""
    view = EcomapView(ecomap)
    view.add("Choir", "spiritual", "supportive")
    view.reset_button.click()
    assert ecomap.added == []
    assert "Choir" not in view.figure.value
    assert "removed" in view.status.value


def test_view_controls_have_accessible_names(ecomap):
    """Do buttons and inputs carry descriptions, and the level buttons tooltips?"""
    view = EcomapView(ecomap)
    for button in (view.add_button, view.reset_button):
        assert button.description.strip() and button.tooltip.strip()
    for control in (view.name_input, view.level_input, view.quality_input, view.note_input):
        assert control.description.strip()
    assert len(view.level_picker.tooltips) == len(view.level_picker.options)
    assert all(t.strip() for t in view.level_picker.tooltips)


def test_view_picking_a_level_presets_the_form(ecomap):
    """Does focusing on a level preselect that level in the add form?"""
    view = EcomapView(ecomap)
    view.select("ecological")
    assert view.level_input.value == "ecological"
    rel = view.add("Allotment", "ecological", "supportive")
    assert rel is not None and rel.level == "ecological"
