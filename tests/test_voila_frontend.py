"""The front end of the course's Voila pages (deploy/voila-template/frontend/).

The page template loads one bundle, built from frontend/src by ``npm run build`` and
committed so that installing the course needs no Node.js. The browser tests play every
page through it; these tests check that the committed bundle is what its sources make and
that pages load it instead of Voila's own front end.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from urllib.parse import quote

import pytest

from irh_devtools.voila import REPO_ROOT, fetch, shutdown

PACKAGE = REPO_ROOT / "deploy" / "voila-template"
FRONTEND = PACKAGE / "frontend"
STATIC = PACKAGE / "share" / "jupyter" / "voila" / "templates" / "irh" / "static"


def build_command(outfile) -> list[str]:
    """Return package.json's build command with its output sent to ``outfile``."""
    script = json.loads((FRONTEND / "package.json").read_text())["scripts"]["build"]
    args = shlex.split(script)
    assert args[0] == "esbuild"
    args[0] = str(FRONTEND / "node_modules" / ".bin" / "esbuild")
    return [f"--outfile={outfile}" if a.startswith("--outfile=") else a for a in args]


def test_committed_bundle_is_what_the_sources_build(tmp_path):
    """Does `npm run build` make exactly the committed irh-widgets.js and .css?"""
    if not (FRONTEND / "node_modules" / ".bin" / "esbuild").exists():
        reason = "no build tools: run `npm ci` in deploy/voila-template/frontend"
        if os.environ.get("IRH_REQUIRE_FRONTEND_BUILD") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    subprocess.run(build_command(tmp_path / "irh-widgets.js"), cwd=FRONTEND, check=True,
                   capture_output=True)
    for name in ("irh-widgets.js", "irh-widgets.css"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"{name} is out of date: run `npm run build` in {FRONTEND}")


@pytest.mark.parametrize("page", ["workshop/first-contact.ipynb", "index.ipynb"])
def test_page_loads_the_course_front_end_not_voilas(server, page):
    """Does a page load irh-widgets.js, and none of Voila's application scripts?"""
    status, html = fetch(server, "/voila/render/" + quote(page))
    try:
        assert status == 200
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
        assert any("/voila/templates/irh/static/irh-widgets.js" in s for s in scripts)
        assert not [s for s in scripts if s.endswith("voila.js") or "/voila/static/" in s]
    finally:
        if status == 200:
            shutdown(server, html)
