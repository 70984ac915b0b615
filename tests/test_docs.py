"""The documentation in docs/: its examples run, its API reference and migration page are complete, and it builds.

The Sphinx build (``python -m sphinx -W``, warnings as errors) is a slow
test and needs the ``docs`` extra (sphinx, numpydoc, matplotlib).
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyminpack

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.rst"))


def test_the_docs_have_their_pages() -> None:
    names = {page.stem for page in PAGES}
    assert {"index", "guide", "migrating", "api", "vendoring", "acknowledgment"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_examples_run_as_doctests(page: Path) -> None:
    failures, _ = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert failures == 0


def test_api_reference_lists_every_public_name() -> None:
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.MULTILINE))
    public = set(pyminpack.__all__) - {"__version__"}
    assert listed == public
    assert ".. data:: __version__" in api


def test_migration_page_lists_every_difference_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Differences from `scipy.optimize.leastsq`", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| input")]
    assert len(rows) >= 8
    migrating = " ".join((DOCS / "migrating.rst").read_text(encoding="utf-8").split())
    for row in rows:
        first_cell = row.split("|")[1].strip().replace("`", "``")
        assert " ".join(first_cell.split()) in migrating, first_cell


def test_acknowledgment_is_in_the_docs() -> None:
    text = (DOCS / "acknowledgment.rst").read_text(encoding="utf-8")
    acknowledgment = "This product includes software developed by the University of Chicago, as Operator of Argonne"
    assert acknowledgment in " ".join(text.split())
    assert ".. literalinclude:: ../LICENSE" in text


@pytest.mark.slow
@pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("sphinx", "numpydoc", "matplotlib")),
    reason="needs the docs extra: pip install '.[docs]'",
)
def test_sphinx_builds_without_warnings(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    html = tmp_path / "html"
    assert (html / "generated" / "pyminpack.leastsq.html").exists()
    assert len(list((html / "_images").glob("*.png"))) >= 2  # the guide's plots, drawn from real fits
