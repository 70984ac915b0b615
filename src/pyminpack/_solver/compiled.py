"""Compiled residual functions: MINPACK without a single Python call.

A compiled function is a numba ``@cfunc`` object, a ctypes function pointer
(a ``CFUNCTYPE`` instance, or a function of a ``ctypes.CDLL`` whose
``argtypes`` and ``restype`` are set), or a ``PyCapsule`` whose name is its
C signature (the convention of ``scipy.LowLevelCallable``; SciPy is not
needed).  The signatures, with the user's data pointer last::

    int residuals(int m, int n, const double *x, double *fvec, void *user_data)
    int jacobian(int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)

``fjac`` is column-major: ``d fvec[i] / d x[j]`` goes to ``fjac[i + j*ldfjac]``.
Both return 0 to continue; any other value stops the solve (MINPACK's
user-termination request), which :func:`pyminpack.leastsq` reports by
raising :class:`UserTermination`.

A compiled function cannot say how many residuals it computes, so it is
passed to ``leastsq`` wrapped in :class:`Compiled`, which holds ``m``.  The
solve then runs in ``native/native.c`` with the GIL released throughout.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._native import STAGE_JACOBIAN, STAGE_NAMES
from .._native import leastsq as native_leastsq
from .messages import IER_NONFINITE
from .result import leastsq_result
from .settings import SolverSettings, check_problem_size
from .signatures import JACOBIAN, RESIDUALS, NativeFunction, is_compiled_function, native_function, user_data_address
from .validation import raise_nonfinite, refuse_nonfinite_convergence, refuse_nonfinite_start

__all__ = [
    "Compiled",
    "CompiledSolve",
    "UserTermination",
    "compiled_functions",
    "compiled_leastsq",
    "is_compiled",
    "raise_compiled_stop",
]


class UserTermination(RuntimeError):
    """A compiled function returned nonzero, asking MINPACK to stop.

    Attributes
    ----------
    status : int
        The value it returned.
    function : str
        ``'func'``, ``'Dfun'`` (fsolve's ``'fprime'``) or ``'jac_rows'``: which function asked.
    x : ndarray
        MINPACK's ``x`` when it returned (the last accepted iterate, or, when
        the stop came while forming a forward-difference Jacobian, that
        iterate with one coordinate displaced by the difference step).
    nfev, njev : int
        MINPACK's evaluation counts.

    Examples
    --------
    >>> import ctypes
    >>> from pyminpack import Compiled, UserTermination, leastsq
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
    ... def stop_at_once(m, n, x, fvec, user_data):
    ...     return 7
    >>> try:
    ...     leastsq(Compiled(stop_at_once, 3), [1.0])
    ... except UserTermination as stop:
    ...     print(stop.status, stop.function, stop.nfev)
    7 func 1
    """

    def __init__(
        self, status: int, function: str, x: NDArray[np.float64], nfev: int, njev: int, *, checker: str = "leastsq"
    ) -> None:
        call = f"evaluation {nfev}" if function == "func" else f"Jacobian evaluation {njev}"
        super().__init__(
            f"{checker}: the compiled '{function}' returned {status} at {call}, asking MINPACK to stop; "
            f"x = {np.array2string(x, precision=17, separator=', ', threshold=20)}."
        )
        self.status = status
        self.function = function
        self.x = x
        self.nfev = nfev
        self.njev = njev


class Compiled:
    """A compiled residual function, its number of residuals, its Jacobian.

    Pass it as ``func`` to :func:`pyminpack.leastsq`: the solve then makes
    no Python call and releases the GIL until MINPACK returns.

    Parameters
    ----------
    residuals : numba cfunc, ctypes function pointer or PyCapsule
        ``int residuals(int m, int n, const double *x, double *fvec, void *user_data)``:
        writes the ``m`` residuals at ``x`` (``n`` parameters) into ``fvec``.
    m : int
        The number of residuals.
    jacobian : compiled function, optional
        ``int jacobian(int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)``:
        writes ``d fvec[i]/d x[j]`` into ``fjac[i + j*ldfjac]`` (column-major).
        Without it MINPACK's ``lmdif`` forms forward differences; with it
        ``lmder`` runs.  It may also be given as ``leastsq``'s ``Dfun``.
    user_data : optional
        Passed to both functions as ``void *user_data``: None (NULL), a numpy
        array (its data pointer; the array is kept alive by this object), a
        ctypes pointer, ``c_void_p``, ctypes array or structure, or an int
        address.

    Raises
    ------
    TypeError
        A function is not compiled, or its signature (numba's, ctypes'
        ``argtypes``/``restype``, or a capsule's name) is not the one above.

    Notes
    -----
    Both functions return 0 to continue; any other value stops the solve and
    ``leastsq`` raises :class:`UserTermination`.  They are called from
    whichever thread runs the solve, without the GIL: they must not touch
    Python objects.  (A ctypes callback made from a Python function, as
    below, takes the GIL itself: fine for a demonstration, slow in practice;
    use numba's ``@cfunc`` or C.)

    Examples
    --------
    >>> import ctypes
    >>> from pyminpack import Compiled, leastsq
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
    >>> @RESIDUALS
    ... def residuals(m, n, x, fvec, user_data):
    ...     for i in range(m):
    ...         fvec[i] = x[0] * i + x[1] - (2.0 * i + 1.0)
    ...     return 0
    >>> leastsq(Compiled(residuals, 5), [0.0, 0.0])
    (array([2., 1.]), 2)
    """

    __slots__ = ("_jacobian", "_residuals", "_solve", "_user_data", "jacobian", "m", "residuals", "user_data")

    #: The C signatures of the two functions, and their names in error messages.
    _SIGNATURES = ((RESIDUALS, "residuals"), (JACOBIAN, "jacobian"))

    def __init__(self, residuals: object, m: int, jacobian: object = None, user_data: object = None) -> None:
        (signature, name), (jacobian_signature, jacobian_name) = self._SIGNATURES
        self._residuals = native_function(residuals, signature, name)
        self._jacobian = None if jacobian is None else native_function(jacobian, jacobian_signature, jacobian_name)
        m = int(m)
        if m < 1:
            raise ValueError(f"m (the number of residuals) must be positive; got {m}.")
        self.m = m
        self.residuals = residuals
        self.jacobian = jacobian
        self.user_data = user_data
        self._user_data = user_data_address(user_data)
        self._solve = CompiledSolve(self, self._addresses(self._jacobian), jacobian)

    def _addresses(self, jacobian: NativeFunction | None) -> tuple[int, int, int]:
        """``_native.leastsq``'s functions: the residuals', the Jacobian's (0: none) and user_data's addresses."""
        return self._residuals.address, 0 if jacobian is None else jacobian.address, self._user_data[0]

    def __repr__(self) -> str:
        jac = "" if self.jacobian is None else f", jacobian={self.jacobian!r}"
        ud = "" if self.user_data is None else f", user_data={type(self.user_data).__name__}"
        return f"Compiled({self.residuals!r}, m={self.m}{jac}{ud})"

    def _model_data(self) -> tuple[Any, ...] | None:
        """``_native.leastsq``'s ``data``: None, the residuals are the function's own."""
        return None


def is_compiled(obj: object) -> bool:
    """Return whether ``obj`` is a compiled function or a :class:`Compiled`."""
    return isinstance(obj, Compiled) or is_compiled_function(obj)


class CompiledSolve(NamedTuple):
    """What a compiled solve calls: the :class:`Compiled`, and the addresses ``_native.leastsq`` takes.

    ``functions`` is ``(residuals, jacobian, user_data)``, the Jacobian's
    address 0 without one; ``jacobian_object`` is the Jacobian as the user
    gave it, for error messages.  ``block_rows`` > 0 makes it a
    :func:`pyminpack.leastsq_rows` solve (MINPACK's ``lmstr``): the Jacobian
    is then a ``jacobian_rows`` function, asked for that many rows per call.
    """

    func: Compiled
    functions: tuple[int, int, int]
    jacobian_object: object
    block_rows: int = 0

    @property
    def has_jacobian(self) -> bool:
        """Whether MINPACK's ``lmder`` runs (a compiled Jacobian), not ``lmdif``."""
        return self.functions[1] != 0


def compiled_functions(
    func: object,
    args: Any,
    Dfun: object,
    col_deriv: bool,
    callback: object,
    *,
    checker: str = "leastsq",
    jacobian_name: str = "Dfun",
) -> CompiledSolve:
    """Check that ``leastsq``'s arguments make a compiled solve; return its functions.

    ``checker`` and ``jacobian_name`` name the public function and its
    Jacobian argument in the errors (``'fsolve'``, ``'fprime'``).

    Raises
    ------
    TypeError, ValueError
        ``func`` is not a :class:`Compiled` (a bare compiled function, or a
        compiled ``Dfun`` with a Python ``func``), or an argument needs a
        Python call (``args``, ``callback``) or does not apply (``col_deriv``,
        a Jacobian given twice).
    """
    if not isinstance(func, Compiled):
        if is_compiled(func):
            raise TypeError(
                f"{checker}: a compiled residual function cannot report how many residuals it "
                f"computes; pass pyminpack.Compiled(func, m) (with jacobian=... or {jacobian_name}=... for a "
                "compiled Jacobian)."
            )
        raise TypeError(
            f"{checker}: a compiled {jacobian_name} needs a compiled func, given as pyminpack.Compiled(func, m)."
        )
    if args != ():
        raise TypeError(f"{checker}: args cannot be passed to a compiled function; use Compiled(..., user_data=...).")
    if callback is not None:
        raise TypeError(
            f"{checker}: callback needs a Python call at every iteration; it is not available with a compiled func."
        )
    if col_deriv:
        raise ValueError(
            f"{checker}: col_deriv does not apply to a compiled Jacobian, which always writes column-major fjac."
        )
    if Dfun is None:
        return func._solve
    if func._jacobian is not None:
        raise TypeError(f"{checker}: the Jacobian is given twice (Compiled(jacobian=...) and {jacobian_name}).")
    return CompiledSolve(func, func._addresses(native_function(Dfun, JACOBIAN, jacobian_name)), Dfun)


def compiled_leastsq(
    compiled: CompiledSolve, x0: NDArray[Any], settings: SolverSettings, *, full_output: bool, checker: str = "leastsq"
) -> tuple[Any, ...]:
    """:func:`pyminpack.leastsq` (or ``leastsq_rows``) for a :class:`Compiled` ``func``: same results.

    Parameters
    ----------
    compiled : CompiledSolve
        From :func:`compiled_functions`.
    x0 : ndarray
        The starting point, 1-D and real (not copied: the C entry copies it,
        checking in the same pass that it is finite).
    settings : SolverSettings
        The solve's settings.
    full_output : bool
        As for ``leastsq``.
    checker : str, optional
        The public function called, which error messages begin with.
    """
    func, functions, _, block_rows = compiled
    jacobian_name = "jac_rows" if block_rows else "Dfun"
    check_problem_size(len(x0), func.m)
    # MINPACK's x is a float64 copy of x0, made and checked finite in C (None: it is not);
    # without full_output, MINPACK's fvec, fjac, ipvt and qtf stay in C (None here).
    result = native_leastsq(functions, x0, func.m, settings, func._model_data(), full_output, block_rows)
    if result is None:
        refuse_nonfinite_start(x0)
    x, fvec, fjac, ipvt, qtf, info, nfev, njev, nonfinite_since, stop = result
    if stop is None and nonfinite_since:
        info = refuse_nonfinite_convergence(
            func.residuals,  # type: ignore[arg-type]
            info,
            nonfinite_since,
            nfev,
            x,
            allow_nonfinite=settings.allow_nonfinite,
            checker=checker,
        )
    elif stop is not None:
        status, stopped_by = stop[:2]
        if status and block_rows and stopped_by == 2:
            njev += 1  # lmstr counts a Jacobian once all its rows are in; lmder, the call that stopped too
        raise_compiled_stop(compiled, stop, x, nfev, njev, settings, checker=checker, jacobian_name=jacobian_name)
        info = IER_NONFINITE
    counts = {"nfev": nfev, "njev": njev} if compiled.has_jacobian else {"nfev": nfev}
    return leastsq_result(
        x, fvec, fjac, ipvt, qtf, counts, info, settings,
        full_output=full_output, stacklevel=3, jacobian_name=jacobian_name,
    )  # fmt: skip


def raise_compiled_stop(
    compiled: CompiledSolve,
    stop: tuple[int, int, int, int, NDArray[np.float64]],
    x: NDArray[np.float64],
    nfev: int,
    njev: int,
    settings: SolverSettings,
    *,
    checker: str = "leastsq",
    jacobian_name: str = "Dfun",
) -> None:
    """Raise what stopped a compiled solve (``_native``'s ``stop``); return when the guard ended it quietly.

    Raises
    ------
    UserTermination
        A compiled function returned nonzero.
    ValueError
        The non-finite guard stopped the solve, without ``allow_nonfinite``
        (the C guard always scans; with it, the solve ends with ``ier`` -2).
    """
    status, stopped_by, stage, evaluation, xbad = stop
    if status:
        raise UserTermination(status, "func" if stopped_by == 1 else jacobian_name, x, nfev, njev, checker=checker)
    if not settings.allow_nonfinite:
        on_jacobian = stage == STAGE_JACOBIAN
        raise_nonfinite(
            jacobian_name if on_jacobian else "func",
            compiled.jacobian_object if on_jacobian else compiled.func.residuals,  # type: ignore[arg-type]
            evaluation,
            xbad,
            STAGE_NAMES[stage],
            checker=checker,
        )
