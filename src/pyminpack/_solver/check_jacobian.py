"""``check_jacobian``: MINPACK's ``chkder`` test of an analytic Jacobian.

``chkder`` (``minpack_src/chkder.f``) compares each row of a Jacobian with
the change of its residual between ``x`` and a neighbouring point ``xp``
(every component moved by ``sqrt(epsmch) * |x_j|``, or ``sqrt(epsmch)`` when
``x_j`` is zero), and scores the agreement between 0 (incorrect) and 1
(correct) on a logarithmic scale of the discrepancy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._minpack import chkder
from .validation import check_func, residual_vector, starting_point

__all__ = ["SUSPICIOUS_BELOW", "JacobianCheck", "check_jacobian"]

#: chkder.f: "in general, a value of err(i) greater than 0.5 indicates that
#: the i-th gradient is probably correct, while a value of err(i) less than
#: 0.5 indicates that the i-th gradient is probably incorrect."  A score of
#: 0.5 is a discrepancy of ``epsmch**0.75`` (about 2e-12) relative to the
#: residual's size in chkder's measure, where a correct row's is of order
#: ``epsmch`` (score 1) and a wrong row's of order ``sqrt(epsmch)`` or more
#: (score 0): halfway on chkder's logarithmic scale.
SUSPICIOUS_BELOW = 0.5

#: chkder's machine precision, ``dpmpar(1)`` of the vendored ``dpmpar.f``.
_EPSMCH = 2.22044604926e-16
#: chkder's ``epsf``: a residual that changes by less than this, relative to
#: itself, between ``x`` and ``xp`` is not compared (scored 0).
_EPSF = 100.0 * _EPSMCH

_CHKDER_MAKE_XP = 1
_CHKDER_SCORE = 2


@dataclass(frozen=True)
class JacobianCheck:
    """The result of :func:`check_jacobian`: chkder's score for each residual.

    Attributes
    ----------
    err : ndarray, shape (m,)
        chkder's agreement score for each residual (row of the Jacobian):
        1 where the analytic gradient agrees with the function, 0 where it
        does not, in between less certain. nan where chkder could not
        compare (see :func:`check_jacobian`).
    x : ndarray, shape (n,)
        The point the Jacobian was checked at.
    xp : ndarray, shape (n,)
        chkder's neighbouring point.

    See Also
    --------
    check_jacobian : Makes this result.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import check_jacobian
    >>> def residuals(p):
    ...     return np.array([p[0] ** 2 - 2.0, p[0] * p[1] - 3.0])
    >>> def right(p):
    ...     return np.array([[2.0 * p[0], 0.0], [p[1], p[0]]])
    >>> check = check_jacobian(residuals, right, [1.5, 2.5])
    >>> check.ok, check.suspicious.tolist()
    (True, [])
    >>> def wrong(p):
    ...     return np.array([[2.0 * p[0], 0.0], [p[0], p[1]]])
    >>> check = check_jacobian(residuals, wrong, [1.5, 2.5])
    >>> check.ok, check.suspicious.tolist()
    (False, [1])
    """

    err: NDArray[np.float64]
    x: NDArray[np.float64]
    xp: NDArray[np.float64]

    @property
    def suspicious(self) -> NDArray[np.intp]:
        """Indices of the residuals whose gradient is probably wrong (``err < 0.5``)."""
        return np.flatnonzero(self.err < SUSPICIOUS_BELOW)

    @property
    def unchecked(self) -> NDArray[np.intp]:
        """Indices of the residuals chkder could not compare (``err`` is nan)."""
        return np.flatnonzero(np.isnan(self.err))

    @property
    def ok(self) -> bool:
        """True when no residual's gradient is suspicious."""
        return self.suspicious.size == 0

    def summary(self) -> str:
        """Return a one-paragraph, readable account of the check.

        Returns
        -------
        str
            Whether the Jacobian looks correct, the rows that are probably
            wrong (the first ten) and how many rows could not be checked.

        Examples
        --------
        >>> import numpy as np
        >>> from pyminpack import check_jacobian
        >>> def residuals(p):
        ...     return np.array([p[0] - 1.0, 0.0 * p[1], p[1] ** 2 - 4.0])
        >>> def jacobian(p):
        ...     return np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0 * p[1]]])
        >>> print(check_jacobian(residuals, jacobian, [3.0, 1.0]).summary())  # doctest: +NORMALIZE_WHITESPACE
        Jacobian looks correct: 2 of 3 rows agree with the function (lowest score 1.00).
        1 rows could not be checked (residual zero or unchanged near x).
        """
        m = self.err.size
        checked = m - self.unchecked.size
        if self.ok:
            text = f"Jacobian looks correct: {checked} of {m} rows agree with the function"
            text += f" (lowest score {np.nanmin(self.err):.2f})." if checked else "."
        else:
            rows = ", ".join(str(i) for i in self.suspicious[:10])
            more = f" and {self.suspicious.size - 10} more" if self.suspicious.size > 10 else ""
            text = (
                f"Jacobian is probably wrong in {self.suspicious.size} of {m} rows "
                f"(score < {SUSPICIOUS_BELOW}): rows {rows}{more}."
            )
        if self.unchecked.size:
            text += f" {self.unchecked.size} rows could not be checked (residual zero or unchanged near x)."
        return text

    def __str__(self) -> str:
        return self.summary()


