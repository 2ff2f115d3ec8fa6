"""The learner's journal: reflections saved across the course, exported as Markdown.

A journal is a JSON file in the learner's data directory (or where the
``IRH_JOURNAL_DIR`` environment variable points). Every save rewrites the file
atomically: the new content goes to a temporary file in the same folder, is
flushed to disk, then replaces the old file in one step, so a crash mid-write
never loses earlier entries. A file that cannot be read is never overwritten:
the journal reports it and refuses to save until the learner moves it aside.

Saves are serialised with a lock file beside the journal, and the file is read
again inside the lock, so two kernels (two notebooks open at once) saving at the
same moment both keep their entries. A journal path that is a symbolic link is
written through to its target; the link stays a link.

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

from filelock import FileLock, Timeout

from widgets import force

__all__ = ["ENV_DIR", "PAGE_JOURNAL", "Entry", "Journal", "JournalError"]

#: Environment variable naming the folder of the journal file.
ENV_DIR = "IRH_JOURNAL_DIR"
FILE_NAME = "journal.json"
FORMAT_VERSION = 1
GENERAL = "general"
#: How long a save waits for another process's save to finish, in seconds.
LOCK_TIMEOUT = 30.0


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

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else None
        self._entries: list[Entry] | None = [] if self.path is None else None

    @classmethod
    def default(cls) -> Journal:
        """The journal a view uses when it is given none, resolved anew at every call.

        In JupyterLab, a new handle on the file at :func:`default_path` (the file holds
        the state, so handles need not be shared). Under Voila, :data:`PAGE_JOURNAL`:
        the attendee's in-memory journal, one per kernel, so a journal view on a page
        shows what the page's reflections saved.
        """
        if _running_under_voila():
            return PAGE_JOURNAL
        return cls(default_path())

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
        except RecursionError:
            raise JournalError(problem.format("its JSON is nested too deeply")) from None
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
        entry = Entry(
            source=source,
            key=key,
            prompt=prompt.strip(),
            text=text.strip(),
            movement=movement,
            saved=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if self.path is None:
            self._entries = [e for e in self._load() if (e.source, e.key) != (source, key)]
            self._entries.append(entry)
            return entry
        # The file is the target of a link, if it is one: the temporary file is made beside
        # the target and replaces it, so the link itself stays in place.
        target = Path(os.path.realpath(self.path))
        unsaved = (
            f"Your reflection could not be saved to {self.path} ({{}}). "
            "Earlier entries are unchanged."
        )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # One lock per target file, so saves through two links to it also take turns.
            lock = FileLock(target.with_name(f".{target.name}.lock"), timeout=LOCK_TIMEOUT)
            with lock:
                # Read again inside the lock: another process may have saved since.
                entries = [e for e in self._load() if (e.source, e.key) != (source, key)]
                entries.append(entry)
                self._write(target, entries)
        except Timeout:
            raise JournalError(
                unsaved.format(f"another program kept the journal busy for {LOCK_TIMEOUT:g} s")
            ) from None
        except OSError as exc:
            raise JournalError(unsaved.format(exc)) from None
        return entry

    @staticmethod
    def _write(target: Path, entries: list[Entry]) -> None:
        """Replace ``target`` with ``entries`` in one step (the caller holds the lock)."""
        payload = json.dumps(
            {"format": FORMAT_VERSION, "entries": [asdict(e) for e in entries]},
            ensure_ascii=False,
            indent=1,
        )
        fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

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


#: The in-memory journal of this kernel under Voila, where one kernel serves one attendee's
#: page. Made once, when the module is imported; :meth:`Journal.default` returns it there.
PAGE_JOURNAL = Journal()
