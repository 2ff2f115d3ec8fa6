"""Tests of widgets/reflection.py: reflection prompts and the journal view."""

import base64
import re

import ipywidgets as ipw
import pytest

from widgets.journal import Journal
from widgets.reflection import JournalView, Reflection


def test_a_reflection_saves_to_the_journal(tmp_path):
    """Does clicking Save store the text under the prompt's key and movement?"""
    j = Journal(tmp_path / "j.json")
    r = Reflection("What did you notice?", movement="assessment", key="03-notice", journal=j)
    r._text.value = "My own hurry."
    [button] = [c for c in r.children if isinstance(c, ipw.Button)]
    button.click()
    [entry] = j.entries()
    assert (entry.key, entry.movement, entry.text) == ("03-notice", "assessment", "My own hurry.")
    assert "Saved to your journal." in r._status.value


def test_an_earlier_answer_is_shown_again(tmp_path):
    """When the notebook is opened again, is the saved answer back in the box?"""
    j = Journal(tmp_path / "j.json")
    Reflection("Q?", key="k", journal=j).save("first answer")
    again = Reflection("Q?", key="k", journal=j)
    assert again._text.value == "first answer"


def test_an_empty_reflection_is_not_saved(tmp_path):
    """Is an empty answer refused with a message?"""
    j = Journal(tmp_path / "j.json")
    r = Reflection("Q?", key="k", journal=j)
    r.save("")
    assert "Not saved: a reflection cannot be empty." in r._status.value
    assert j.entries() == []


def test_authoring_mistakes_fail_early():
    """Are a missing key and an unknown movement reported when the notebook runs?"""
    with pytest.raises(ValueError, match="stable key"):
        Reflection("Q?")
    with pytest.raises(KeyError, match="unknown movement"):
        Reflection("Q?", movement="intake", key="k")


def test_a_corrupt_journal_is_reported_in_the_prompt_and_kept(tmp_path):
    """With an unreadable journal, does the prompt say so and leave the file alone?"""
    path = tmp_path / "j.json"
    path.write_text("garbage")
    r = Reflection("Q?", key="k", journal=Journal(path))
    assert "could not be read" in r._status.value
    r.save("words")
    assert "Not saved" in r._status.value and path.read_text() == "garbage"


def test_journal_view_groups_entries_and_offers_a_download(tmp_path):
    """Does the journal view group by movement, escape the text and link a Markdown file?"""
    j = Journal(tmp_path / "j.json")
    j.save("course", "a", "On ending?", "<script>alert(1)</script>", "termination")
    j.save("course", "b", "General?", "plain words", None)
    view = JournalView(journal=j)
    html = view.html
    assert html.index("Ending as a beginning") < html.index("Across the course")
    assert "<script>" not in html and "&lt;script&gt;" in html
    link = re.search(r'href="data:text/markdown;charset=utf-8;base64,([^"]+)"', html)
    assert "plain words" in base64.b64decode(link.group(1)).decode()


def test_journal_view_of_a_corrupt_file_shows_a_message_not_a_traceback(tmp_path):
    """Does the journal view show a clear message for a damaged file?"""
    path = tmp_path / "j.json"
    path.write_text("[]")
    view = JournalView(journal=Journal(path))
    assert 'role="alert"' in view.html and "has not been changed" in view.html


def test_journal_view_refresh_shows_new_entries(tmp_path):
    """After a new reflection, does Refresh show it?"""
    j = Journal(tmp_path / "j.json")
    view = JournalView(journal=j)
    assert "Your journal is empty." in view.html
    j.save("course", "a", "Q?", "new", None)
    view.refresh()
    assert "new" in view.html
