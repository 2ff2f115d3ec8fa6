"""The lean workshop kernel: the ``irh-workshop`` kernelspec and its launcher.

The launcher and kernelspec live in ``deploy/voila-template/`` and are installed, not
editable, by ``requirements.txt``. One kernel started from the installed kernelspec
serves most tests here; it runs every workshop page before it is asked what it loaded.
Memory is measured by a benchmark, not here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session
from nbclient import NotebookClient

from irh_devtools.voila import REPO_ROOT, WORKSHOP_DIR, WORKSHOP_VIGNETTES

KERNEL = "irh-workshop"
PACKAGE = REPO_ROOT / "deploy" / "voila-template"
KERNEL_JSON = PACKAGE / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
LAUNCHER = PACKAGE / "irh_workshop_kernel.py"
PAGES = sorted(WORKSHOP_VIGNETTES)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: What the kernel leaves out: jedi (and its parso), the terminal's prompt_toolkit, debugpy.
LEFT_OUT = ("jedi", "parso", "prompt_toolkit", "debugpy", "IPython.terminal.interactiveshell")


def run(client, code: str) -> str:
    """Run ``code`` in the kernel and return what it printed; fail on an error."""
    printed: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    reply = client.execute_interactive(code, timeout=60, output_hook=hook)
    content = reply["content"]
    assert content["status"] == "ok", "\n".join(content.get("traceback", []))
    return "".join(printed)


def run_launcher(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (the launcher changes ``sys.modules``)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One running ``irh-workshop`` kernel and a client of it, in the workshop folder."""
    journal = tmp_path_factory.mktemp("kernel-journal")
    manager = KernelManager(kernel_name=KERNEL)
    env = {**os.environ, "IRH_JOURNAL_DIR": str(journal)}
    manager.start_kernel(cwd=str(WORKSHOP_DIR), env=env)
    # A session of its own: clients sharing one session share one identity on the kernel's
    # shell socket, and the kernel sends replies to the client that connected last.
    client = manager.client(session=Session(key=manager.session.key))
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def executed_pages(kernel) -> dict[str, nbformat.NotebookNode]:
    """Every workshop page, run by nbclient in the shared kernel, by page."""
    manager, _client = kernel
    executed = {}
    for page in PAGES:
        nb = nbformat.read(WORKSHOP_DIR.parent / page, as_version=4)
        notebook_client = NotebookClient(nb, km=manager, timeout=60)
        notebook_client.execute()
        notebook_client.kc.stop_channels()
        executed[page] = nb
    return executed


def test_kernelspec_names_the_lean_launcher():
    """Does the installed irh-workshop kernelspec start irh_workshop_kernel with Python?"""
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.argv == ["python", "-m", "irh_workshop_kernel", "-f", "{connection_file}"]
    assert spec.display_name == "Python 3 (IRH workshop)"
    assert spec.language == "python"
    assert spec.metadata.get("debugger") is False


def test_installed_files_are_the_repository_ones():
    """Are the installed kernelspec and launcher the current ones (re-installed after edits)?"""
    installed_spec = Path(KernelSpecManager().get_kernel_spec(KERNEL).resource_dir)
    assert json.loads((installed_spec / "kernel.json").read_text()) == json.loads(
        KERNEL_JSON.read_text()
    ), "run: pip install --no-deps ./deploy/voila-template"
    origin = Path(importlib.util.find_spec("irh_workshop_kernel").origin)
    assert origin.read_text() == LAUNCHER.read_text(), (
        "run: pip install --no-deps ./deploy/voila-template"
    )


def test_every_workshop_page_names_the_workshop_kernel():
    """Does every workshop page ask for the irh-workshop kernel?"""
    for page in PAGES:
        kernelspec = nbformat.read(WORKSHOP_DIR.parent / page, as_version=4).metadata.kernelspec
        assert dict(kernelspec) == {
            "name": KERNEL,
            "display_name": "Python 3 (IRH workshop)",
            "language": "python",
        }, page


