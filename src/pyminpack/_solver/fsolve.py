"""``fsolve``: scipy.optimize.fsolve's interface over netlib MINPACK's hybrd and hybrj."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .compiled import Compiled
from .hybrid import solve_hybrid
from .messages import HYBRID_FAILURE, HYBRID_SUCCESS
from .settings import FACTOR, MAXFEV, XTOL


def fsolve(
    func: Callable[..., ArrayLike] | Compiled,
    x0: ArrayLike,
    args: Any = (),
    fprime: Callable[..., ArrayLike] | None = None,
    full_output: bool = False,
    col_deriv: bool = False,
    xtol: float = XTOL,
    maxfev: int = MAXFEV,
    band: tuple[int, int] | None = None,
    epsfcn: float | None = None,
    factor: float = FACTOR,
    diag: ArrayLike | None = None,
    *,
    allow_nonfinite: bool = False,
    callback: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
) -> Any:
    """Find the roots of a function.

    Return the roots of the (non-linear) equations defined by
    ``func(x) = 0`` given a starting estimate.

    A drop-in replacement for ``scipy.optimize.fsolve``: the same signature,
    defaults, return values, messages, warnings and errors, computed by the
    original netlib MINPACK Fortran (``hybrd`` without ``fprime``, ``hybrj``
    with it).

    Parameters
    ----------
    func : callable ``f(x, *args)`` or Compiled
        A function that takes at least one (possibly vector) argument, and
        returns a value of the same length. A :class:`pyminpack.Compiled`
        with ``m`` equal to the number of unknowns runs the whole solve in C
        with the GIL released, as in :func:`pyminpack.leastsq` (its ``nfev``
        is one less: no checking call is made).
    x0 : ndarray
        The starting estimate for the roots of ``func(x) = 0``; any shape,
        flattened.
    args : tuple, optional
        Any extra arguments to `func`; a single non-tuple value is wrapped
        in one.
    fprime : callable ``f(x, *args)``, optional
        A function to compute the Jacobian of `func` with derivatives
        across the rows. By default, the Jacobian will be estimated. With
        a compiled `func`, a compiled Jacobian (column-major, as
        ``Compiled``'s ``jacobian``).
    full_output : bool, optional
        If True, return optional outputs.
    col_deriv : bool, optional
        Specify whether the Jacobian function computes derivatives down
        the columns (faster, because there is no transpose operation).
    xtol : float, optional
        The calculation will terminate if the relative error between two
        consecutive iterates is at most `xtol`.
    maxfev : int, optional
        The maximum number of calls to the function. If zero, then
        ``100*(N+1)`` is the maximum with `fprime`, ``200*(N+1)`` without
        (SciPy's docstring says ``100*(N+1)`` for both; both do this).
    band : tuple, optional
        If set to a two-sequence containing the number of sub- and
        super-diagonals within the band of the Jacobi matrix, the Jacobi
        matrix is considered banded (only for ``fprime=None``).
    epsfcn : float, optional
        A suitable step length for the forward-difference approximation of
        the Jacobian (for ``fprime=None``). If `epsfcn` is less than the
        machine precision, it is assumed that the relative errors in the
        functions are of the order of the machine precision. When None,
        the machine epsilon of the dtype of ``func``'s output.
    factor : float, optional
        A parameter determining the initial step bound
        (``factor * || diag * x||``). Should be in the interval
        ``(0.1, 100)``.
    diag : sequence, optional
        N positive entries that serve as scale factors for the variables.
    allow_nonfinite : bool, optional, keyword-only
        pyminpack only. By default a nan or inf returned by `func` or
        `fprime` stops the solve with a ``ValueError`` naming the function,
        the evaluation and ``x``: hybrd and hybrj build on every function
        value they get (a rejected trial point's too, in their Broyden
        update), and from nan or inf they return garbage, as SciPy does.
        True ends the solve there without an error: ``ier`` is -2 (a
        failure), with ``x`` where it stopped.
    callback : callable, optional, keyword-only
        pyminpack only. Called as ``callback(x, fvec)`` with copies of the
        current iterate and its function values at the start, after every
        iteration, and once more before returning (MINPACK's ``nprint``
        reports). Its return value is ignored; an exception it raises stops
        the solve and reaches the caller.

    Returns
    -------
    x : ndarray
        The solution (or the result of the last iteration for an
        unsuccessful call), always 1-D.
    infodict : dict
        Only with ``full_output``; the keys are

        ``nfev``
            number of function calls (every call of `func`, the one that
            checks its output at `x0` included)
        ``njev``
            number of Jacobian calls (only with `fprime`)
        ``fjac``
            the orthogonal matrix, q, produced by the QR factorization of
            the final approximate Jacobian matrix, stored column wise
        ``r``
            upper triangular matrix produced by QR factorization of the
            same matrix, packed by rows
        ``qtf``
            the vector ``(transpose(q) * fvec)``
        ``fvec``
            function evaluated at the output
    ier : int
        An integer flag. Set to 1 if a solution was found, otherwise refer
        to `mesg` for more information (-2: stopped at nan or inf, with
        ``allow_nonfinite``). Only with ``full_output``.
    mesg : str
        If no solution is found, `mesg` details the cause of failure. Only
        with ``full_output``.

    Raises
    ------
    TypeError
        MINPACK reports improper input (``ier`` 0: an empty `x0`, a
        negative `xtol` or `maxfev`, ``factor <= 0``, a `diag` entry
        ``<= 0``) without ``full_output``; `func` or `fprime` return the
        wrong shape, or output that is not an array of real numbers; `band`
        is not two integers.
    ValueError
        `func`/`fprime` return nan or inf (unless ``allow_nonfinite``) or
        change the size of their output during the solve; `x0` is not
        finite; `diag` has the wrong length or is not finite; `xtol`,
        `factor` or `epsfcn` is nan or inf; a `band` width is negative.
    Exception
        Whatever `func` or `fprime` raise reaches the caller unchanged.

    Warns
    -----
    RuntimeWarning
        ``ier`` is 2 to 5 or -2 and ``full_output`` is False.

    See Also
    --------
    scipy.optimize.fsolve : the interface this function reproduces.
    pyminpack.root : the same solve, with SciPy's ``root`` interface.

    Examples
    --------
    Find a solution to the system of equations:
    ``x0*cos(x1) = 4,  x1*x0 - x1 = 5``.

    >>> import numpy as np
    >>> from pyminpack import fsolve
    >>> def func(x):
    ...     return [x[0] * np.cos(x[1]) - 4,
    ...             x[1] * x[0] - x[1] - 5]
    >>> root = fsolve(func, [1, 1])
    >>> root
    array([6.50409711, 0.90841421])
    >>> np.isclose(func(root), [0.0, 0.0])  # func(root) should be almost 0.0.
    array([ True,  True])
    """
    solution = solve_hybrid(
        func, x0, args, fprime, col_deriv=col_deriv, xtol=xtol, maxfev=maxfev, band=band, epsfcn=epsfcn,
        factor=factor, diag=diag, allow_nonfinite=allow_nonfinite, progress=callback, outputs=bool(full_output),
    )  # fmt: skip
    info = solution.info
    if full_output:
        infodict = {
            **solution.counts(), "fjac": solution.fjac, "r": solution.r, "qtf": solution.qtf, "fvec": solution.fvec
        }  # fmt: skip
        return solution.x, infodict, info, solution.message()
    if info != HYBRID_SUCCESS:
        mesg = solution.message()
        if info not in HYBRID_FAILURE:  # INFO 0
            raise TypeError(mesg)
        warnings.warn(mesg, RuntimeWarning, stacklevel=2)
    return solution.x
