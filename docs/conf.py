"""Sphinx configuration of pyminpack's documentation.

Build with warnings as errors::

    python -m pip install ".[docs]"
    python -m sphinx -W -b html docs /tmp/docs-html

The API reference is generated from the installed package's docstrings
(autosummary, numpydoc); the guide's figures and command-line output are
made by real fits while the docs build (``_ext/pyminpack_docs.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyminpack

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "pyminpack"
author = "pyminpack developers"
copyright = "pyminpack developers; MINPACK: University of Chicago, as Operator of Argonne National Laboratory"
release = pyminpack.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "pyminpack_docs",
]
# numpydoc reads the docstrings' sections; napoleon when it is not installed.
if importlib.util.find_spec("numpydoc") is not None:
    extensions.append("numpydoc")
    numpydoc_show_class_members = False  # autosummary's class pages list them
    numpydoc_attributes_as_param_list = True
    numpydoc_xref_param_type = False
else:
    extensions.append("sphinx.ext.napoleon")
    napoleon_google_docstring = False

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections give the types

exclude_patterns = ["_build", "generated/*.rst.bak"]
templates_path = ["_templates"]
html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"pyminpack {release}"
html_theme_options = {"description": "The original Fortran MINPACK, for Python, without SciPy", "fixed_sidebar": True}
# No intersphinx: the documentation builds without network access.
