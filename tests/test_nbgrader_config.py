"""Tests of nbgrader_config.py, read the way nbgrader reads it."""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs
from nbgrader.preprocessors import ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


def load(monkeypatch, **env: str):
    """Load the course's nbgrader_config.py with the given environment."""
    monkeypatch.delenv("IRH_EXCHANGE_ROOT", raising=False)
    monkeypatch.delenv("IRH_AUTOGRADE_TIMEOUT", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_course_directory(monkeypatch, tmp_path):
    """Does the config make the repository the course root, with solutions/ and exercises/?"""
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path))
    assert Path(c.CourseDirectory.root) == ROOT
    assert c.CourseDirectory.source_directory == "solutions"
    assert c.CourseDirectory.release_directory == "exercises"
    assert c.CourseDirectory.course_id == "irh-relational-health"


def test_exchange_root_from_environment(monkeypatch, tmp_path):
    """Is the exchange root taken from IRH_EXCHANGE_ROOT, and created?"""
    exchange = tmp_path / "shared" / "exchange"
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(exchange))
    assert c.Exchange.root == str(exchange)
    assert exchange.is_dir()


def test_exchange_root_default_is_per_user(monkeypatch, tmp_path):
    """Without IRH_EXCHANGE_ROOT, is the exchange a per-user data folder (not /srv)?"""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    c = load(monkeypatch)
    assert c.Exchange.root == platformdirs.user_data_dir("irh-exchange")
    assert c.Exchange.root.startswith(str(tmp_path))


def test_timeout_and_missing_cells(monkeypatch, tmp_path):
    """Is there a 60 s cell timeout (overridable) and are deleted test cells restored?"""
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path))
    assert c.Execute.timeout == 60
    assert c.OverwriteCells.add_missing_cells is True
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path), IRH_AUTOGRADE_TIMEOUT="7")
    assert c.Execute.timeout == 7


def test_kernels_use_ipc_sockets(monkeypatch, tmp_path):
    """Do grading kernels use IPC sockets (no TCP port race on a busy machine)?"""
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path))
    assert c.KernelManager.transport == "ipc"
    assert Path(c.KernelManager.ip).is_absolute()


def test_feedback_preprocessors_hide_tests_and_notes(monkeypatch, tmp_path):
    """Does feedback clear hidden tests and mark schemes, scrubbing tracebacks first?"""
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path))
    names = [p.__name__ for p in c.GenerateFeedback.preprocessors]
    assert names[:2] == ["GetGrades", "CSSHTMLHeaderPreprocessor"]
    assert "ClearMarkScheme" in names
    assert names.index("HideHiddenTestErrors") < names.index("ClearHiddenTests")


# nbgrader's documented answer stub: a blank answer fails loudly instead of passing silently.
ANSWER_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def test_answer_stub_is_nbgraders_default(monkeypatch, tmp_path):
    """Does generate_assignment replace a Python solution with nbgrader's default stub,
    ending in `raise NotImplementedError()`?"""
    c = load(monkeypatch, IRH_EXCHANGE_ROOT=str(tmp_path))
    assert ClearSolutions(config=c).code_stub["python"] == ANSWER_STUB


def test_student_answer_cells_raise_not_implemented():
    """Does every autograded answer cell of every student notebook in exercises/ end in
    nbgrader's stub, so that a blank answer fails its tests loudly?"""
    answer_cells = 0
    for path in sorted((ROOT / "exercises").glob("**/*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            marks = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and marks.get("solution") and not marks.get("grade"):
                answer_cells += 1
                source = "".join(cell["source"])
                assert source.endswith(ANSWER_STUB), f"{path.name}: {marks.get('grade_id')}"
    assert answer_cells > 0
