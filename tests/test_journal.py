"""Tests of widgets/journal.py: the learner's journal file."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from widgets import journal as journal_module
from widgets.journal import Journal, JournalError, default_path


def test_default_location_follows_the_environment_variable(journal_dir):
    """Does IRH_JOURNAL_DIR choose where the journal file lives?"""
    assert default_path() == journal_dir / "journal.json"
    j = Journal.default()
    j.save("course", "k", "Prompt?", "Answer.", None)
    assert (journal_dir / "journal.json").exists()


def test_default_location_without_the_variable_is_the_user_data_dir(monkeypatch):
    """Without IRH_JOURNAL_DIR, is the journal in the user's data directory?"""
    import platformdirs

    monkeypatch.delenv("IRH_JOURNAL_DIR")
    expected = platformdirs.user_data_dir("irh-course", appauthor=False)
    assert str(default_path()).startswith(expected)


def test_under_voila_the_default_journal_stays_in_memory(monkeypatch, journal_dir):
    """Under Voila (a shared server), is nothing written to the server's disk?"""
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    j = Journal.default()
    assert j.path is None
    j.save("course", "k", "Prompt?", "Private words.", None)
    assert j.entries()[0].text == "Private words."
    assert not journal_dir.exists()


def test_a_default_journal_handle_is_the_callers_own(journal_dir, tmp_path):
    """Does a change one caller makes to its default journal stay out of the next caller's?"""
    mine = Journal.default()
    mine.path = tmp_path / "elsewhere.json"
    assert Journal.default().path == journal_dir / "journal.json"


def test_the_default_journal_follows_the_environment_at_each_call(
    journal_dir, tmp_path, monkeypatch
):
    """Is the default journal resolved at each call, not fixed by an earlier one?"""
    assert Journal.default().path == journal_dir / "journal.json"
    monkeypatch.setenv("IRH_JOURNAL_DIR", str(tmp_path / "other"))
    assert Journal.default().path == tmp_path / "other" / "journal.json"
    monkeypatch.setenv("VOILA_KERNEL_ID", "k")
    assert Journal.default() is Journal.default() and Journal.default().path is None


def test_save_replaces_an_answer_to_the_same_prompt(tmp_path):
    """Does saving the same prompt again replace the earlier answer, keeping others?"""
    j = Journal(tmp_path / "j.json")
    j.save("course", "a", "A?", "one", "assessment")
    j.save("course", "b", "B?", "two", None)
    j.save("course", "a", "A?", "three", "assessment")
    assert [(e.key, e.text) for e in j.entries()] == [("b", "two"), ("a", "three")]
    assert Journal(tmp_path / "j.json").entries() == j.entries()


def test_bad_entries_are_refused(tmp_path):
    """Are an empty reflection and an unknown movement refused without writing?"""
    j = Journal(tmp_path / "j.json")
    with pytest.raises(ValueError, match="cannot be empty"):
        j.save("course", "a", "A?", "  ", None)
    with pytest.raises(KeyError, match="unknown movement"):
        j.save("course", "a", "A?", "text", "intake")
    assert not (tmp_path / "j.json").exists()


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "not valid JSON"),
        ('{"format": 99, "entries": []}', "not a journal of this course"),
        ('{"format": 1, "entries": [{"oops": 1}]}', "an entry is damaged"),
        (b"\xff\xfe\x00", "could not be read"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["syntax", "format", "entry", "encoding", "deep-nesting"],
)
def test_a_corrupt_journal_gives_a_clear_message_and_is_never_overwritten(
    tmp_path, content, reason
):
    """Does a damaged journal file give a clear message, and stay exactly as it was?"""
    path = tmp_path / "journal.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = path.read_bytes()
    j = Journal(path)
    with pytest.raises(JournalError, match=reason) as caught:
        j.entries()
    assert "has not been changed" in str(caught.value)
    with pytest.raises(JournalError):
        j.save("course", "a", "A?", "new words", None)
    assert path.read_bytes() == before


