"""How MINPACK calls the user's Python functions, one evaluation at a time.

The evaluation itself is done in C (``native/pycallback.c``, which says why): it
calls ``func`` (or ``Dfun``) on a copy of MINPACK's ``x`` and copies the
result into MINPACK's work array.  A result that is already a float64 array
of exactly the expected shape, or a list or tuple of that many Python floats
and ints (nested for a Jacobian), takes a fast path there; anything else
comes back to the checkers of ``validation.py``, which accept what SciPy
accepts and word the errors.

No exception ever crosses the Fortran: it is stored on the
:class:`~pyminpack._pycallback.Evaluator`, MINPACK is told to stop through
its documented user-termination flag (``iflag < 0``), and
:func:`raise_stored_error` re-raises it, unchanged, once MINPACK has
returned.  That is also what stops a solve promptly on ``KeyboardInterrupt``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn

from numpy.typing import NDArray

from .._pycallback import HYBRD_FCN, HYBRJ_FCN, LMDER_FCN, LMDIF_FCN, STAGE_NAMES, STAGE_START, Evaluator
from .settings import SolverSettings
from .validation import NonfiniteStop, jacobian_matrix, raise_nonfinite, residual_vector, stop_at_nonfinite

#: The guard's name for the residuals (and Jacobian) at ``x0`` (the C layer's stage name).
AT_THE_START: str = STAGE_NAMES[STAGE_START]

__all__ = [
    "AT_THE_START",
    "HYBRD_FCN",
    "HYBRJ_FCN",
    "LMDER_FCN",
    "LMDIF_FCN",
    "hybrid_evaluator",
    "jacobian_evaluator",
    "nonfinite_handler",
    "raise_stored_error",
    "residual_evaluator",
]


def nonfinite_handler(allow_nonfinite: bool, checker: str = "leastsq") -> Callable[..., Any]:
    """Return what the evaluator calls when MINPACK is about to build on nan or inf.

    ``checker`` is the public function called (``leastsq``, ``leastsq_rows``),
    which the error message begins with.

    The guard scans the residuals at the starting point and every Jacobian
    (analytic or forward differences) whatever ``allow_nonfinite`` says, and
    stops MINPACK at that evaluation: by default with the ValueError that
    reaches the caller, with ``allow_nonfinite=True`` quietly, so that the
    solve ends with ``ier`` -2 (``IER_NONFINITE``, a failure).

    Why it never lets them through: from nan or inf there, MINPACK's next
    steps meet nan in its DMAX1/DMIN1 (lmdif's and lmder's ``gnorm``,
    ``diag`` and ``delta``, lmpar's ``par``, qrfac's ``rdiag``), whose
    result the Fortran standard leaves unspecified and gfortran builds from
    whatever instruction is fastest: x86-64's ``maxsd`` returns whichever
    operand the compiler put second, arm64's ``fmaxnm`` the number.  With
    all-nan residuals, pyminpack's x86-64 build ran on to ``maxfev`` (ier 5,
    x nan) while its arm64 build read ``gnorm = 0 <= gtol`` and reported
    convergence (ier 4, x0), as Debian's -O2 libminpack and SciPy do on
    x86-64.  Stopping before MINPACK's first arithmetic on such values gives
    the same outcome on every CPU and compiler, never a success code.  A nan
    or inf at a *trial* point needs no stop: MINPACK only compares its norm
    (false on every CPU), rejects the step and shortens it.
    """
    return stop_at_nonfinite if allow_nonfinite else functools.partial(raise_nonfinite, checker=checker)


def residual_evaluator(func: Callable[..., Any], args: tuple[Any, ...], m: int, settings: SolverSettings) -> Evaluator:
    """Return the evaluator behind ``lmdif``'s FCN (:data:`LMDIF_FCN`).

    Parameters
    ----------
    func : callable
        The user's residual function, called as ``func(x, *args)``.
    args : tuple
        Its extra arguments.
    m : int
        The number of residuals it returned on the checking call.
    settings : SolverSettings
        What to call on nan/inf residuals (:func:`nonfinite_handler`) and on
        MINPACK's progress reports (``progress(x, fvec)``).

    Returns
    -------
    Evaluator
        A context manager: MINPACK's FCN calls ``func`` while it is entered.
        Its ``nonfinite_since`` is the evaluation that began the trailing
        run of trial points with nan or inf residuals (0: none), for
        :func:`~pyminpack._solver.validation.refuse_nonfinite_convergence`.
    """
    return Evaluator(
        func,
        args,
        m,
        residual_vector,
        on_nonfinite=nonfinite_handler(settings.allow_nonfinite),
        progress=settings.progress,
    )


def jacobian_evaluator(
    func: Callable[..., Any],
    dfun: Callable[..., Any],
    args: tuple[Any, ...],
    m: int,
    n: int,
    col_deriv: bool,
    settings: SolverSettings,
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
    settings : SolverSettings
        What to call on nan/inf residuals and derivatives
        (:func:`nonfinite_handler`) and on MINPACK's progress reports
        (``progress(x, fvec)``).

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
        on_nonfinite=nonfinite_handler(settings.allow_nonfinite),
        progress=settings.progress,
    )


def raise_stored_error(evaluator: Evaluator) -> bool:
    """Re-raise the exception that stopped the solve, if any, unchanged.

    The exception keeps its type, message and the traceback of the user's
    function; this frame is added on top as it propagates.

    Returns
    -------
    bool
        True when the non-finite guard stopped the solve quietly
        (``allow_nonfinite=True``), False when nothing stopped it.
    """
    error = evaluator.take_error()
    if isinstance(error, NonfiniteStop):
        return True
    if error is not None:
        try:
            raise error
        finally:
            del error
    return False


# ---- fsolve and root(method='hybr'): the FCN of hybrd and hybrj ----------


def hybrid_evaluator(
    func: Callable[..., Any],
    fprime: Callable[..., Any] | None,
    args: tuple[Any, ...],
    n: int,
    col_deriv: bool,
    settings: SolverSettings,
) -> Evaluator:
    """Return the evaluator behind the FCN of ``hybrd`` (:data:`HYBRD_FCN`) or ``hybrj`` (:data:`HYBRJ_FCN`).

    As :func:`residual_evaluator` and :func:`jacobian_evaluator` with
    ``m = n``, the errors worded for ``fsolve`` (whose Jacobian argument is
    ``fprime``).  The guard stops at nan or inf in any residuals, a trial
    point's included: hybrd and hybrj build their Broyden update on them
    (what it does there: :func:`nonfinite_handler`).
    """

    def on_nonfinite(
        argname: str, function: Callable[..., Any], evaluation: int, x: NDArray[Any], stage: str
    ) -> NoReturn:
        argname = "fprime" if argname == "Dfun" else argname
        if settings.allow_nonfinite:
            stop_at_nonfinite(argname, function, evaluation, x, stage)
        raise_nonfinite(argname, function, evaluation, x, stage, checker="fsolve")

    def check_fjac(value: object) -> NDArray[Any]:
        jacobian = jacobian_matrix(fprime, value, n, n, checker="fsolve", argname="fprime")  # type: ignore[arg-type]
        return jacobian.T if col_deriv else jacobian

    return Evaluator(
        func,
        args,
        n,
        functools.partial(residual_vector, checker="fsolve"),
        fprime,
        None if fprime is None else check_fjac,
        col_deriv=col_deriv,
        on_nonfinite=on_nonfinite,
        progress=settings.progress,
    )
