"""``leastsq``: scipy.optimize.leastsq's interface over netlib MINPACK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._minpack import lmder, lmdif
from .callbacks import (
    AT_THE_START,
    LMDER_FCN,
    LMDIF_FCN,
    jacobian_evaluator,
    raise_stored_error,
    residual_evaluator,
)
from .compiled import Compiled, compiled_functions, compiled_leastsq, is_compiled
from .messages import IER_NONFINITE
from .result import leastsq_result
from .settings import FACTOR, FTOL, GTOL, MAXFEV, XTOL, SolverSettings, check_problem_size
from .validation import (
    all_finite,
    check_func,
    raise_nonfinite,
    refuse_nonfinite_convergence,
    residual_vector,
    starting_point,
)


def leastsq(
    func: Callable[..., ArrayLike] | Compiled,
    x0: ArrayLike,
    args: Any = (),
    Dfun: Callable[..., ArrayLike] | None = None,
    full_output: bool = False,
    col_deriv: bool = False,
    ftol: float = FTOL,
    xtol: float = XTOL,
    gtol: float = GTOL,
    maxfev: int = MAXFEV,
    epsfcn: float | None = None,
    factor: float = FACTOR,
    diag: ArrayLike | None = None,
    *,
    allow_nonfinite: bool = False,
    callback: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
) -> tuple[Any, ...]:
    """Minimize the sum of squares of a set of equations.

    ::

        x = arg min(sum(func(y)**2, axis=0))
                 y

    A drop-in replacement for ``scipy.optimize.leastsq``: the same
    signature, defaults, return values, messages, warnings and errors,
    computed by the original netlib MINPACK Fortran (``lmdif`` without
    ``Dfun``, ``lmder`` with it).

    Parameters
    ----------
    func : callable
        Should take at least one (possibly length ``N`` vector) argument and
        return ``M`` floating point numbers. It must not return NaNs or
        fitting might fail. ``M`` must be greater than or equal to ``N``.
    x0 : ndarray
        The starting estimate for the minimization; any shape, flattened.
    args : tuple, optional
        Any extra arguments to func are placed in this tuple; a single
        non-tuple value is wrapped in one.
    Dfun : callable, optional
        A function or method to compute the Jacobian of func with
        derivatives across the rows. If this is None, the Jacobian will be
        estimated by forward differences.
    full_output : bool, optional
        If ``True``, return all optional outputs (not just `x` and `ier`).
    col_deriv : bool, optional
        If ``True``, specify that the Jacobian function computes derivatives
        down the columns (shape ``(N, M)``; faster, because there is no
        transpose operation).
    ftol : float, optional
        Relative error desired in the sum of squares.
    xtol : float, optional
        Relative error desired in the approximate solution.
    gtol : float, optional
        Orthogonality desired between the function vector and the columns
        of the Jacobian.
    maxfev : int, optional
        The maximum number of calls to the function. If `Dfun` is provided,
        then the default `maxfev` is ``100*(N+1)`` where ``N`` is the number
        of elements in `x0`, otherwise the default `maxfev` is
        ``200*(N+1)``.
    epsfcn : float, optional
        A variable used in determining a suitable step length for the
        forward-difference approximation of the Jacobian (for
        ``Dfun=None``). Normally the actual step length will be
        ``sqrt(epsfcn)*x``. If epsfcn is less than the machine precision,
        it is assumed that the relative errors are of the order of the
        machine precision. When None, the machine epsilon of the dtype of
        ``func``'s output.
    factor : float, optional
        A parameter determining the initial step bound
        (``factor * || diag * x||``). Should be in interval ``(0.1, 100)``.
    diag : sequence, optional
        N positive entries that serve as scale factors for the variables.
    allow_nonfinite : bool, optional, keyword-only
        pyminpack only. By default a nan or inf that MINPACK would build on
        (the residuals at the starting point, or any Jacobian entry, analytic
        or by forward differences) stops the solve with a ``ValueError``
        naming the function, the evaluation and ``x``: from such values
        MINPACK returns garbage, as SciPy does. A nan or inf residual at a
        trial point is harmless and let through: MINPACK rejects that step
        and tries a shorter one. But when MINPACK's convergence test is met
        after trial points that all gave nan or inf since the last finite
        evaluation (its step shrank on them alone, so ``x`` is no known
        minimum), the same ``ValueError``, naming those evaluations and
        ``x``, replaces the success code. True ends the solve at the same
        points without an error: ``ier`` is -2 (a failure), with ``x`` where
        it stopped. SciPy lets the values through, and what MINPACK then
        returns depends on the CPU, or is a success code for a point it
        never improved on.
    callback : callable, optional, keyword-only
        pyminpack only. Called as ``callback(x, fvec)`` with copies of the
        current iterate and its residuals at the start, after every
        iteration, and once more before returning (MINPACK's ``nprint``
        reports). Its return value is ignored; an exception it raises stops
        the solve and reaches the caller.

    Returns
    -------
    x : ndarray
        The solution (or the result of the last iteration for an
        unsuccessful call), always 1-D.
    cov_x : ndarray or None
        The inverse of the Hessian approximation ``J.T @ J`` at the
        solution, from the QR factorisation MINPACK leaves in ``fjac``.
        Multiply it by the residual variance to get the covariance of the
        estimate. None when it cannot be formed (a singular ``R``, or a
        solve that did not converge). Only with ``full_output``.
    infodict : dict
        Only with ``full_output``; the keys are

        ``nfev``
            The number of function calls.
        ``njev``
            The number of Jacobian calls (only when ``Dfun`` is given).
        ``fvec``
            The function evaluated at the output.
        ``fjac``
            A permutation of the R matrix of a QR factorization of the final
            approximate Jacobian matrix, stored column wise. Together with
            ipvt, the covariance of the estimate can be approximated.
        ``ipvt``
            An integer array of length N which defines a permutation matrix,
            p, such that fjac*p = q*r, where r is upper triangular with
            diagonal elements of nonincreasing magnitude. Column j of p is
            column ipvt(j) of the identity matrix; 0-based, as in SciPy >= 1.15.
        ``qtf``
            The vector (transpose(q) * fvec).
    mesg : str
        A string message giving information about the cause of failure (only
        with ``full_output``).
    ier : int
        An integer flag. If it is equal to 1, 2, 3 or 4, the solution was
        found. Otherwise, the solution was not found (-2: stopped at nan or
        inf, with ``allow_nonfinite``). In either case, the optional output
        variable 'mesg' gives more information.

    Raises
    ------
    TypeError
        MINPACK reports improper input (``ier`` 0: an empty ``x0``, say)
        without ``full_output``; ``func`` returns fewer values than there are parameters, or output
        that is not an array of real numbers; ``Dfun``'s output has the
        wrong shape.
    ValueError
        ``func``/``Dfun`` return nan or inf where MINPACK builds on it, or
        MINPACK converges on non-finite trial points alone (unless
        ``allow_nonfinite``);
        ``func``/``Dfun`` change the size of their output during the solve;
        ``x0`` is not finite; ``diag`` has the wrong length or is
        not finite; a tolerance, ``factor`` or ``epsfcn`` is nan or inf.
    Exception
        Whatever ``func`` or ``Dfun`` raise reaches the caller unchanged.

    Warns
    -----
    RuntimeWarning
        ``ier`` is 5 to 8 or -2 and ``full_output`` is False.

    See Also
    --------
    scipy.optimize.leastsq : the interface this function reproduces.

    Notes
    -----
    "leastsq" is a wrapper around MINPACK's lmdif and lmder algorithms.

    cov_x is a Jacobian approximation to the Hessian of the least squares
    objective function. This approximation assumes that the objective
    function is based on the difference between some observed target data
    (ydata) and a (non-linear) function of the parameters `f(xdata, params)`
    ::

           func(params) = ydata - f(xdata, params)

    so that the objective function is ::

           min   sum((ydata - f(xdata, params))**2, axis=0)
         params

    The solution, `x`, is always a 1-D array, regardless of the shape of
    `x0`, or whether `x0` is a scalar.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import leastsq
    >>> def func(x):
    ...     return 2*(x-3)**2+1
    >>> leastsq(func, 0)
    (array([2.99999999]), 1)
    """
    # pyminpack.Compiled: the solve makes no Python call (compiled.py).
    compiled = (
        compiled_functions(func, args, Dfun, col_deriv, callback) if is_compiled(func) or is_compiled(Dfun) else None
    )
    x0 = starting_point(x0, compiled=compiled is not None)
    n = len(x0)
    settings = SolverSettings.check(
        n, has_jacobian=Dfun is not None if compiled is None else compiled.has_jacobian,
        ftol=ftol, xtol=xtol, gtol=gtol, maxfev=maxfev, epsfcn=epsfcn, factor=factor, diag=diag,
        allow_nonfinite=allow_nonfinite, progress=callback,
    )  # fmt: skip
    if compiled is not None:
        return compiled_leastsq(compiled, x0, settings, full_output=full_output)

    func = cast("Callable[..., ArrayLike]", func)  # not compiled: a Python callable from here on
    if not isinstance(args, tuple):
        args = (args,)
    first, dtype = check_func("leastsq", "func", func, x0, args, n)
    # MINPACK's fvec work array, overwritten in place; until then func(x0).
    fvec = np.array(residual_vector(func, first), dtype=np.float64)
    del first  # with a large m, every m-vector counts
    m = fvec.shape[0]
    if not settings.allow_nonfinite and not all_finite(fvec):
        raise_nonfinite("func", func, 0, x0, AT_THE_START)
    check_problem_size(n, m)
    if Dfun is not None:
        expected = (n, m) if col_deriv else (m, n)
        jacobian, _ = check_func("leastsq", "Dfun", Dfun, x0, args, n, expected)
        if not settings.allow_nonfinite and not all_finite(jacobian):
            raise_nonfinite("Dfun", Dfun, 0, x0, AT_THE_START)
        del jacobian
    if n == 0:
        return _without_parameters(fvec, settings, Dfun is not None, full_output=full_output)

    # MODE 1: MINPACK fills DIAG itself before it ever reads it.
    scale = np.empty(n) if settings.diag is None else settings.diag
    if Dfun is None:
        evaluator = residual_evaluator(func, args, m, settings)
        with evaluator:
            x, fvec, info, nfev, fjac, ipvt, qtf = lmdif(
                LMDIF_FCN, x0, fvec, settings.ftol, settings.xtol, settings.gtol, settings.maxfev,
                settings.step_epsilon(dtype), scale, settings.mode, settings.factor, settings.nprint,
            )  # fmt: skip
        counts = {"nfev": nfev}
    else:
        evaluator = jacobian_evaluator(func, Dfun, args, m, n, bool(col_deriv), settings)
        with evaluator:
            x, fvec, fjac, info, nfev, njev, ipvt, qtf = lmder(
                LMDER_FCN, x0, fvec, settings.ftol, settings.xtol, settings.gtol, settings.maxfev,
                scale, settings.mode, settings.factor, settings.nprint,
            )  # fmt: skip
        counts = {"nfev": nfev, "njev": njev}
    if raise_stored_error(evaluator):  # the guard stopped the solve quietly (allow_nonfinite)
        info = IER_NONFINITE
    else:
        info = refuse_nonfinite_convergence(
            func, info, evaluator.nonfinite_since, nfev, x, allow_nonfinite=settings.allow_nonfinite
        )

    return leastsq_result(x, fvec, fjac.T, ipvt, qtf, counts, info, settings, full_output=full_output, stacklevel=2)


def _without_parameters(
    fvec: NDArray[np.float64], settings: SolverSettings, has_jacobian: bool, *, full_output: bool
) -> tuple[Any, ...]:
    """MINPACK's answer to an empty ``x0``, which f2py cannot hand it (it has no zero-length arrays).

    lmdif and lmder test ``N <= 0`` first and go straight to their exit:
    INFO = 0 ("Improper input parameters."), nothing evaluated, one progress
    report when NPRINT > 0.  ``fvec`` is ``func(x0)`` from the checking
    call, as SciPy returns it; ``fjac`` is ``(0, M)``.
    """
    x = np.empty(0)
    if settings.progress is not None:
        settings.progress(x.copy(), fvec.copy())
    counts = {"nfev": 0, "njev": 0} if has_jacobian else {"nfev": 0}
    return leastsq_result(
        x, fvec, np.empty((0, fvec.shape[0])), np.empty(0, dtype=np.intc), np.empty(0), counts, 0, settings,
        full_output=full_output, stacklevel=3,
    )  # fmt: skip
