"""Every course notebook runs top to bottom in a fresh kernel and is stored clean."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
WORKSHOP = ROOT / "course" / "workshop"
COURSE = sorted((ROOT / "course").rglob("*.ipynb"))
ALL_NOTEBOOKS = sorted(
    p
    for p in ROOT.rglob("*.ipynb")
    if not any(part.startswith(".") or part in {"build", "test-artifacts"} for part in p.parts)
)
NOTEBOOK_KEYS = {"kernelspec", "language_info"}


def expected_kernel(path: Path) -> str:
    """The kernelspec a course notebook names: the lean workshop kernel for workshop pages."""
    return "irh-workshop" if path.parent == WORKSHOP else "python3"


def test_the_course_has_notebooks():
    """Does course/ hold the welcome notebook at least?"""
    assert (ROOT / "course" / "00_welcome.ipynb") in COURSE


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path):
    """Is the notebook committed with no outputs and no execution counts?"""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {cell.get('id')} has outputs"
            assert cell.execution_count is None, f"cell {cell.get('id')} has an execution count"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_course_notebook_keeps_only_needed_metadata(path):
    """Does a course notebook carry only kernelspec and language_info metadata?"""
    nb = nbformat.read(path, as_version=4)
    assert set(nb.metadata) <= NOTEBOOK_KEYS, set(nb.metadata) - NOTEBOOK_KEYS
    assert nb.metadata.get("kernelspec", {}).get("name") == expected_kernel(path)
    nbformat.validate(nb)


@pytest.mark.parametrize("path", COURSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_course_notebook_executes_in_a_fresh_kernel(path):
    """Does the notebook run top to bottom in a fresh kernel without an error?"""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name=expected_kernel(path),
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr")
    ]
    assert errors == [], errors
