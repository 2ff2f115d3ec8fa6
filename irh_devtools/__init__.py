"""Helpers that start the course's servers and a browser, shared by tests and benchmarks.

Not part of what students or attendees use: ``irh_devtools.voila`` starts a real Voila
server on 127.0.0.1 with a private configuration and launches Debian's Chromium.
"""
