"""Instructor tools for the IRH course: release, rubric import, grade export, dashboard.

Nothing in this package is served to students. Run ``python -m instructor --help``
from the course root for the command-line interface.
"""
