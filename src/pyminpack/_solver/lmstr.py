"""``leastsq_rows``: least squares with the Jacobian by blocks of rows, in O(n**2) storage (MINPACK's ``lmstr``)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._minpack import lmstr
from .._pycallback import LMSTR_FCN, RowEvaluator
from .callbacks import AT_THE_START, nonfinite_handler, raise_stored_error
from .compiled import Compiled, CompiledSolve, compiled_leastsq, is_compiled
from .leastsq import _without_parameters
from .messages import IER_NONFINITE
from .result import leastsq_result
from .settings import FACTOR, FTOL, GTOL, MAXFEV, MAXFEV_LIMIT, XTOL, SolverSettings, check_problem_size
from .signatures import JACOBIAN_ROWS, native_function
from .validation import (
    all_finite,
    callable_name,
    check_func,
    raise_nonfinite,
    real_output,
    refuse_nonfinite_convergence,
    residual_vector,
    starting_point,
)

__all__ = ["BLOCK_DOUBLES", "block_size", "check_row_count", "compiled_rows", "jacobian_block", "leastsq_rows"]

#: The name the errors of :func:`leastsq_rows` begin with.
CHECKER = "leastsq_rows"

#: The default block: as many rows as hold this many doubles (256 KiB).  A
#: Python call per block then costs well under 1% of lmstr's own work on the
#: block's rows, and the block and its temporaries add under 1 MB to the
#: solve's peak, where MINPACK's two m-vectors and func's result are the rest
#: (benchmarks/RESULTS.md measures both against larger and smaller blocks).
BLOCK_DOUBLES = 2**15


def leastsq_rows(
    func: Callable[..., ArrayLike] | Compiled,
    x0: ArrayLike,
    jac_rows: Callable[..., ArrayLike] | object,
    args: Any = (),
    full_output: bool = False,
    ftol: float = FTOL,
    xtol: float = XTOL,
    gtol: float = GTOL,
    maxfev: int = MAXFEV,
    factor: float = FACTOR,
    diag: ArrayLike | None = None,
    *,
    block_rows: int | None = None,
    allow_nonfinite: bool = False,
    callback: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
) -> tuple[Any, ...]:
    """Minimize a sum of squares with the Jacobian given by blocks of rows, in O(n**2) storage.

    ``leastsq`` with an analytic Jacobian, computed by MINPACK's ``lmstr``,
    which takes the Jacobian one row at a time and folds each row into an
    ``n`` by ``n`` triangle at once (Givens rotations): the ``m`` by ``n``
    Jacobian is never stored, so a problem with many residuals needs the
    memory of a few residual vectors only.  ``jac_rows`` is asked for a
    block of rows per call, so Python is called once per block, not once
    per row.  Settings, defaults, messages and return values are
    ``leastsq``'s with ``Dfun``.

    Parameters
    ----------
    func : callable or Compiled
        ``func(x, *args)`` returns the ``M`` residuals at the ``N``
        parameters ``x``; ``M`` must be at least ``N``.  Or a
        :class:`pyminpack.Compiled` (without ``jacobian``), with a compiled
        ``jac_rows``: the solve then makes no Python call and releases the
        GIL, as ``leastsq``'s compiled solves do.
    x0 : array_like
        The starting estimate; any shape, flattened.
    jac_rows : callable
        ``jac_rows(x, rows, *args)`` returns rows ``rows`` of the Jacobian
        at ``x``, shape ``(rows.stop - rows.start, N)``: ``d func(x)[i] /
        d x[j]`` for ``i`` in ``range(rows.start, rows.stop)``.  ``rows`` is
        a ``slice`` with step None, so ``t[rows]`` picks the block's data.
        For each Jacobian, MINPACK asks for the blocks in order,
        ``slice(0, b)``, ``slice(b, 2*b)``, ... (the last one may be
        shorter), at the ``x`` of its last ``func`` call.  With a compiled
        ``func``, a compiled function (numba ``cfunc``, ctypes function
        pointer or ``PyCapsule``, as for ``Compiled``) of the C signature
        ``int jacobian_rows(int m, int n, const double *x, int first, int
        count, double *rows, void *user_data)`` writing ``d fvec[first +
        k] / d x[j]`` into ``rows[k*n + j]`` (row-major), and returning 0
        to continue (else :class:`pyminpack.UserTermination` is raised).
    args : tuple, optional
        Extra arguments of ``func`` and ``jac_rows``; a single non-tuple
        value is wrapped in one.
    full_output : bool, optional
        Return all optional outputs (not just ``x`` and ``ier``).
    ftol : float, optional
        Relative error desired in the sum of squares.
    xtol : float, optional
        Relative error desired in the approximate solution.
    gtol : float, optional
        Orthogonality desired between the function vector and the columns
        of the Jacobian.
    maxfev : int, optional
        The maximum number of calls to ``func``; 0: ``100*(N+1)``, as for
        ``leastsq`` with ``Dfun``.
    factor : float, optional
        A parameter determining the initial step bound
        (``factor * || diag * x||``). Should be in interval ``(0.1, 100)``.
    diag : sequence, optional
        N positive entries that serve as scale factors for the variables.
    block_rows : int, optional, keyword-only
        The number of rows ``jac_rows`` is asked for per call, ``b`` above.
        None: as many as hold 2**15 floats (256 KiB), at most ``M``.  Larger
        blocks make fewer Python calls but hold more memory while MINPACK
        reads them.
    allow_nonfinite : bool, optional, keyword-only
        As for :func:`pyminpack.leastsq`: nan or inf at the starting point
        or in any block of rows stops the solve with a ``ValueError`` (or,
        with True, ``ier`` -2).
    callback : callable, optional, keyword-only
        As for :func:`pyminpack.leastsq`: ``callback(x, fvec)`` at the
        start, after every iteration and before returning.

    Returns
    -------
    x : ndarray
        The solution (or the last iterate of an unsuccessful call), 1-D.
    cov_x : ndarray or None
        ``inv(J.T @ J)`` at the solution, from the triangle ``R``; None when
        ``R`` is singular or the solve did not converge.  Only with
        ``full_output``.
    infodict : dict
        Only with ``full_output``: ``nfev`` (calls of ``func``), ``njev``
        (Jacobians: each is ``ceil(M / b)`` calls of ``jac_rows``),
        ``fvec``, ``fjac`` (``N`` by ``N``: the transpose of MINPACK's,
        ``R`` of ``P.T (J.T J) P = R.T R`` in its lower triangle as
        ``leastsq``'s), ``ipvt`` (0-based) and ``qtf``.
    mesg : str
        ``leastsq``'s message for ``ier`` (only with ``full_output``).
    ier : int
        1 to 4: converged; 5 to 8, -2: not (``leastsq``'s codes and
        messages, which are ``lmstr``'s INFO as they are ``lmder``'s).

    Raises
    ------
    TypeError
        Improper input (``ier`` 0) without ``full_output``; ``func``'s or
        ``jac_rows``' output is not an array of real numbers of the right
        shape; ``jac_rows`` is not callable; ``block_rows`` is not an integer.
    ValueError
        As for :func:`pyminpack.leastsq` (nan or inf, changed sizes, bad
        settings); ``block_rows`` is not positive.
    Exception
        Whatever ``func``, ``jac_rows`` or ``callback`` raise reaches the
        caller unchanged.
    UserTermination
        A compiled ``func`` or ``jac_rows`` returned nonzero.

    Warns
    -----
    RuntimeWarning
        ``ier`` is 5 to 8 or -2 and ``full_output`` is False.

    See Also
    --------
    pyminpack.leastsq : the same with the whole Jacobian at once (or by forward differences).

    Notes
    -----
    Memory: MINPACK's ``lmstr`` holds two ``M``-vectors (``fvec`` and the
    residuals at a trial point) and ``O(N**2)`` more; ``func``'s result
    is the rest (a block of rows is held only while MINPACK reads it).
    ``lmder`` (``leastsq`` with ``Dfun``) holds the ``M`` by ``N``
    Jacobian, usually twice (``Dfun``'s result and MINPACK's copy).  The price is time: each row costs ``lmstr``
    ``N`` Givens rotations (``benchmarks/RESULTS.md`` has measurements).

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import leastsq_rows
    >>> t = np.linspace(0.0, 1.0, 50)
    >>> y = 3.0 * np.exp(-2.0 * t)
    >>> def residuals(p):
    ...     return p[0] * np.exp(-p[1] * t) - y
    >>> def jac_rows(p, rows):
    ...     e = np.exp(-p[1] * t[rows])
    ...     return np.column_stack([e, -p[0] * t[rows] * e])
    >>> x, ier = leastsq_rows(residuals, [1.0, 1.0], jac_rows, block_rows=16)
    >>> x.round(12), ier
    (array([3., 2.]), 2)
    """
    compiled = is_compiled(func) or is_compiled(jac_rows)  # the solve makes no Python call (compiled.py)
    x0 = starting_point(x0, compiled=compiled)
    n = len(x0)
    settings = SolverSettings.check(
        n, has_jacobian=True, ftol=ftol, xtol=xtol, gtol=gtol, maxfev=maxfev, factor=factor, diag=diag,
        allow_nonfinite=allow_nonfinite, progress=callback,
    )  # fmt: skip
    if compiled:
        solve = compiled_rows(func, args, jac_rows, callback, block_rows, n)
        return compiled_leastsq(solve, x0, settings, full_output=full_output, checker=CHECKER)

    func = cast("Callable[..., ArrayLike]", func)  # not compiled: Python callables from here on
    if not callable(jac_rows):
        raise TypeError(
            f"{CHECKER}: jac_rows must be callable as jac_rows(x, rows, *args); got {type(jac_rows).__name__}."
        )
    if not isinstance(args, tuple):
        args = (args,)
    first, _ = check_func(CHECKER, "func", func, x0, args, n)
    # MINPACK's fvec work array, overwritten in place; until then func(x0).
    fvec = np.array(residual_vector(func, first, checker=CHECKER), dtype=np.float64)
    del first  # every m-vector counts: holding few is the point of lmstr
    m = fvec.shape[0]
    if not settings.allow_nonfinite and not all_finite(fvec):
        raise_nonfinite("func", func, 0, x0, AT_THE_START, checker=CHECKER)
    check_problem_size(n, m)
    check_row_count(m)
    rows = block_size(block_rows, m, n)
    block = jacobian_block(jac_rows, jac_rows(x0.copy(), slice(0, rows), *args), rows, n)
    if not settings.allow_nonfinite and not all_finite(block):
        raise_nonfinite("jac_rows", jac_rows, 0, x0, AT_THE_START, checker=CHECKER)
    del block
    if n == 0:
        return _without_parameters(fvec, settings, True, full_output=full_output)

    evaluator = RowEvaluator(
        func, args, m, functools.partial(residual_vector, checker=CHECKER), jac_rows,
        functools.partial(jacobian_block, jac_rows, n=n), rows,
        on_nonfinite=nonfinite_handler(settings.allow_nonfinite, CHECKER), progress=settings.progress,
    )  # fmt: skip
    scale = np.empty(n) if settings.diag is None else settings.diag  # MODE 1: MINPACK fills it
    with evaluator:
        x, fvec, fjac, info, nfev, njev, ipvt, qtf = lmstr(
            LMSTR_FCN, x0, fvec, settings.ftol, settings.xtol, settings.gtol, settings.maxfev,
            scale, settings.mode, settings.factor, settings.nprint,
        )  # fmt: skip
    if raise_stored_error(evaluator):  # the guard stopped the solve quietly (allow_nonfinite)
        info = IER_NONFINITE
    else:
        info = refuse_nonfinite_convergence(
            func, info, evaluator.nonfinite_since, nfev, x, allow_nonfinite=settings.allow_nonfinite, checker=CHECKER
        )
    counts = {"nfev": nfev, "njev": njev}
    return leastsq_result(
        x, fvec, fjac.T, ipvt, qtf, counts, info, settings,
        full_output=full_output, stacklevel=2, jacobian_name="jac_rows",
    )  # fmt: skip


def check_row_count(m: int) -> None:
    """Raise when lmstr cannot number ``m`` rows: it asks for row ``i`` with ``IFLAG = i + 2``, a Fortran INTEGER."""
    if m >= MAXFEV_LIMIT:
        raise ValueError(
            f"{CHECKER}: func returns {m} residuals; lmstr numbers the rows in a Fortran INTEGER, "
            f"so at most {MAXFEV_LIMIT - 1}."
        )


def compiled_rows(
    func: object, args: Any, jac_rows: object, callback: object, block_rows: object, n: int
) -> CompiledSolve:
    """Check that ``leastsq_rows``' arguments make a compiled solve; return its functions.

    Raises
    ------
    TypeError
        ``func`` is not a :class:`Compiled`, or has a (whole-columns)
        ``jacobian``; ``jac_rows`` is not a compiled function of the
        ``jacobian_rows`` signature; ``args`` or ``callback`` is given (they
        need Python calls).
    """
    if not isinstance(func, Compiled):
        if is_compiled(func):
            raise TypeError(
                f"{CHECKER}: a compiled residual function cannot report how many residuals it computes; "
                "pass pyminpack.Compiled(func, m)."
            )
        raise TypeError(f"{CHECKER}: a compiled jac_rows needs a compiled func, given as pyminpack.Compiled(func, m).")
    if func.jacobian is not None:
        raise TypeError(
            f"{CHECKER}: Compiled(jacobian=...) writes whole columns, for leastsq; leastsq_rows takes the "
            "Jacobian by rows, as jac_rows."
        )
    if args != ():
        raise TypeError(f"{CHECKER}: args cannot be passed to a compiled function; use Compiled(..., user_data=...).")
    if callback is not None:
        raise TypeError(
            f"{CHECKER}: callback needs a Python call at every iteration; it is not available with a compiled func."
        )
    check_row_count(func.m)
    rows = native_function(jac_rows, JACOBIAN_ROWS, "jac_rows")
    return CompiledSolve(func, func._addresses(rows), jac_rows, block_size(block_rows, func.m, n))


def block_size(block_rows: object, m: int, n: int) -> int:
    """Return the rows per call of ``jac_rows``: ``block_rows``, or the default, at most ``m``.

    Raises
    ------
    TypeError
        ``block_rows`` is not an integer (nor None).
    ValueError
        ``block_rows`` is not positive.
    """
    if block_rows is None:
        return min(m, max(1, BLOCK_DOUBLES // max(n, 1)))
    try:
        rows = operator.index(block_rows)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"block_rows must be an integer or None; got {type(block_rows).__name__}.") from None
    if rows < 1:
        raise ValueError(f"block_rows must be positive; got {rows}.")
    return min(rows, m)


def jacobian_block(jac_rows: Callable[..., Any], value: object, count: int, n: int) -> NDArray[np.float64]:
    """Return ``jac_rows``' output as a C-contiguous float64 ``count`` by ``n`` array, or raise.

    A 1-D array of ``count`` values is a column, accepted when ``n`` is 1.

    Raises
    ------
    TypeError
        The output is not an array of real numbers of that shape.
    """
    array = real_output(CHECKER, "jac_rows", jac_rows, value)
    if array.shape != (count, n) and not (n == 1 and array.shape == (count,)):
        raise TypeError(
            f"{CHECKER}: the 'jac_rows' argument {callable_name(jac_rows)!r} must return one row of {n} "
            f"derivatives per residual asked for, shape ({count}, {n}); it returned shape {array.shape}."
        )
    return np.ascontiguousarray(array.reshape(count, n), dtype=np.float64)
