"""Shared pytest configuration: the ``slow`` marker and its opt-in switch, the oracle's header line, and test ids."""

from __future__ import annotations

import os

import pytest

#: Set to 1 to run the long variants (many more solves, threads, examples).
SLOW_ENV = "PYMINPACK_SLOW"


def run_slow() -> bool:
    """Return True when the long variants were asked for."""
    return os.environ.get(SLOW_ENV) == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"slow: a long variant, run only when {SLOW_ENV}=1 is set")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_slow():
        return
    skip = pytest.mark.skip(reason=f"a long variant: set {SLOW_ENV}=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str:
    """Say whether the libminpack oracle tests call the library or replay it, and why."""
    import libminpack

    oracle = libminpack.load()
    if oracle is None:
        return "libminpack oracle: not installed (its tests skip)"
    return f"libminpack oracle: {oracle.replay_reason or 'the library itself'}"


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Name a text parameter holding backslashes or control characters without them.

    pytest would escape them (a pattern's ``\\(`` becomes ``\\\\(``, a newline
    ``\\n``) into ids by which ``pytest FILE::TEST[ID]`` cannot select the test
    again, and mutmut (``tools/mutation-test.py``) runs tests by id.  Backslashes
    are dropped, other characters outside printable ASCII become spaces; any
    other value keeps pytest's own id (None).
    """
    text = val.decode("latin-1") if isinstance(val, bytes) else val
    if not isinstance(text, str) or ("\\" not in text and text.isascii() and text.isprintable()):
        return None
    return "".join(c if c.isascii() and c.isprintable() else " " for c in text.replace("\\", ""))
