"""Interactive vignettes and tools for the Integrative Relational Health course.

The model (``force``, ``scenario``, ``session``, ``journal``) is plain Python; the
views (``Vignette``, ``Reflection``, ``JournalView``) are ipywidgets and are
imported only when first used, so the command line and the model stay light.
"""

from importlib import import_module

__all__ = [
    "Journal",
    "JournalView",
    "Reflection",
    "Scenario",
    "Session",
    "Vignette",
    "movement_card",
]

_LAZY = {
    "Vignette": "widgets.vignette",
    "Reflection": "widgets.reflection",
    "JournalView": "widgets.reflection",
    "Journal": "widgets.journal",
    "Scenario": "widgets.scenario",
    "Session": "widgets.session",
    "movement_card": "widgets.cards",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")