def test_kernel_starts_from_the_kernelspec_and_runs_code(kernel):
    """Does the kernelspec start this interpreter on the launcher, and does it run code?"""
    manager, client = kernel
    cmdline = Path(f"/proc/{manager.provisioner.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[:3] == [sys.executable.encode(), b"-m", b"irh_workshop_kernel"]
    assert run(client, "print(6 * 7)") == "42\n"


def test_page_runs_in_its_own_kernelspec():
    """Does nbclient, left to the page's own metadata, run a page in irh-workshop?"""
    nb = nbformat.read(WORKSHOP_DIR / "first-contact.ipynb", as_version=4)
    notebook_client = NotebookClient(
        nb, timeout=60, resources={"metadata": {"path": str(WORKSHOP_DIR)}}
    )
    notebook_client.execute()
    assert notebook_client.kernel_name == KERNEL
    outputs = nb.cells[-1].outputs
    assert [o.output_type for o in outputs] == ["execute_result"]
    assert WIDGET_VIEW in outputs[0]["data"]


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_its_vignette_without_error(executed_pages, page):
    """Does the page's cell, run in the workshop kernel, output one widget and nothing else?"""
    code = [cell for cell in executed_pages[page].cells if cell.cell_type == "code"]
    assert len(code) == 1
    outputs = code[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"], outputs
    assert WIDGET_VIEW in outputs[0]["data"]


def test_kernel_leaves_out_what_pages_never_use(kernel, executed_pages):
    """After running every page, has the kernel still not imported jedi, prompt_toolkit, debugpy?"""
    _manager, client = kernel
    printed = run(
        client,
        "import json, sys\n"
        f"print(json.dumps([m for m in {LEFT_OUT!r} if sys.modules.get(m) is not None]))",
    )
    assert json.loads(printed) == []


def test_kernel_keeps_no_history_file(kernel):
    """Does the kernel run without the SQLite input history?"""
    _manager, client = kernel
    assert run(client, "print(get_ipython().history_manager.enabled)") == "False\n"


def test_kernel_says_it_has_no_debugger(kernel):
    """Does the kernel tell front ends that it has no debugger?"""
    _manager, client = kernel
    reply = client.kernel_info(reply=True, timeout=30)
    features = reply["content"]["supported_features"]
    assert "debugger" not in features
    assert "kernel subshells" in features


def test_completion_still_answers(kernel):
    """Does code completion still work without jedi?"""
    _manager, client = kernel
    run(client, "irh_answer_to_check = 42")
    reply = client.complete("irh_answer_to_ch", reply=True, timeout=30)
    assert "irh_answer_to_check" in reply["content"]["matches"]


def test_vignette_plays_in_the_kernel(kernel):
    """Can a Vignette be made, started and answered in the workshop kernel?"""
    _manager, client = kernel
    printed = run(
        client,
        "import json\n"
        "from widgets import Vignette\n"
        "v = Vignette.load('first-contact-voicemail', journal=False)\n"
        "v.start()\n"
        "labels = v.choice_labels\n"
        "v.choose(0)\n"
        "print(json.dumps({'started': v.started, 'labels': labels,\n"
        "                  'steps': len(v.session.history)}))",
    )
    state = json.loads(printed)
    assert state["started"] is True
    assert len(state["labels"]) >= 2
    assert state["steps"] == 1


def test_kernel_returns_freed_memory_after_each_cell(kernel):
    """Is the kernel's malloc_trim hook registered to run after each cell?"""
    _manager, client = kernel
    printed = run(
        client,
        "print([f.__name__ for f in get_ipython().events.callbacks['post_run_cell']])",
    )
    assert "'trim'" in printed


def test_embed_loads_the_terminal_only_when_used():
    """Is IPython.embed still there, loading prompt_toolkit only when first used?"""
    result = run_launcher(
        "import sys, irh_workshop_kernel as k\n"
        "app, lean = k.import_kernel_app()\n"
        "import IPython\n"
        "before = 'prompt_toolkit' in sys.modules\n"
        "from IPython.terminal.embed import InteractiveShellEmbed\n"
        "print(lean, callable(IPython.embed), before, 'prompt_toolkit' in sys.modules,\n"
        "      InteractiveShellEmbed.__module__)"
    )
    assert result.stdout.split() == ["True", "True", "False", "True", "IPython.terminal.embed"]


def test_launcher_falls_back_to_the_usual_kernel():
    """When a removed part turns out to be needed, does the launcher import everything normally?"""
    result = run_launcher(
        "import sys, irh_workshop_kernel as k\n"
        "k.BLOCKED = (*k.BLOCKED, 'comm')  # ipykernel cannot start without comm\n"
        "app, lean = k.import_kernel_app()\n"
        "print(lean, app.__name__, sys.modules.get('comm') is not None,\n"
        "      isinstance(sys.modules.get(k.TERMINAL_EMBED), k._LazyModule))"
    )
    # no stand-in is left (IPython 8 then holds the real module; IPython 9 loads it lazily)
    assert result.stdout.split() == ["False", "IPKernelApp", "True", "False"]
    assert "starting the usual kernel" in result.stderr
