"""Solving with a lower-triangular matrix in NumPy alone (no SciPy, no LAPACK ``trtrs``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Diagonal blocks up to this order are solved directly by ``numpy.linalg.solve``.
_LEAF_ORDER = 64


def solve_lower(lower: NDArray[np.float64], rhs: NDArray[Any]) -> NDArray[np.float64]:
    """Return ``x`` with ``lower @ x == rhs``, for a lower-triangular ``lower``.

    Block forward substitution: split ``lower`` into ``[[L11, 0], [L21, L22]]``,
    solve ``L11 x1 = b1``, then ``L22 x2 = b2 - L21 x1``, recursively down to
    blocks of order 64, which ``numpy.linalg.solve`` solves.  The work is
    ``O(m**2)`` per right-hand side (a plain ``numpy.linalg.solve`` of the
    whole system would be ``O(m**3)``), and the strict upper triangle of
    ``lower`` is never read.

    Parameters
    ----------
    lower : ndarray, shape (m, m)
        Lower-triangular and nonsingular, e.g. a Cholesky factor.
    rhs : ndarray, shape (m,) or (m, k)
        One right-hand side, or ``k`` of them as columns.

    Returns
    -------
    ndarray, shape of ``rhs``
        The solution.

    Examples
    --------
    >>> import numpy as np
    >>> solve_lower(np.array([[2.0, 0.0], [1.0, 4.0]]), np.array([2.0, 9.0]))
    array([1., 2.])
    """
    order = lower.shape[0]
    if order <= _LEAF_ORDER:
        return np.linalg.solve(np.tril(lower), rhs)
    half = order // 2
    head = solve_lower(lower[:half, :half], rhs[:half])
    tail = solve_lower(lower[half:, half:], rhs[half:] - lower[half:, :half] @ head)
    return np.concatenate((head, tail))
