"""Write output files whole or not at all: into a temporary file, then renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``.

    The temporary file is in the same directory, so the rename is atomic
    (``os.replace``).  If the body raises, the temporary file is removed
    and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The file to write.

    Yields
    ------
    Path
        Where to write the content.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     target = Path(directory) / "out.txt"
    ...     with atomic_output(target) as temporary:
    ...         _ = temporary.write_text("done")
    ...     print(target.read_text(), sorted(p.name for p in Path(directory).iterdir()))
    done ['out.txt']
    """
    path = Path(path)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
