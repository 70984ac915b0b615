"""Input checks for :func:`pyminpack.leastsq`, made once, before MINPACK runs.

Where SciPy has a check, its exception type and wording are kept.  Where
SciPy is silent or cryptic (``func`` returning None or text, a ``diag`` of
the wrong length, non-finite starting points or tolerances), the check here
names the argument and says what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from .messages import IER_NONFINITE, LEASTSQ_SUCCESS

_FLOAT64 = np.dtype(np.float64)

#: Up to this many entries, checking Python floats beats a numpy call.
_SHORT = 32

#: SciPy's message for an output whose size differs from the checking call's.
SIZE_CHANGED = "The array returned by a function changed size between calls"


def all_finite(values: NDArray[Any]) -> bool:
    """Return whether every entry of a real array is finite, cheaply.

    Short arrays (a typical fit's parameters) are checked as Python floats,
    which costs less than a numpy call.  Long ones (a large fit's residuals
    or Jacobian) are summed first: nan and inf make the sum non-finite, so a
    finite sum proves them all finite in one pass with no temporary array
    (``isfinite(values).all()`` makes an array of booleans as large as the
    input); only a non-finite sum, which finite values can also give by
    overflowing, is checked value by value.
    """
    if values.dtype.kind != "f":
        return True  # integers and booleans are always finite
    if values.size <= _SHORT:
        floats = (values if values.ndim == 1 else values.reshape(-1)).tolist()
        # The sum's test first, as for long arrays: one call instead of one per value.
        return math.isfinite(sum(floats)) or all(map(math.isfinite, floats))
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(values.sum()):
            return True
    return bool(np.isfinite(values).all())


def callable_name(func: Callable[..., Any]) -> str:
    """Return ``func``'s ``__name__``, or its ``repr`` when it has none."""
    return getattr(func, "__name__", None) or repr(func)


def real_output(checker: str, argname: str, func: Callable[..., Any], value: object) -> NDArray[Any]:
    """Return what ``func`` returned as a real numeric array, or raise.

    Parameters
    ----------
    checker, argname : str
        Who checks (``'leastsq'``) and which argument ``func`` was given as.
    func : callable
        The user's function, named in the error.
    value : object
        What it returned.

    Returns
    -------
    ndarray
        ``numpy.atleast_1d(value)``, of a dtype that casts safely to float64.

    Raises
    ------
    TypeError
        If ``value`` is None, text, complex, or anything that is not an
        array of real numbers.
    """
    if type(value) is np.ndarray and value.dtype is _FLOAT64 and value.ndim:
        return value  # the common case, already what is needed
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(
            f"{checker}: the '{argname}' argument {callable_name(func)!r} returned "
            f"{type(value).__name__}; it must return an array of floats."
        )
    try:
        array = np.atleast_1d(np.asarray(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{checker}: the '{argname}' argument {callable_name(func)!r} returned a value "
            f"that is not an array of floats ({exc})."
        ) from None
    if array.dtype is not _FLOAT64 and not np.can_cast(array.dtype, np.float64, casting="safe"):
        raise TypeError(
            f"{checker}: the '{argname}' argument {callable_name(func)!r} returned an array "
            f"of dtype {array.dtype}; it must return real floating-point numbers."
        )
    return array


def residual_vector(
    func: Callable[..., Any], value: object, m: int | None = None, *, checker: str = "leastsq"
) -> NDArray[Any]:
    """Return ``func``'s output as a real 1-D array (of length ``m``), or raise.

    Parameters
    ----------
    func : callable
        The user's residual function, named in the errors.
    value : object
        What it returned.
    m : int, optional
        The length it must have: the length it had on the checking call.
    checker : str, optional
        The public function whose check this is, for the message.

    Raises
    ------
    TypeError
        The output is not an array of real numbers, or not 1-D.
    ValueError
        Its length is not ``m`` (SciPy's message).
    """
    array = (
        value if type(value) is np.ndarray and value.dtype is _FLOAT64 else real_output(checker, "func", func, value)
    )
    if array.ndim != 1:
        raise TypeError(
            f"{checker}: the 'func' argument {callable_name(func)!r} must return a "
            f"1-D array of residuals; it returned an array of shape {array.shape}."
        )
    if m is not None and array.shape[0] != m:
        raise ValueError(SIZE_CHANGED)
    return array


def jacobian_matrix(
    dfun: Callable[..., Any], value: object, rows: int, cols: int, *, checker: str = "leastsq", argname: str = "Dfun"
) -> NDArray[Any]:
    """Return ``Dfun``'s output as a ``rows`` by ``cols`` real array, or raise.

    As in SciPy, any array of at most two dimensions with ``rows * cols``
    elements is read in row-major order; the first call's shape is checked
    more strictly, by :func:`check_func`.  ``checker`` and ``argname`` name
    the public function and its argument in the message (fsolve's ``fprime``).

    Raises
    ------
    TypeError
        The output is not a 1-D or 2-D array of real numbers.
    ValueError
        It does not hold ``rows * cols`` numbers (SciPy's message).
    """
    array = real_output(checker, argname, dfun, value)
    if array.ndim > 2:
        raise TypeError(
            f"{checker}: the '{argname}' argument {callable_name(dfun)!r} must return a 2-D "
            f"array; it returned an array of shape {array.shape}."
        )
    if array.size != rows * cols:
        raise ValueError(SIZE_CHANGED)
    return array.reshape(rows, cols)


def raise_nonfinite(
    argname: str,
    function: Callable[..., Any],
    evaluation: int,
    x: NDArray[Any],
    stage: str,
    *,
    checker: str = "leastsq",
) -> NoReturn:
    """Raise the error for nan or inf returned by ``func`` or ``Dfun``.

    Parameters
    ----------
    argname : str
        ``'func'`` or ``'Dfun'``.
    function : callable
        The user's function, named in the message.
    evaluation : int
        Which call of it returned the values: 0 for the checking call at
        ``x0``, else MINPACK's count (``nfev`` for ``func``, ``njev`` for
        ``Dfun``).
    x : ndarray
        Where it was evaluated.
    stage : str
        What MINPACK was doing, e.g. ``'forming the Jacobian'``.
    checker : str, optional
        The public function that was called, which the message begins with.

    Raises
    ------
    ValueError
        Always.
    """
    call = "the checking call" if evaluation == 0 else f"evaluation {evaluation}"
    raise NonfiniteError(
        f"{checker}: the '{argname}' argument {callable_name(function)!r} returned nan or inf "
        f"at {call} ({stage}), x = ",
        x,
        f". {_NONFINITE_ADVICE}",
    )


def refuse_nonfinite_convergence(
    function: Callable[..., Any],
    info: int,
    nonfinite_since: int,
    nfev: int,
    x: NDArray[Any],
    *,
    allow_nonfinite: bool,
    checker: str = "leastsq",
) -> int:
    """Refuse MINPACK's success when it rests on non-finite trial points alone.

    MINPACK rejects a trial point whose residuals are nan or inf and shortens
    its step, to a tenth at least: enough such trials in a row meet its
    convergence test on the step length (INFO 2; 1 and 3 too when ``ftol``
    is 1 or more) at a point it could not improve on only because ``func``
    is not finite around it.  A convergence after a *finite* rejected trial
    stands: a step was tried and found no better, as at any minimum.  (INFO
    4 is tested after a new Jacobian, which follows an accepted, finite
    trial, so the run is empty then.)  Failures are reported as they are.

    Parameters
    ----------
    function : callable
        ``func``, named in the message.
    info : int
        MINPACK's INFO.
    nonfinite_since : int
        The evaluation that began the trailing run of trial points whose
        residuals were nan or inf (0: the last trial was finite).
    nfev : int
        MINPACK's evaluation count: the last of that run.
    x : ndarray
        Where MINPACK stopped, the point every trial of the run started from.
    allow_nonfinite : bool
        Return :data:`~pyminpack._solver.messages.IER_NONFINITE` instead of raising.
    checker : str, optional
        The public function that was called, which the message begins with.

    Returns
    -------
    int
        ``info``, or ``IER_NONFINITE`` for a refused success with ``allow_nonfinite``.

    Raises
    ------
    ValueError
        ``info`` reports success, the run is not empty and ``allow_nonfinite`` is False.
    """
    if nonfinite_since == 0 or info not in LEASTSQ_SUCCESS:
        return info
    if allow_nonfinite:
        return IER_NONFINITE
    evaluations = f"evaluation {nfev}" if nonfinite_since == nfev else f"evaluations {nonfinite_since} to {nfev}"
    raise NonfiniteError(
        f"{checker}: the 'func' argument {callable_name(function)!r} returned nan or inf at {evaluations}, "
        f"every trial point MINPACK tried after its last finite one, all from x = ",
        x,
        f". MINPACK rejected those steps and shortened them until its convergence test (ier {info}) was met, "
        f"which shows that func is not finite near x, not that x is a minimum. {_NONFINITE_ADVICE}",
    )


#: What the guard's errors advise.
_NONFINITE_ADVICE = (
    "MINPACK cannot make progress from non-finite values; keep the model finite where "
    "it is evaluated (rescale it, or bound the parameters with curve_fit), or pass "
    "allow_nonfinite=True to have the solve end there with ier -2 instead of this error."
)


def _point(x: NDArray[Any]) -> str:
    """``x`` for an error message: every digit, elided beyond 20 entries."""
    return np.array2string(x, precision=17, separator=", ", threshold=20)


class NonfiniteError(ValueError):
    """``func`` or ``Dfun`` returned nan or inf where MINPACK would build on it.

    A ``ValueError``, raised by :func:`pyminpack.leastsq`,
    :func:`pyminpack.leastsq_rows`, :func:`pyminpack.curve_fit` and
    :func:`pyminpack.fit` unless
    ``allow_nonfinite=True``; its message names the function, the evaluation
    and where it was evaluated.

    Attributes
    ----------
    x : ndarray
        Where: the parameters of that evaluation (for a bounded
        ``curve_fit``, the model's own parameters, not the internal ones
        MINPACK solves for).

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import NonfiniteError, leastsq
    >>> try:
    ...     leastsq(lambda p: np.log(p - 1.0), [0.5, 2.0])
    ... except NonfiniteError as error:
    ...     print(error.x)
    [0.5 2. ]
    """

    # Kept apart from the words around it, so that a caller that solves in
    # other variables (curve_fit's bounds) can show the user's own: `at`.

    def __init__(self, before: str, x: NDArray[Any], after: str) -> None:
        super().__init__(f"{before}{_point(x)}{after}")
        self.x = x
        self._words = (before, after)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self._words[0], self.x, self._words[1])

    def at(self, x: NDArray[Any]) -> NonfiniteError:
        """Return the same error, showing ``x`` instead.

        Parameters
        ----------
        x : ndarray
            The point to show, e.g. the model's parameters where the solve
            ran in internal ones.

        Returns
        -------
        NonfiniteError
            A new error with the same words around ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> error = NonfiniteError("f is nan at x = ", np.array([0.0]), ".")
        >>> str(error.at(np.array([1.5])))
        'f is nan at x = [1.5].'
        """
        return NonfiniteError(self._words[0], x, self._words[1])


NonfiniteError.__module__ = "pyminpack"  # where users catch it, and what tracebacks show


class NonfiniteStop(Exception):
    """Stops MINPACK where it would build on nan or inf, with ``allow_nonfinite=True``.

    Stored like a callback's exception, but never raised to the caller: the
    solve ends with ``ier`` :data:`~pyminpack._solver.messages.IER_NONFINITE`.
    """


def stop_at_nonfinite(
    argname: str, function: Callable[..., Any], evaluation: int, x: NDArray[Any], stage: str
) -> NoReturn:
    """Stop the solve at this evaluation, as :func:`raise_nonfinite` does, but without an error.

    Parameters as for :func:`raise_nonfinite`.

    Raises
    ------
    NonfiniteStop
        Always.
    """
    raise NonfiniteStop(argname, evaluation, stage)


def check_func(
    checker: str,
    argname: str,
    thefunc: Callable[..., Any],
    x0: NDArray[Any],
    args: tuple[Any, ...],
    numinputs: int,
    output_shape: tuple[int, ...] | None = None,
) -> tuple[NDArray[Any], np.dtype[Any]]:
    """Call ``thefunc`` once at ``x0`` and check its output, as SciPy does.

    This is ``scipy.optimize._minpack_py._check_func``: the same call, the
    same tolerance of a mismatched shape when the expected shape has a
    dimension of length 1, the same ``TypeError`` wording.  It adds a clear
    error for outputs that are not real arrays at all, and it passes a copy
    of ``x0``, so that a function that modifies its argument cannot move the
    starting point.

    Parameters
    ----------
    checker, argname : str
        Who checks and which argument is checked, for the message.
    thefunc : callable
        ``func`` or ``Dfun``.
    x0 : ndarray
        The flattened starting point.
    args : tuple
        Extra arguments for ``thefunc``.
    numinputs : int
        Length of ``x0`` passed on.
    output_shape : tuple of int, optional
        The shape the output must have.

    Returns
    -------
    output : ndarray
        The output, at least 1-D.
    dtype : numpy.dtype
        Its dtype when inexact, else float64 (this picks ``epsfcn``).

    Raises
    ------
    TypeError
        If the output has the wrong shape or is not an array of reals.
    """
    res = real_output(checker, argname, thefunc, thefunc(*((x0[:numinputs].copy(), *args))))
    if (output_shape is not None) and (np.shape(res) != output_shape):  # noqa: SIM102 (SciPy's _check_func, kept as written)
        if output_shape[0] != 1:
            if len(output_shape) > 1 and output_shape[1] == 1:
                return res, res.dtype
            msg = f"{checker}: there is a mismatch between the input and output shape of the '{argname}' argument"
            func_name = getattr(thefunc, "__name__", None)
            msg += f" '{func_name}'." if func_name else "."
            msg += f"Shape should be {output_shape} but it is {np.shape(res)}."
            raise TypeError(msg)
    # real_output admits no complex dtype, so inexact means floating here.
    return res, (res.dtype if res.dtype.kind == "f" else _FLOAT64)


def starting_point(x0: object, *, compiled: bool = False) -> NDArray[Any]:
    """Return ``x0`` flattened to 1-D, checked to hold finite real numbers.

    An empty ``x0`` is returned as it is: ``leastsq`` hands it to MINPACK,
    which answers "Improper input parameters." as it does in SciPy.

    For a compiled solve (``compiled``), a 1-D floating-point ``x0`` is
    returned as it is, not copied or checked: ``_native.leastsq`` and
    ``_native.hybrid`` copy it into MINPACK's ``x`` and check that it is
    finite in the same pass (the numpy calls here cost a fifth of a small
    compiled solve).

    Raises
    ------
    ValueError
        If ``x0`` holds nan or inf.
    TypeError
        If ``x0`` is not numeric.
    """
    if compiled and type(x0) is np.ndarray and x0.ndim == 1 and x0.dtype.kind == "f":
        return x0
    try:
        x0 = np.array(x0)  # a fresh array: MINPACK overwrites its x
    except ValueError as exc:  # a ragged nested sequence
        raise ValueError(f"x0 must be an array of numbers; {exc}") from None
    if x0.ndim != 1:
        x0 = x0.reshape(-1)
    if x0.dtype.kind not in "biuf":
        raise TypeError(f"x0 must hold real numbers; it has dtype {x0.dtype}.")
    if not all_finite(x0):
        refuse_nonfinite_start(x0)
    return x0


def refuse_nonfinite_start(x0: NDArray[Any]) -> NoReturn:
    """Raise the error for an ``x0`` holding nan or inf, naming where.

    Where means in MINPACK's float64 ``x``: a wider float (``longdouble``)
    beyond float64's range is inf there, and the compiled paths, which
    check the float64 copy, refuse it for that.

    Raises
    ------
    ValueError
        Always.
    """
    with np.errstate(over="ignore"):  # the conversion's overflow is the error reported
        nonfinite = ~np.isfinite(np.asarray(x0, dtype=np.float64))
    raise ValueError(f"x0 must be finite; it holds nan or inf at indices {np.flatnonzero(nonfinite).tolist()}.")
