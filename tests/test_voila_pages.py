"""The workshop pages, the landing page and the Voila configuration in voila.json."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request

import nbformat
import pytest
from nbclient import NotebookClient

from irh_devtools.voila import (
    COURSE_DIR,
    REPO_ROOT,
    VOILA_CONFIG,
    WORKSHOP_DIR,
    WORKSHOP_VIGNETTES,
    course_pages,
    start_voila,
)
from widgets import force

#: Modules a vignette page has no use for; each costs kernel memory and start time.
HEAVY_MODULES = ("pandas", "matplotlib", "numpy", "scipy", "sqlalchemy", "nbgrader", "PIL")


def workshop_notebooks() -> list[str]:
    return sorted(p.relative_to(COURSE_DIR).as_posix() for p in WORKSHOP_DIR.glob("*.ipynb"))


def test_one_workshop_page_per_movement_and_the_capstone():
    """Is there exactly one workshop page per FORCE movement, plus the capstone?"""
    expected = {f"workshop/{slug}.ipynb" for slug in force.slugs()} | {"workshop/capstone.ipynb"}
    assert set(workshop_notebooks()) == expected == set(WORKSHOP_VIGNETTES)


@pytest.mark.parametrize("page", sorted(WORKSHOP_VIGNETTES))
def test_workshop_page_is_framing_plus_vignette(page):
    """Is a workshop page only a short framing and one cell that shows its vignette?"""
    nb = nbformat.read(COURSE_DIR / page, as_version=4)
    kinds = [cell.cell_type for cell in nb.cells]
    assert kinds == ["markdown", "code"]
    framing, code = nb.cells
    assert framing.source.startswith("# ")
    assert len(framing.source.split()) <= 120, "the framing should stay short"
    vignette = WORKSHOP_VIGNETTES[page]
    assert code.source == f'from widgets import Vignette\n\nVignette.load("{vignette}")'
    assert (REPO_ROOT / "widgets" / "scenarios" / f"{vignette}.yaml").exists()


@pytest.mark.parametrize("page", ["index.ipynb", *sorted(WORKSHOP_VIGNETTES)])
def test_page_is_stored_clean(page):
    """Is the page stored without outputs, execution counts or extra metadata?"""
    nb = nbformat.read(COURSE_DIR / page, as_version=4)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    assert nb.metadata.kernelspec.name == ("python3" if page == "index.ipynb" else "irh-workshop")
    for cell in nb.cells:
        assert cell.metadata == {}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_landing_page_links_every_module_and_workshop_page():
    """Does the landing page link every course notebook, and only files that exist?"""
    nb = nbformat.read(COURSE_DIR / "index.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    links = set(re.findall(r"\]\(([^)#\s]+\.ipynb)\)", text))
    pages = set(course_pages()) - {"index.ipynb"}
    assert pages - links == set(), "pages the landing page does not list"
    assert links - pages == set(), "links to notebooks that do not exist"


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(WORKSHOP_VIGNETTES))
def test_workshop_page_imports_no_heavy_module(page, tmp_path):
    """Does running a workshop page leave pandas and other heavy modules unimported?"""
    folder = tmp_path / "workshop"
    folder.mkdir()
    shutil.copy(COURSE_DIR / page, folder / "page.ipynb")
    nb = nbformat.read(folder / "page.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, json\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))"
    ))
    NotebookClient(nb, timeout=60, kernel_name="irh-workshop",
                   resources={"metadata": {"path": str(folder)}}).execute()
    printed = nb.cells[-1].outputs[0]["text"]
    assert json.loads(printed) == []
    widget = [o for o in nb.cells[1].outputs if o.get("output_type") == "execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in widget[0]["data"]


def test_config_pools_workshop_pages_only():
    """Does voila.json preheat a pool for each workshop page, and for no other page?"""
    config = json.loads(VOILA_CONFIG.read_text())
    assert config["VoilaConfiguration"]["preheat_kernel"] is True
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    assert pools["default"]["pool_size"] == 0
    pooled = {page for page, settings in pools.items() if settings.get("pool_size", 0) > 0}
    assert pooled == set(WORKSHOP_VIGNETTES)


def test_config_reclaims_closed_tabs_without_culling_pooled_kernels():
    """Are closed tabs' kernels reclaimed (XSRF on) while pooled kernels outlive their wait?"""
    config = json.loads(VOILA_CONFIG.read_text())
    # a closing page asks over its own websocket; no XSRF exemption is needed
    assert "disable_check_xsrf" not in config["Voila"]["tornado_settings"]
    assert config["Voila"]["kernel_websocket_connection_class"].endswith(
        "GuardedWebsocketConnection")
    assert config["GuardedKernelManager"]["connect_grace"] <= 120
    culling = config["MappingKernelManager"]
    # A kernel with an open page is never culled; a pooled kernel waits in the pool
    # from server start to hand-out, which the timeout must exceed (a working day).
    assert culling["cull_connected"] is False
    assert culling["cull_idle_timeout"] >= 8 * 3600
    assert 0 < culling["cull_interval"] <= culling["cull_idle_timeout"]