def test_a_crash_mid_write_loses_no_earlier_entry(tmp_path, monkeypatch):
    """If writing fails half-way, are earlier entries intact and no temp file left behind?"""
    path = tmp_path / "journal.json"
    j = Journal(path)
    j.save("course", "a", "A?", "first", None)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(journal_module.os, "fsync", crash)
    with pytest.raises(JournalError, match="Earlier entries are unchanged"):
        j.save("course", "b", "B?", "second", None)
    assert path.read_bytes() == before
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert [e.text for e in Journal(path).entries()] == ["first"]


def test_markdown_export_groups_by_movement_in_course_order(tmp_path):
    """Is the Markdown export grouped by movement, in course order, general last?"""
    j = Journal(tmp_path / "j.json")
    j.save("course", "g", "General?", "general words", None)
    j.save("v1", "n", "On ending?", "ending words", "termination")
    j.save("v2", "n", "On first contact?", "first words", "first-contact")
    md = j.to_markdown()
    order = [
        "## Reaching out: the field opens",
        "first words",
        "## Ending as a beginning",
        "ending words",
        "## Across the course",
        "general words",
    ]
    positions = [md.index(part) for part in order]
    assert positions == sorted(positions)


def test_empty_journal_exports_a_friendly_line(tmp_path):
    """Does an empty journal export say so?"""
    assert "No reflections saved yet." in Journal(tmp_path / "none.json").to_markdown()


def test_the_file_is_readable_json(tmp_path):
    """Is the journal file plain JSON a learner could open?"""
    path = tmp_path / "j.json"
    Journal(path).save("course", "a", "A?", "é and ü", None)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == 1 and data["entries"][0]["text"] == "é and ü"


# A learner process that saves ``count`` reflections once the start file appears, so that
# two of them write at the same time.
SAVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from widgets.journal import Journal

    path, who, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    while not go.exists():
        time.sleep(0.001)
    journal = Journal(path)
    for i in range(count):
        journal.save("course", f"{who}-{i}", "Prompt?", f"words {i}", None)
    """
)


def test_two_processes_saving_at_once_lose_no_entry(tmp_path):
    """Do two processes that each save 200 reflections at once leave all 400 in the file?"""
    path = tmp_path / "journal.json"
    go = tmp_path / "go"
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), who, "200", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    go.touch()
    for saver in savers:
        _out, err = saver.communicate(timeout=300)
        assert saver.returncode == 0, err
    keys = {entry.key for entry in Journal(path).entries()}
    assert keys == {f"{who}-{i}" for who in ("a", "b") for i in range(200)}


def test_a_symlinked_journal_is_written_through_to_its_target(tmp_path):
    """Does saving through a symlinked journal update the target and keep the link a link?"""
    target = tmp_path / "synced" / "my-journal.json"
    target.parent.mkdir()
    Journal(target).save("course", "a", "A?", "first", None)
    link = tmp_path / "journal" / "journal.json"
    link.parent.mkdir()
    link.symlink_to(target)
    Journal(link).save("course", "b", "B?", "second", None)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert [e.text for e in Journal(target).entries()] == ["first", "second"]
    assert not [p for p in link.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_save_blocked_too_long_by_another_process_is_a_clear_error(tmp_path, monkeypatch):
    """If another program holds the journal's lock too long, is the save refused clearly?"""
    from filelock import FileLock

    path = tmp_path / "journal.json"
    Journal(path).save("course", "a", "A?", "first", None)
    before = path.read_bytes()
    monkeypatch.setattr(journal_module, "LOCK_TIMEOUT", 0.2)
    with FileLock(tmp_path / ".journal.json.lock"):
        with pytest.raises(JournalError, match="kept the journal busy.*unchanged"):
            Journal(path).save("course", "b", "B?", "second", None)
    assert path.read_bytes() == before
