"""A lean IPython kernel for the workshop pages.

A workshop page (``course/workshop/*.ipynb``) runs one cell, ``Vignette.load(...)``, and
then only exchanges widget messages with the browser. Voila keeps a pool of such kernels
waiting for each page, so every mebibyte a kernel holds is paid many times over. This
module starts the usual ``ipykernel`` kernel, without the parts of IPython and ipykernel
that a page served by Voila never uses:

- **jedi** (and parso), the static analyser behind IPython's code completion. IPython
  imports it at start-up when it is installed; blocked here, IPython's completer falls
  back to its own simpler completion.
- **debugpy**, the debugger behind JupyterLab's debugger panel. ipykernel imports it at
  start-up when it is installed; blocked here, the kernel reports that it has no
  debugger.
- **the terminal front end** (``IPython.terminal.embed`` and, through it,
  prompt_toolkit), which ``import IPython`` loads only to offer ``IPython.embed``. Here
  it is a stand-in that loads the real module the first time anything in it is used.
- **the SQLite input history** (``HistoryManager.enabled=False``): no history file is
  opened and no thread writes to it, so the kernels of a room do not share one
  database file. The page's code is the only input a workshop kernel ever runs.

It also hands freed memory back to the system after each cell has run (glibc's
``malloc_trim``): running the page frees memory that the allocator would otherwise keep,
and the kernel then waits, often for hours, with nothing to reuse it for. Where the C
library has no ``malloc_trim`` (not glibc), this step is skipped.

Together these take a kernel that has run its page from about 74 to about 53 MiB of
resident memory (measured in ``deploy/README.md``, "The workshop kernel").

What a user of this kernel loses: JupyterLab's debugger, jedi's completions (completion
still works, with IPython's plain completer), and the input history of earlier sessions
(``%history -g``; the current session's history stays).
``IPython.embed`` still works, but loads the terminal front end when first called.
Nothing else changes: the kernel is ``ipykernel.kernelapp.IPKernelApp``, and options on
the command line (such as ``--HistoryManager.enabled=True``) override these defaults.

If IPython or ipykernel cannot start with one of these parts removed (a future version
may need them), the launcher forgets everything it imported, puts the parts back and
starts the kernel the usual way.

Run as ``python -m irh_workshop_kernel -f CONNECTION_FILE``, as the ``irh-workshop``
kernelspec does.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
import types

#: Packages a workshop page never needs, blocked so that ``import`` raises ImportError.
BLOCKED = ("jedi", "debugpy")

#: The module ``import IPython`` loads only for ``IPython.embed`` (it pulls prompt_toolkit).
TERMINAL_EMBED = "IPython.terminal.embed"

#: Options given to the kernel before the command line's own (which override them).
DEFAULT_ARGS = ("--HistoryManager.enabled=False",)


class _LazyModule(types.ModuleType):
    """A stand-in module that imports the real one when an attribute is first asked for."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            # Probes such as hasattr(module, "__file__") must not load the real module.
            raise AttributeError(attribute)
        return getattr(_load_real(self.__name__), attribute)


def _load_real(name: str) -> types.ModuleType:
    """Replace the stand-in ``name`` in ``sys.modules`` by the real module and return it."""
    if isinstance(sys.modules.get(name), _LazyModule):
        del sys.modules[name]
    return importlib.import_module(name)


def _embed(*args, **kwargs):
    """Load IPython's terminal front end and call the real ``IPython.embed``."""
    return _load_real(TERMINAL_EMBED).embed(*args, **kwargs)


def slim() -> list[str]:
    """Block the unused packages and stand in for the terminal front end.

    Returns
    -------
    list of str
        The ``sys.modules`` names that were set, so that :func:`unslim` can undo them.
    """
    applied: list[str] = []
    for name in BLOCKED:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
            applied.append(name)
    if TERMINAL_EMBED not in sys.modules:
        stand_in = _LazyModule(TERMINAL_EMBED, "Stand-in: the real module loads on first use.")
        stand_in.embed = _embed
        sys.modules[TERMINAL_EMBED] = stand_in
        applied.append(TERMINAL_EMBED)
    return applied


def unslim(applied: list[str], before: set[str]) -> None:
    """Undo :func:`slim` and forget every module imported since ``before`` was taken."""
    for name in set(sys.modules) - before:
        del sys.modules[name]
    for name in applied:
        sys.modules.pop(name, None)


def trim_after_each_cell(shell) -> bool:
    """Return freed heap memory to the system each time ``shell`` has run a cell.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The kernel's shell.

    Returns
    -------
    bool
        Whether the C library offers ``malloc_trim`` (glibc), so that trimming is on.
    """
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = [ctypes.c_size_t]
    malloc_trim.restype = ctypes.c_int

    def trim(result) -> None:
        malloc_trim(0)

    shell.events.register("post_run_cell", trim)
    return True


def import_kernel_app() -> tuple[type, bool]:
    """Import ipykernel's kernel application without the unused parts, if it can.

    Returns
    -------
    tuple of (type, bool)
        ``IPKernelApp``, and whether it was imported lean. It is imported the usual way
        (after a warning on standard error) when an import fails with the parts removed.
    """
    before = set(sys.modules)
    applied = slim()
    try:
        import ipykernel.debugger  # noqa: F401  (the kernel imports it, and debugpy, at start)
        from ipykernel.kernelapp import IPKernelApp
    except ImportError as error:
        print(f"irh_workshop_kernel: starting the usual kernel ({error})", file=sys.stderr)
        unslim(applied, before)
        from ipykernel.kernelapp import IPKernelApp

        return IPKernelApp, False
    terminal = sys.modules.get("IPython.terminal")
    if terminal is not None and isinstance(sys.modules.get(TERMINAL_EMBED), _LazyModule):
        terminal.embed = sys.modules[TERMINAL_EMBED]  # as a real import would have set it
    return IPKernelApp, True


def main(argv: list[str] | None = None) -> None:
    """Start the workshop kernel.

    Parameters
    ----------
    argv : list of str, optional
        The kernel's command-line options, such as ``["-f", "kernel-1.json"]``;
        defaults to ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    kernel_app, _lean = import_kernel_app()
    app = kernel_app.instance()
    app.initialize([*DEFAULT_ARGS, *argv])
    trim_after_each_cell(app.shell)
    app.start()


if __name__ == "__main__":
    main()
