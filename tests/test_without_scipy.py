"""Every behaviour is pinned by tests that need no SciPy: the suite must at
least collect, and its SciPy comparisons skip, when SciPy cannot be imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

BLOCK_SCIPY_AND_COLLECT = """
import sys
sys.modules["scipy"] = None  # any `import scipy...` now raises ImportError
import pytest
sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]]))
"""


def test_the_suite_collects_without_scipy():
    run = subprocess.run(
        [sys.executable, "-c", BLOCK_SCIPY_AND_COLLECT, str(TESTS)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=TESTS.parent,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "error" not in run.stdout.splitlines()[-1], run.stdout[-3000:]
