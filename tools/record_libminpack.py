"""Record Debian's libminpack1 results for the oracle tests to replay.

Usage (on x86-64, with libminpack1 and pyminpack installed)::

    python3 tools/record_libminpack.py

Runs every test module that uses ``tests/libminpack.py`` with
``PYMINPACK_RECORD_LIBMINPACK`` set: each call of ``libminpack.lmdif``/``lmder``
is made on the library and recorded, keyed by its arguments, and the file
``tests/data/libminpack_x86_64.json.gz`` is replaced by the recordings (see
``tests/data/README.md``).  The tests must pass while recording, so every
result recorded is one pyminpack matched bit for bit.

Where the installed libminpack was compiled with fused multiply-adds (Debian's
arm64 build), the oracle tests replay these recordings instead of calling it.
An x86-64 libminpack does not fuse (the architecture's baseline has no FMA
instruction); ``tests/libminpack.py`` checks that before recording.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "tests" / "data" / "libminpack_x86_64.json.gz"


def main() -> int:
    if platform.machine() != "x86_64":
        sys.exit(f"record on x86-64, not {platform.machine()}")
    modules = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").glob("test_*.py")
        if "import libminpack" in path.read_text(encoding="utf-8")
    )
    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / RECORDINGS.name
        env = {**os.environ, "PYMINPACK_RECORD_LIBMINPACK": str(recording)}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules], cwd=ROOT, env=env, check=False
        )
        if run.returncode != 0:
            sys.exit("the oracle tests failed: nothing recorded")
        recording.replace(RECORDINGS)
    print(f"{RECORDINGS.relative_to(ROOT)}: {RECORDINGS.stat().st_size} bytes, from {', '.join(modules)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