def check_jacobian(
    func: Callable[..., ArrayLike],
    Dfun: Callable[..., ArrayLike],
    x0: ArrayLike,
    args: Any = (),
    col_deriv: bool = False,
) -> JacobianCheck:
    """Check an analytic Jacobian against its function with MINPACK's ``chkder``.

    Parameters
    ----------
    func : callable
        ``func(x, *args)``, returning the ``M`` residuals, as for
        :func:`pyminpack.leastsq`.
    Dfun : callable
        ``Dfun(x, *args)``, returning the Jacobian of `func`: shape
        ``(M, N)`` (derivatives across the rows), or ``(N, M)`` with
        `col_deriv`.
    x0 : array_like
        The ``N`` parameters to check the Jacobian at, flattened. chkder
        works best when no component is zero or unusually small.
    args : tuple, optional
        Extra arguments for `func` and `Dfun`; a single value is wrapped.
    col_deriv : bool, optional
        True when `Dfun` returns derivatives down the columns.

    Returns
    -------
    JacobianCheck
        ``err``, the score per residual; ``suspicious``, the residuals whose
        gradient scores below 0.5; ``ok``; and ``summary()``.

    Raises
    ------
    TypeError
        `func` or `Dfun` returns something that is not an array of real
        numbers, or of the wrong shape.
    ValueError
        `x0` is empty or not finite; `func` changes its output size.

    Notes
    -----
    chkder moves all components of `x0` at once, to ``xp = x0 +
    sqrt(epsmch) * |x0|``, and compares, for each residual ``i``, the change
    ``f_i(xp) - f_i(x0)`` with the one the Jacobian predicts. It calls `func`
    twice and `Dfun` once. The single direction has limits: errors within a
    row that cancel along it go unnoticed.

    chkder gives a residual a score of 0 when it cannot compare at all:
    when the residual is zero at `x0` or at ``xp``, or changes between them
    by less than ``100 * epsmch`` of itself (a residual that does not depend
    on the parameters, say). Such rows are not accused here: their ``err`` is
    nan and they are listed in ``unchecked``.

    chkder's scale is logarithmic in the discrepancy ``t`` it measures (an
    error of the predicted change relative to ``|f_i(x0)| + |f_i(xp)|``):
    1 for ``t <= epsmch``, 0 for ``t >= sqrt(epsmch)``, and 0.5 at
    ``epsmch**0.75``; its documentation calls a row above 0.5 probably
    correct and one below probably incorrect. Rounding (cancellation in the
    residual) can lower the score of a correct row; a residual far larger
    than its change makes the test less sensitive.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import check_jacobian
    >>> t = np.linspace(0.0, 1.0, 5)
    >>> def residuals(p):
    ...     return p[0] * np.exp(-p[1] * t) - 1.0
    >>> def jacobian(p):
    ...     e = np.exp(-p[1] * t)
    ...     return np.column_stack([e, -p[0] * t * e])
    >>> result = check_jacobian(residuals, jacobian, [2.0, 0.5])
    >>> result.ok, result.err.round(2)
    (True, array([1., 1., 1., 1., 1.]))
    >>> def wrong_sign(p):
    ...     return jacobian(p) * [1.0, -1.0]
    >>> print(check_jacobian(residuals, wrong_sign, [2.0, 0.5]))
    Jacobian is probably wrong in 4 of 5 rows (score < 0.5): rows 1, 2, 3, 4.
    """
    x = starting_point(x0)
    n = x.size
    if n == 0:
        raise ValueError("check_jacobian: x0 is empty; there is no Jacobian column to check.")
    if not isinstance(args, tuple):
        args = (args,)
    first, _ = check_func("check_jacobian", "func", func, x, args, n)
    fvec = np.asarray(residual_vector(func, first, checker="check_jacobian"), dtype=np.float64)
    m = fvec.size
    shape = (n, m) if col_deriv else (m, n)
    fjac, _ = check_func("check_jacobian", "Dfun", Dfun, x, args, n, shape)
    fjac = np.asarray(fjac, dtype=np.float64).reshape(shape)
    if col_deriv:
        fjac = fjac.T
    xp, _ = chkder(x, fvec, fjac, fvec, _CHKDER_MAKE_XP)
    fvecp = np.asarray(residual_vector(func, func(xp.copy(), *args), m, checker="check_jacobian"), dtype=np.float64)
    _, err = chkder(x, fvec, fjac, fvecp, _CHKDER_SCORE)
    # chkder's own guard: where it fails, chkder scores 0 without comparing.
    compared = (fvec != 0) & (fvecp != 0) & (np.abs(fvecp - fvec) >= _EPSF * np.abs(fvec))
    err[~compared] = np.nan
    return JacobianCheck(err=err, x=x, xp=xp)
