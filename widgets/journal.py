"""The learner's journal: reflections saved across the course, exported as Markdown.

A journal is a JSON file in the learner's data directory (or where the
``IRH_JOURNAL_DIR`` environment variable points). Every save rewrites the file
atomically: the new content goes to a temporary file in the same folder, is
flushed to disk, then replaces the old file in one step, so a crash mid-write
never loses earlier entries. A file that cannot be read is never overwritten:
the journal reports it and refuses to save until the learner moves it aside.

Under Voila, where one server is shared by a room of attendees, the default
journal lives in memory for the attendee's own session (one kernel each) and is
downloaded from the page: nothing an attendee writes reaches the server's disk.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from widgets import force

__all__ = ["ENV_DIR", "Entry", "Journal", "JournalError"]

#: Environment variable naming the folder of the journal file.
ENV_DIR = "IRH_JOURNAL_DIR"
FILE_NAME = "journal.json"
FORMAT_VERSION = 1
GENERAL = "general"


class JournalError(Exception):
    """The journal file cannot be read or written; the message says what to do."""


@dataclass(frozen=True)
class Entry:
    """One saved reflection.

    Parameters
    ----------
    source : str
        Where it was written: a vignette id or a course notebook's key prefix.
    key : str
        Which prompt within the source (a node id or a prompt key).
    prompt : str
        The question the learner answered.
    text : str
        What the learner wrote.
    movement : str, optional
        The FORCE movement slug it belongs to, or None for general reflections.
    saved : str
        When it was saved (ISO 8601, UTC).
    """

    source: str
    key: str
    prompt: str
    text: str
    movement: str | None = None
    saved: str = ""


def _running_under_voila() -> bool:
    return "VOILA_BASE_URL" in os.environ or "VOILA_KERNEL_ID" in os.environ


def default_path() -> Path:
    """The journal file: ``$IRH_JOURNAL_DIR/journal.json``, else in the user data directory."""
    folder = os.environ.get(ENV_DIR)
    if folder:
        return Path(folder).expanduser() / FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir("irh-course", appauthor=False)) / FILE_NAME


class Journal:
    """Saved reflections, in memory or backed by a JSON file.

    Parameters
    ----------
    path : path-like, optional
        The journal file. None keeps the journal in memory only.
    """

    _shared: dict[str, Journal] = {}

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else None
        self._entries: list[Entry] | None = [] if self.path is None else None

    @classmethod
    def default(cls) -> Journal:
        """The journal every view in this kernel shares.

        A file journal at :func:`default_path` in JupyterLab; in memory under Voila.
        """
        key = "memory" if _running_under_voila() else str(default_path())
        if key not in cls._shared:
            cls._shared[key] = cls(None if key == "memory" else key)
        return cls._shared[key]

    @property
    def where(self) -> str:
        """Where the journal is kept, in words for the learner."""
        if self.path is None:
            return "this page only (download it before you close the page)"
        return str(self.path)

    # --- reading ------------------------------------------------------------------------

    def _load(self) -> list[Entry]:
        if self.path is None:
            assert self._entries is not None
            return self._entries
        if not self.path.exists():
            return []
        problem = (
            f"Your journal file {self.path} could not be read ({{}}). It has not been "
            "changed. Move it aside (or set IRH_JOURNAL_DIR to another folder) to start a "
            "new journal; the old file keeps what it holds."
        )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise JournalError(problem.format(exc)) from None
        except json.JSONDecodeError as exc:
            raise JournalError(problem.format(f"not valid JSON: {exc}")) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise JournalError(problem.format("it is not a journal of this course"))
        try:
            return [Entry(**item) for item in data["entries"]]
        except (KeyError, TypeError) as exc:
            raise JournalError(problem.format(f"an entry is damaged: {exc}")) from None

    def entries(self) -> list[Entry]:
        """Every saved reflection, oldest first.

        Raises
        ------
        JournalError
            If the file exists but cannot be read.
        """
        return list(self._load())

    def find(self, source: str, key: str) -> Entry | None:
        """The entry saved for this prompt, if any."""
        for entry in self._load():
            if entry.source == source and entry.key == key:
                return entry
        return None

    # --- writing ------------------------------------------------------------------------

    def save(
        self, source: str, key: str, prompt: str, text: str, movement: str | None = None
    ) -> Entry:
        """Save a reflection, replacing an earlier answer to the same prompt.

        Raises
        ------
        ValueError
            If the text is empty or the movement unknown.
        JournalError
            If the existing file cannot be read (it is left untouched) or written.
        """
        if not text or not text.strip():
            raise ValueError("a reflection cannot be empty")
        if movement is not None:
            force.movement(movement)  # raises KeyError with the valid slugs
        entries = [e for e in self._load() if not (e.source == source and e.key == key)]
        entry = Entry(
            source=source,
            key=key,
            prompt=prompt.strip(),
            text=text.strip(),
            movement=movement,
            saved=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        entries.append(entry)
        self._write(entries)
        return entry

    def _write(self, entries: list[Entry]) -> None:
        if self.path is None:
            self._entries = entries
            return
        payload = json.dumps(
            {"format": FORMAT_VERSION, "entries": [asdict(e) for e in entries]},
            ensure_ascii=False,
            indent=1,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise JournalError(
                f"Your reflection could not be saved to {self.path} ({exc}). "
                "Earlier entries are unchanged."
            ) from None

    # --- export -------------------------------------------------------------------------

    def to_markdown(self, entries: Iterable[Entry] | None = None) -> str:
        """The journal as Markdown, grouped by movement in course order."""
        entries = list(self._load() if entries is None else entries)
        lines = ["# My reflections: Integrative Relational Health", ""]
        if not entries:
            lines.append("No reflections saved yet.")
            return "\n".join(lines) + "\n"
        groups: list[tuple[str | None, str]] = [(m.slug, m.name) for m in force.MOVEMENTS]
        groups.append((None, "Across the course"))
        for slug, name in groups:
            chosen = [e for e in entries if e.movement == slug]
            if not chosen:
                continue
            lines += [f"## {name}", ""]
            for entry in chosen:
                lines += [f"**{entry.prompt}**", "", f"*{entry.source}, {entry.saved}*", ""]
                lines += [entry.text, ""]
        return "\n".join(lines)