def test_config_survives_many_kernels_starting_at_once():
    """Do kernels use Unix sockets (no port races) and Voila wait for late outputs?"""
    config = json.loads(VOILA_CONFIG.read_text())
    assert config["KernelManager"]["transport"] == "ipc"
    assert config["VoilaExecutor"]["iopub_timeout"] >= 20


def test_config_refills_pools_after_a_room_is_served():
    """Does a handed-out pooled kernel wait long enough before its replacement starts?

    Refilling at once makes the server start and render a page for every attendee of
    a room while it is still serving them (deploy/README.md gives the measurement).
    """
    config = json.loads(VOILA_CONFIG.read_text())
    assert config["VoilaKernelManager"]["fill_delay"] >= 10


def test_every_setting_is_documented():
    """Does deploy/README.md explain every setting voila.json makes?"""
    config = json.loads(VOILA_CONFIG.read_text())
    documented = (REPO_ROOT / "deploy" / "README.md").read_text()
    names = []
    for section, settings in config.items():
        for key, value in settings.items():
            if key == "tornado_settings":
                names.extend(f"{section}.{key}.{inner}" for inner in value)
            else:
                names.append(f"{section}.{key}")
    missing = [name for name in names if f"`{name}`" not in documented]
    assert missing == []


def test_config_serves_no_source_data_or_hidden_file():
    """Does voila.json strip sources and refuse notebooks, code, data and hidden files?"""
    config = json.loads(VOILA_CONFIG.read_text())["VoilaConfiguration"]
    assert config["strip_sources"] is True and config["show_tracebacks"] is False

    def served(path: str) -> bool:
        allowed = any(re.fullmatch(p, path, re.I) for p in config["file_allowlist"])
        denied = any(re.fullmatch(p, path, re.I) for p in config["file_denylist"])
        return allowed and not denied

    assert served("figures/field.png") and served("a.SVG")
    for path in ("x.ipynb", "x.py", "x.yaml", "x.yml", "x.csv", ".env", ".git/x.png",
                 "a/.hidden/x.png", "a/.x.svg", "gradebook.db", "notes.md"):
        assert not served(path), path


@pytest.mark.slow
def test_run_command_reads_the_repository_config(tmp_path):
    """Does `voila course/`, run from the repository root, read the repository's voila.json
    and render with the course's template?"""
    server = start_voila(
        REPO_ROOT / "course", tmp_path, cwd=REPO_ROOT,
        # Pools off to save time: the culling setting alone shows the file was read.
        extra_args=["--VoilaKernelManager.kernel_pools_config={'default': {'pool_size': 0}}"],
    )
    try:
        with urllib.request.urlopen(server.render_url("index.ipynb"), timeout=60) as response:
            assert response.status == 200
            html = response.read().decode()
        # The course's page template: links underlined, nothing loaded from a public CDN.
        assert "text-decoration: underline" in html
        assert "cdn.jsdelivr.net" not in html
        assert '<link rel="stylesheet" href="https://' not in html
        log = server.log()
        timeout = json.loads(VOILA_CONFIG.read_text())["MappingKernelManager"][
            "cull_idle_timeout"]
        assert f"Culling kernels with idle durations > {timeout} seconds" in log
    finally:
        server.stop()
