"""The README's promises: its example runs, and CI runs its test command."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    """Return the contents of the ```sh blocks, in order."""
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)]


def test_python_examples_run_as_doctests() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "the README shows no Python example"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README block {number}", "README.md", 0)
        runner.run(test)
    assert runner.failures == 0


def command(ending: str) -> str:
    """The README's one shell command that ends with `ending`."""
    (found,) = [block for block in shell_blocks(README) if block.endswith(ending)]
    return found


def test_readme_shows_the_demo_and_the_test_command_on_a_fresh_machine() -> None:
    demo, tests = command("python3 -m pyminpack"), command("python3 -m pytest")
    assert demo.startswith("sh tools/install-build-deps.sh && ")
    assert tests.startswith("sh tools/install-build-deps.sh && ")


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    readme_command = command("python3 -m pytest")
    # CI adds --quiet to pip; otherwise the command is the README's, word for word.
    assert readme_command in [line.replace(" --quiet", "") for line in ci_lines]
