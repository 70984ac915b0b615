"""How MINPACK calls the user's Python functions, one evaluation at a time.

The evaluation itself is done in C (``_pycallback.c``, which says why): it
calls ``func`` (or ``Dfun``) on a copy of MINPACK's ``x`` and copies the
result into MINPACK's work array.  A result that is already a float64 array
of exactly the expected shape takes a fast path there; anything else comes
back to the checkers of ``_validation.py``, which accept what SciPy
accepts and word the errors.

No exception ever crosses the Fortran: it is stored on the
:class:`~pyminpack._pycallback.Evaluator`, MINPACK is told to stop through
its documented user-termination flag (``iflag < 0``), and
:func:`raise_stored_error` re-raises it, unchanged, once MINPACK has
returned.  That is also what stops a solve promptly on ``KeyboardInterrupt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._pycallback import LMDER_FCN, LMDIF_FCN, Evaluator
from ._validation import jacobian_matrix, raise_nonfinite, residual_vector

__all__ = ["LMDER_FCN", "LMDIF_FCN", "jacobian_evaluator", "raise_stored_error", "residual_evaluator"]


def residual_evaluator(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    m: int,
    *,
    allow_nonfinite: bool = False,
    progress: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
) -> Evaluator:
    """Return the evaluator behind ``lmdif``'s FCN (:data:`LMDIF_FCN`).

    Parameters
    ----------
    func : callable
        The user's residual function, called as ``func(x, *args)``.
    args : tuple
        Its extra arguments.
    m : int
        The number of residuals it returned on the checking call.
    allow_nonfinite : bool, optional
        Let nan/inf residuals through to MINPACK instead of raising.
    progress : callable, optional
        Called as ``progress(x, fvec)`` on MINPACK's progress reports.

    Returns
    -------
    Evaluator
        A context manager: MINPACK's FCN calls ``func`` while it is entered.
        Its ``nonfinite_since`` is the evaluation that began the trailing
        run of trial points with nan or inf residuals (0: none), for
        :func:`~pyminpack._validation.refuse_nonfinite_convergence`.
    """
    return Evaluator(
        func,
        args,
        m,
        residual_vector,
        on_nonfinite=None if allow_nonfinite else raise_nonfinite,
        progress=progress,
    )


def jacobian_evaluator(
    func: Callable[..., Any],
    dfun: Callable[..., Any],
    args: tuple[Any, ...],
    m: int,
    n: int,
    col_deriv: bool,
    *,
    allow_nonfinite: bool = False,
    progress: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
) -> Evaluator:
    """Return the evaluator behind ``lmder``'s FCN (:data:`LMDER_FCN`).

    Parameters
    ----------
    func, dfun : callable
        The user's residual function and Jacobian, called with ``(x, *args)``.
    args : tuple
        Their extra arguments.
    m, n : int
        The number of residuals and of parameters.
    col_deriv : bool
        True when ``dfun`` returns derivatives down the columns (shape
        ``(n, m)``), False for rows (shape ``(m, n)``).
    allow_nonfinite : bool, optional
        Let nan/inf residuals and derivatives through to MINPACK instead of
        raising.
    progress : callable, optional
        Called as ``progress(x, fvec)`` on MINPACK's progress reports.

    Returns
    -------
    Evaluator
        A context manager: MINPACK's FCN calls ``func``/``dfun`` while it is
        entered (``nonfinite_since`` as for :func:`residual_evaluator`).
    """
    if col_deriv:

        def check_fjac(value: object) -> NDArray[Any]:
            return jacobian_matrix(dfun, value, n, m).T

    else:

        def check_fjac(value: object) -> NDArray[Any]:
            return jacobian_matrix(dfun, value, m, n)

    return Evaluator(
        func,
        args,
        m,
        residual_vector,
        dfun,
        check_fjac,
        col_deriv=col_deriv,
        on_nonfinite=None if allow_nonfinite else raise_nonfinite,
        progress=progress,
    )


def raise_stored_error(evaluator: Evaluator) -> None:
    """Re-raise the exception that stopped the solve, if any, unchanged.

    The exception keeps its type, message and the traceback of the user's
    function; this frame is added on top as it propagates.
    """
    error = evaluator.take_error()
    if error is not None:
        try:
            raise error
        finally:
            del error
