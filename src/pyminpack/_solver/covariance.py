"""``cov_x`` from MINPACK's QR factorisation, as ``scipy.optimize.leastsq`` forms it."""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray


def covariance_from_qr(fjac: NDArray[np.float64], ipvt: NDArray[np.integer]) -> NDArray[np.float64] | None:
    """Return ``inv(J.T @ J)`` from the ``fjac``/``ipvt`` that MINPACK returns.

    On return MINPACK's ``fjac`` (``m`` by ``n``, column-major) holds in its
    upper ``n`` by ``n`` triangle the factor ``R`` of the column-pivoted QR
    factorisation ``J P = Q R``.  Then ``inv(J.T J) = P inv(R) inv(R).T P.T``:
    the inverse of the permuted ``R`` is a row permutation of ``inv(R)``.
    This is SciPy's computation (it uses LAPACK ``trtri``; here ``R`` is
    inverted by ``numpy.linalg.inv``, which for a triangular matrix pivots
    on the diagonal and so inverts ``R`` itself).

    Parameters
    ----------
    fjac : ndarray, shape (n, m)
        ``infodict['fjac']`` as :func:`pyminpack.leastsq` returns it (the
        transpose of MINPACK's column-major array).
    ipvt : ndarray of int, shape (n,)
        ``infodict['ipvt']``: the 0-based column permutation.

    Returns
    -------
    ndarray, shape (n, n), or None
        The covariance of the parameters before scaling by the residual
        variance, or None when ``R`` is exactly singular (a zero on its
        diagonal), which is when SciPy returns None too.  All nan when
        ``R`` holds nan or inf (MINPACK factored non-finite residuals or a
        non-finite Jacobian, which ``allow_nonfinite=True`` lets through):
        no covariance is defined there.  SciPy then returns nan or inf
        entries by a pattern that depends on its BLAS; numpy's inverse,
        which pivots, may even raise ``LinAlgError`` (it does on aarch64),
        and is never asked.

    Examples
    --------
    >>> import numpy as np
    >>> fjac = np.array([[2.0, 0.0], [1.0, 4.0]])  # R = [[2, 1], [0, 4]] stored as its transpose
    >>> covariance_from_qr(fjac, np.array([0, 1]))
    array([[ 0.265625, -0.03125 ],
           [-0.03125 ,  0.0625  ]])
    """
    n = len(ipvt)
    r = fjac[:, :n].T.copy()
    r[_strictly_lower_triangle(n)] = 0.0  # numpy.triu, with its mask made once per n
    if not r.diagonal().all():
        return None
    if not np.isfinite(r).all():
        return np.full((n, n), np.nan)
    # A nearly singular R gives huge entries; inf is then the honest answer,
    # not a RuntimeWarning from inside the solver.
    with np.errstate(over="ignore", invalid="ignore"):
        inv_r = np.linalg.inv(r)
        permuted = np.empty_like(inv_r)
        permuted[ipvt] = inv_r
        return permuted @ permuted.T


@functools.lru_cache(maxsize=32)
def _strictly_lower_triangle(n: int) -> NDArray[np.bool_]:
    """The boolean mask of the entries below the diagonal of an n-by-n matrix (read-only, shared)."""
    mask = np.tri(n, k=-1, dtype=bool)
    mask.flags.writeable = False
    return mask
