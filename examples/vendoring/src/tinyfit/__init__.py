"""tinyfit: netlib MINPACK's ``lmdif``, built from pyminpack's sources as a meson subproject.

This product includes software developed by the University of Chicago, as
Operator of Argonne National Laboratory.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _lmdif  # type: ignore[attr-defined]

__all__ = ["solve"]

#: lmdif's INFO values that mean convergence.
SUCCESS = (1, 2, 3, 4)


def solve(
    func: Callable[[NDArray[np.float64]], ArrayLike], x0: ArrayLike, *, tol: float = 1.49012e-08
) -> tuple[NDArray[np.float64], int, int]:
    """Minimize ``sum(func(x)**2)`` with MINPACK's ``lmdif``, starting from ``x0``.

    Parameters
    ----------
    func : callable
        ``func(x)`` returns the ``m >= n`` residuals at the ``n`` parameters ``x``.
    x0 : array_like
        The starting point.
    tol : float, optional
        lmdif's ``ftol`` and ``xtol``.

    Returns
    -------
    x : ndarray
        The solution.
    info : int
        lmdif's INFO: 1 to 4 converged.
    nfev : int
        The number of calls of `func`.

    Examples
    --------
    >>> import numpy as np
    >>> from tinyfit import solve
    >>> x, info, nfev = solve(lambda p: np.array([10 * (p[1] - p[0] ** 2), 1 - p[0]]), [-1.2, 1.0])
    >>> x.round(8).tolist(), info in (1, 2, 3, 4)
    ([1.0, 1.0], True)
    """
    x = np.array(x0, dtype=np.float64).ravel()
    m = np.asarray(func(x.copy()), dtype=np.float64).size

    def fcn(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(func(x.copy()), dtype=np.float64)

    eps = float(np.finfo(np.float64).eps)
    x, _, info, nfev = _lmdif.lmdif(fcn, m, x, tol, tol, 0.0, 200 * (x.size + 1), eps, 100.0)
    return x, int(info), int(nfev)
