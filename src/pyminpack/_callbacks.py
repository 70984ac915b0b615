"""How MINPACK calls the user's Python functions, one evaluation at a time.

The evaluation itself is done in C (``_pycallback.c``, which says why): it
calls ``func`` (or ``Dfun``) on a copy of MINPACK's ``x`` and copies the
result into MINPACK's work array.  A result that is already a float64 array
of exactly the expected shape takes a fast path there; anything else comes
back here to the checkers below, which accept what SciPy accepts and word
the errors.

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
from ._validation import callable_name, real_output

__all__ = ["LMDER_FCN", "LMDIF_FCN", "jacobian_evaluator", "raise_stored_error", "residual_evaluator"]

_SIZE_CHANGED = "The array returned by a function changed size between calls"


def checked_residuals(func: Callable[..., Any], value: object, m: int) -> NDArray[Any]:
    """Return ``func``'s output as a real array of shape ``(m,)``, or raise.

    Raises
    ------
    TypeError
        The output is not an array of real numbers, or not 1-D.
    ValueError
        Its length is not ``m``, the length on the checking call
        (SciPy's message).
    """
    array = real_output("leastsq", "func", func, value)
    if array.ndim != 1:
        raise TypeError(
            f"leastsq: the 'func' argument {callable_name(func)!r} must return a "
            f"1-D array of residuals; it returned an array of shape {array.shape}."
        )
    if array.shape[0] != m:
        raise ValueError(_SIZE_CHANGED)
    return array


def checked_jacobian(dfun: Callable[..., Any], value: object, rows: int, cols: int) -> NDArray[Any]:
    """Return ``Dfun``'s output as a ``rows`` by ``cols`` real array, or raise.

    As in SciPy, any array of at most two dimensions with ``rows * cols``
    elements is read in row-major order; the first call's shape was checked
    more strictly before the solve.

    Raises
    ------
    TypeError
        The output is not an array of real numbers.
    ValueError
        It does not hold ``rows * cols`` numbers (SciPy's message).
    """
    array = real_output("leastsq", "Dfun", dfun, value)
    if array.ndim > 2 or array.size != rows * cols:
        raise ValueError(_SIZE_CHANGED)
    return array.reshape(rows, cols)


def residual_evaluator(func: Callable[..., Any], args: tuple[Any, ...], m: int) -> Evaluator:
    """Return the evaluator behind ``lmdif``'s FCN (:data:`LMDIF_FCN`).

    Parameters
    ----------
    func : callable
        The user's residual function, called as ``func(x, *args)``.
    args : tuple
        Its extra arguments.
    m : int
        The number of residuals it returned on the checking call.

    Returns
    -------
    Evaluator
        A context manager: MINPACK's FCN calls ``func`` while it is entered.
    """
    return Evaluator(func, args, m, lambda value: checked_residuals(func, value, m))


def jacobian_evaluator(
    func: Callable[..., Any], dfun: Callable[..., Any], args: tuple[Any, ...], m: int, n: int, col_deriv: bool
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

    Returns
    -------
    Evaluator
        A context manager: MINPACK's FCN calls ``func``/``dfun`` while it is
        entered.
    """
    if col_deriv:

        def check_fjac(value: object) -> NDArray[Any]:
            return checked_jacobian(dfun, value, n, m).T

    else:

        def check_fjac(value: object) -> NDArray[Any]:
            return checked_jacobian(dfun, value, m, n)

    return Evaluator(func, args, m, lambda value: checked_residuals(func, value, m), dfun, check_fjac)


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
