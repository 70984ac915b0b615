"""Sphinx directives that run pyminpack while the docs are built.

``.. fit-figure::``
    Runs its content (Python code that makes real fits with pyminpack and
    leaves a matplotlib ``Figure`` in a variable named ``figure``), shows the
    code, then the figure, saved as PNG next to the HTML output.

``.. command-output:: ARGS``
    Runs ``python -m pyminpack ARGS`` in ``docs/`` and shows the command and
    its output (standard output and standard error), so that the guide's
    command-line examples are the program's real answers.

No figure or output is committed: every build makes them afresh.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: Resolution of the saved figures.
DPI = 96


class FitFigure(SphinxDirective):
    """Run the code, show it, and show the ``figure`` it made."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "alt": directives.unchanged,
        "width": directives.length_or_percentage_or_unitless,
    }

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        source, line = self.get_source_info()
        namespace: dict[str, Any] = {"__name__": "__fit_figure__"}
        try:
            exec(compile(code, f"{source}:{line} (fit-figure)", "exec"), namespace)
        except Exception as error:
            raise self.error(f"fit-figure: the code raised {type(error).__name__}: {error}") from error
        figure = namespace.get("figure")
        if figure is None or not hasattr(figure, "savefig"):
            raise self.error("fit-figure: the code must leave a matplotlib Figure in `figure`")
        serial = self.env.new_serialno("fit-figure")
        name = f"{self.env.docname.replace('/', '-')}-{serial}.png"
        out_dir = Path(self.env.app.doctreedir).parent / "_fit_figures"
        out_dir.mkdir(parents=True, exist_ok=True)
        figure.savefig(out_dir / name, dpi=DPI)
        # Like matplotlib's plot directive: an image path relative to the
        # document, outside the source tree; Sphinx copies it into _images.
        doc_dir = Path(self.env.doc2path(self.env.docname)).parent
        uri = os.path.relpath(out_dir / name, doc_dir).replace(os.sep, "/")
        literal = nodes.literal_block(code, code, language="python")
        image = nodes.image(uri=uri, alt=self.options.get("alt", "a plot of the fit"))
        if "width" in self.options:
            image["width"] = self.options["width"]
        return [literal, image]


class CommandOutput(SphinxDirective):
    """Show ``$ pyminpack ARGS`` and what it prints."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"returncode": directives.nonnegative_int}

    def run(self) -> list[nodes.Node]:
        args = shlex.split(self.arguments[0])
        cwd = Path(self.env.srcdir)
        completed = subprocess.run(
            [sys.executable, "-m", "pyminpack", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        expected = self.options.get("returncode", 0)
        if completed.returncode != expected:
            raise self.error(
                f"command-output: `pyminpack {self.arguments[0]}` exited with {completed.returncode}, "
                f"expected {expected}:\n{completed.stdout}{completed.stderr}"
            )
        text = f"$ pyminpack {self.arguments[0]}\n{completed.stdout}{completed.stderr}".rstrip()
        return [nodes.literal_block(text, text, language="console")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("fit-figure", FitFigure)
    app.add_directive("command-output", CommandOutput)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
