"""Numeric columns from a CSV file, for the ``fit`` command.

The first row is a header when any of its cells is not a number.  Columns
are chosen by header name or by 0-based index.  Every error names the file,
the line and, where it applies, the column: the command line prints it as
its one-line error.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


class DataFileError(ValueError):
    """The data file cannot be read, or is not a table of finite numbers."""


@dataclass(frozen=True)
class DataTable:
    """A CSV file's columns as floats, with the header's names (empty without a header).

    Examples
    --------
    >>> table = DataTable(("t", "y"), np.array([[0.0, 1.0], [1.0, 3.0]]), "data.csv")
    >>> table.column("y")
    array([1., 3.])
    >>> table.column("0")
    array([0., 1.])
    """

    names: tuple[str, ...]
    rows: NDArray[np.float64]
    source: str

    def column_index(self, key: str) -> int:
        """Return the index of column ``key``: a header name, else a 0-based index.

        Raises
        ------
        DataFileError
            No column has that name or index.
        """
        if key in self.names:
            return self.names.index(key)
        try:
            index = int(key)
        except ValueError:
            known = (
                f"the columns are {', '.join(self.names)}"
                if self.names
                else "the file has no header: use 0-based indices"
            )
            raise DataFileError(f"{self.source}: no column named {key!r} ({known})") from None
        if not 0 <= index < self.rows.shape[1]:
            raise DataFileError(f"{self.source}: no column {index} (it has {self.rows.shape[1]}, numbered from 0)")
        return index

    def column(self, key: str) -> NDArray[np.float64]:
        """Return column ``key`` (name or 0-based index) as a float array."""
        return self.rows[:, self.column_index(key)].copy()

    def name(self, key: str) -> str:
        """Return the header name of column ``key``, or ``key`` itself without a header."""
        return self.names[self.column_index(key)] if self.names else key


def read_table(path: str | Path, *, infinite: bool = False) -> DataTable:
    """Read a comma-separated file of numbers, with or without a header row.

    Blank lines are skipped. Every other row must have as many cells as the
    first, and every cell must be a finite number (or, with ``infinite``,
    not nan).

    Parameters
    ----------
    path : str or Path
        The file.
    infinite : bool, optional
        Accept ``inf`` and ``-inf`` cells (bounds).

    Returns
    -------
    DataTable

    Raises
    ------
    DataFileError
        The file is missing or unreadable, not text, empty, ragged, or holds
        a cell that is not a finite number.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "data.csv"
    ...     _ = path.write_text("t,y\\n0,1\\n1,3\\n")
    ...     table = read_table(path)
    >>> table.names, table.rows.tolist()
    (('t', 'y'), [[0.0, 1.0], [1.0, 3.0]])
    """
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as file:
            lines = [
                (number, row)
                for number, row in enumerate(csv.reader(file), start=1)
                if any(cell.strip() for cell in row)
            ]
    except FileNotFoundError:
        raise DataFileError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{source}: is a directory, not a file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataFileError(f"{source}: cannot read it: {error}") from None
    if not lines:
        raise DataFileError(f"{source}: the file holds no data")
    names: tuple[str, ...] = ()
    if not all(_is_number(cell) for cell in lines[0][1]):
        names = tuple(cell.strip() for cell in lines[0][1])
        lines = lines[1:]
        if not lines:
            raise DataFileError(f"{source}: the file has a header but no data rows")
    width = len(names) if names else len(lines[0][1])
    rows = []
    for number, row in lines:
        if len(row) != width:
            raise DataFileError(
                f"{source}, line {number}: {len(row)} cells where the {'header' if names else 'first row'} has {width}"
            )
        rows.append([_number(cell, source, number, column, infinite) for column, cell in enumerate(row)])
    return DataTable(names, np.array(rows, dtype=float), source)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(cell: str, source: str, line: int, column: int, infinite: bool) -> float:
    """Return ``cell`` as a float (finite unless ``infinite``), or raise naming where it is."""
    try:
        return finite_number(cell, infinite=infinite)
    except ValueError as error:
        raise DataFileError(f"{source}, line {line}, column {column}: {error}") from None


def finite_number(text: str, *, infinite: bool = False) -> float:
    """Return ``text`` as a float: a cell of a data file, or a value on the command line.

    Parameters
    ----------
    text : str
        The number as written.
    infinite : bool, optional
        Accept ``inf`` and ``-inf`` (a bound); nan is never accepted.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``text`` is not a number, or is nan or (unless ``infinite``)
        infinite; the message quotes it, for the caller to say where it
        stands.

    Examples
    --------
    >>> finite_number(" 2.5")
    2.5
    >>> finite_number("-inf")
    Traceback (most recent call last):
    ...
    ValueError: '-inf' is not finite (nan or inf)
    >>> finite_number("-inf", infinite=True)
    -inf
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if math.isnan(value) or not (infinite or math.isfinite(value)):
        raise ValueError(f"{text.strip()!r} is not {'a bound (nan)' if infinite else 'finite (nan or inf)'}")
    return value
