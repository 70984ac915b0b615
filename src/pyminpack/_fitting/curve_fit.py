"""``curve_fit``: scipy.optimize.curve_fit's interface, ``method='lm'``, over :func:`pyminpack.leastsq`.

This mirrors ``curve_fit`` in SciPy 1.17's ``scipy/optimize/_minpack_py.py``
step by step: the same argument handling, the same weighting of residuals
and Jacobian by ``sigma``, the same scaling of the covariance, and the same
messages.  Beyond SciPy, whose ``'lm'`` refuses them, it takes bounds on the
parameters (``bounds.py``) and can check an analytic Jacobian first
(``_solver/check_jacobian.py``).
"""

from __future__ import annotations

import inspect
import operator
import types
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._solver.check_jacobian import check_jacobian
from .._solver.compiled import is_compiled
from .._solver.leastsq import leastsq
from .._solver.messages import LEASTSQ_SUCCESS
from .._solver.validation import NonfiniteError, callable_name
from .._solver.warnings import OptimizeWarning
from .bounds import ParameterTransform, parse_bounds
from .compiled_model import CompiledModel
from .models import is_builtin, refuse_for_builtin, resolve
from .triangular import solve_lower

_NAN_POLICIES = ("raise", "omit")


class _FirstPointMemo:
    """Remember ``func`` at the first point it is called at (SciPy gh-13670).

    :func:`~pyminpack.leastsq` calls ``func`` at the starting point once to
    check its output, and MINPACK then calls it there again.  As SciPy's
    ``_lightweight_memoizer``, this answers repeated calls at that first point
    from memory until ``func`` is called anywhere else, then steps aside.
    """

    def __init__(self, func: Callable[[NDArray[np.float64]], Any]) -> None:
        self._func = func
        self.__name__ = callable_name(func)  # what leastsq's error messages call it
        self._params: NDArray[np.float64] | None = None
        self._value: Any = None
        self._skip_lookup = False

    def __call__(self, params: NDArray[np.float64]) -> Any:
        if self._skip_lookup:
            return self._func(params)
        if self._params is not None:
            if np.all(self._params == params):
                return self._value
            self._skip_lookup = True
        value = self._func(params)
        if self._params is None:
            self._params = np.copy(params)
            self._value = value
        return value


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def positional_parameters(f: Callable[..., Any]) -> tuple[str, ...]:
    """Return the names of ``f``'s positional parameters, ``x`` first.

    For a plain function they are read from its code object, what
    ``inspect.signature`` would find there, at a fraction of its cost (a
    small fit calls this once); anything else (a method, a
    ``functools.partial``, a wrapper with ``__wrapped__`` or an object with
    ``__signature__``) goes through ``inspect.signature``, which raises
    ``TypeError`` or ``ValueError`` where there is none.
    """
    if type(f) is types.FunctionType and not hasattr(f, "__wrapped__") and not hasattr(f, "__signature__"):
        code = f.__code__
        return code.co_varnames[: code.co_argcount]  # co_argcount counts the positional-only ones too
    parameters = inspect.signature(f).parameters.values()
    return tuple(parameter.name for parameter in parameters if parameter.kind in _POSITIONAL)


def _parameter_count(f: Callable[..., Any]) -> int:
    """Return how many parameters ``f(x, p1, p2, ...)`` takes after ``x``."""
    positional = positional_parameters(f)
    if len(positional) < 2:
        raise ValueError("Unable to determine number of fit parameters.")
    return len(positional) - 1


def _check_model_jacobian(f: Callable[..., Any], jac: Callable[..., Any], xdata: Any, p0: ArrayLike) -> None:
    """Raise ``ValueError`` if MINPACK's chkder finds ``jac`` inconsistent with ``f`` at ``p0``.

    The model itself is checked, not the weighted residuals: ``sigma`` is
    the same linear map on both sides, and the model is not zero where the
    data happen to be fitted exactly (chkder cannot judge a zero residual).
    """
    result = check_jacobian(lambda p: f(xdata, *p), lambda p: jac(xdata, *p), p0)
    if not result.ok:
        raise ValueError(
            f"check_jac: the Jacobian `jac` disagrees with the model `f` at p0 "
            f"(MINPACK chkder): {result.summary()} "
            "Rows are data points; fix `jac`, or fit without it."
        )


def _warn_at_bounds(transform: ParameterTransform, popt: NDArray[np.float64]) -> None:
    """Warn, explaining why, about fitted parameters that ended at a bound."""
    at_bound = transform.at_bound(popt)
    if at_bound.size:
        names = ", ".join(f"p[{i}] = {popt[i]:.8g}" for i in at_bound)
        warnings.warn(
            f"Parameter(s) {names} ended at a bound. The fit is constrained there, and pcov, "
            "a linear approximation that ignores the bounds (and whose transformation "
            "has zero slope at a bound), does not describe their uncertainty: their "
            "standard errors and covariances in pcov are unreliable.",
            category=OptimizeWarning,
            stacklevel=4,
        )


def _contains_nan(data: Any, nan_policy: str) -> bool:
    """Return whether ``data`` holds a nan; raise instead with ``nan_policy='raise'``."""
    contains_nan = isinstance(data, np.ndarray) and data.dtype.kind == "f" and bool(np.isnan(data).any())
    if contains_nan and nan_policy == "raise":
        raise ValueError("The input contains nan values")
    return contains_nan


def _sigma_transform(sigma: Any, m: int) -> NDArray[np.float64] | None:
    """Return what whitens residuals: ``1/sigma`` (1-D), or the Cholesky factor of a covariance (2-D)."""
    if sigma is None:
        return None
    sigma = np.asarray(sigma)
    if sigma.size == 1 or sigma.shape == (m,):
        return (1.0 / sigma).reshape(-1)
    if sigma.shape == (m, m):
        try:
            return np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError as exc:
            raise ValueError("`sigma` must be positive definite.") from exc
    raise ValueError("`sigma` has incorrect shape.")


def _whiten(transform: NDArray[np.float64] | None, values: Any) -> Any:
    """Weight residuals (1-D) or Jacobian rows (2-D) by the ``sigma`` transform."""
    if transform is None:
        return values
    values = np.asarray(values)
    if transform.ndim == 1:
        return transform[:, np.newaxis] * values if values.ndim == 2 else transform * values
    return solve_lower(transform, values)


class CurveFitSolution(NamedTuple):
    """What the curve_fit core returns: ``curve_fit``'s full output and the problem it solved.

    The first five fields are ``curve_fit(..., full_output=True)``'s; the
    last three are the start and data as the fit used them (``p0`` chosen
    when not given, ``xdata`` and ``ydata`` converted), which
    :func:`pyminpack.fit` reports.
    """

    popt: NDArray[np.float64]
    pcov: NDArray[np.float64] | None
    infodict: dict[str, Any]
    mesg: str
    ier: int
    p0: NDArray[np.float64]
    xdata: Any
    ydata: NDArray[np.float64]


def curve_fit(
    f: Callable[..., ArrayLike],
    xdata: Any,
    ydata: ArrayLike,
    p0: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    absolute_sigma: bool = False,
    check_finite: bool | None = None,
    bounds: Any = (-np.inf, np.inf),
    method: str | None = None,
    jac: Callable[..., ArrayLike] | None = None,
    *,
    full_output: bool = False,
    nan_policy: str | None = None,
    check_jac: bool = False,
    callback: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
    user_data: Any = None,
    **kwargs: Any,
) -> tuple[Any, ...]:
    """Use non-linear least squares to fit a function, f, to data.

    Assumes ``ydata = f(xdata, *params) + eps``.  A drop-in replacement for
    ``scipy.optimize.curve_fit`` with ``method='lm'``: the same signature,
    results, messages, warnings and errors, with :func:`pyminpack.leastsq`
    (the original MINPACK) as the solver.

    Parameters
    ----------
    f : callable, compiled function or str
        The model function, ``f(x, ...)``. It must take the independent
        variable as the first argument and the parameters to fit as separate
        remaining arguments. pyminpack only: or a compiled model with
        :func:`pyminpack.fit_many`'s C signature (a numba ``@cfunc``, a
        ctypes function pointer or a PyCapsule), ``int f(int m, int n, const
        double *p, const double *x, double *out, void *user_data)``; the
        whole fit then runs in C with the GIL released (see Notes). Or the
        name of a built-in model (:func:`pyminpack.builtin_models`), a
        compiled model that brings its analytic Jacobian.
    xdata : array_like or object
        The independent variable where the data is measured, usually an
        M-length sequence or a (k, M)-shaped array for k predictors. A list,
        tuple or ndarray is converted to a float array; anything else is
        passed to `f` unchanged.
    ydata : array_like
        The dependent data, a length M array, nominally ``f(xdata, ...)``.
    p0 : array_like, optional
        Initial guess for the parameters (length N). If None, all ones, with
        N read from the signature of `f` (``ValueError`` if it cannot be).
    sigma : None or scalar or M-length sequence or MxM array, optional
        The uncertainty in `ydata`. A scalar or 1-D `sigma` holds standard
        deviations, and ``sum((r / sigma) ** 2)`` is minimized, where
        ``r = ydata - f(xdata, *popt)``. A 2-D `sigma` is the covariance
        matrix of the errors, and ``r.T @ inv(sigma) @ r`` is minimized.
        None is the same as a 1-D `sigma` of ones.
    absolute_sigma : bool, optional
        If True, `sigma` is used in an absolute sense and `pcov` reflects
        these absolute values. If False (default), only the relative
        magnitudes of `sigma` matter: ``pcov(absolute_sigma=False) =
        pcov(absolute_sigma=True) * chisq(popt) / (M - N)``.
    check_finite : bool, optional
        If True, raise ``ValueError`` when `ydata`, or an array-like `xdata`,
        holds nan or inf. Default: True unless `nan_policy` is given.
    bounds : 2-tuple of array_like, or `Bounds`, optional
        Lower and upper bounds on the parameters, ``(lb, ub)``: each a
        scalar (the same bound for all parameters) or one value per
        parameter, ``-np.inf``/``np.inf`` for no bound; or any object with
        attributes ``lb`` and ``ub``, such as ``scipy.optimize.Bounds``
        (``keep_feasible`` is ignored: the fit always stays within the
        bounds). Defaults to no bounds. See Notes for the method.
    method : {None, 'lm'}, optional
        Only 'lm' (Levenberg-Marquardt, MINPACK) is available; None means
        'lm'. Unlike SciPy, 'lm' accepts `bounds`.
    jac : callable or compiled function, optional
        ``jac(x, ...)`` returning the M by N Jacobian of the model function
        with respect to the parameters; it is weighted by `sigma` and passed
        to `leastsq` as ``Dfun``. If None, the Jacobian is estimated by
        forward differences. With a compiled `f`, a compiled Jacobian with
        ``fit_many``'s signature (``fjac[i + j*ldfjac]``, column-major).
    full_output : bool, optional
        If True, also return `infodict`, `mesg` and `ier`.
    nan_policy : {'raise', 'omit', None}, optional
        'raise' raises ``ValueError`` if the data hold nan; 'omit' drops
        the data points (and their rows and columns of `sigma`) where
        `xdata` or `ydata` is nan; None does nothing special. Acted on only
        when `check_finite` is False, which giving it makes the default.
    check_jac : bool, optional
        If True, check `jac` against `f` at `p0` with MINPACK's ``chkder``
        (see :func:`pyminpack.check_jacobian`) before fitting, and raise
        ``ValueError`` naming the data points (rows) where they disagree.
        Needs `jac`.
    callback : callable, optional
        pyminpack only. Called as ``callback(params, residuals)`` at the
        start, after every iteration and before returning (MINPACK's own
        progress reports), with copies of the current parameters (the
        user's, also when `bounds` are given) and the weighted residuals
        ``(f(xdata, *params) - ydata) / sigma``. Its return value is
        ignored; an exception it raises stops the fit and reaches the caller.
    user_data : array_like or ctypes pointer, optional
        pyminpack only, with a compiled `f`: the ``void *user_data`` handed
        to `f` and `jac` (a numpy array is passed by its data pointer, and
        kept alive for the fit).
    **kwargs
        Keyword arguments passed to :func:`pyminpack.leastsq` (``ftol``,
        ``xtol``, ``maxfev``, ...), except ``args``. With `bounds`,
        ``max_nfev``, SciPy's name there, is taken for ``maxfev`` (see Notes).

    Returns
    -------
    popt : ndarray
        Optimal values for the parameters, minimizing the sum of squares of
        ``f(xdata, *popt) - ydata`` (weighted by `sigma`).
    pcov : ndarray, shape (N, N)
        The estimated approximate covariance of `popt`; one standard
        deviation errors are ``np.sqrt(np.diag(pcov))``. Filled with inf
        when the Jacobian at the solution does not have full rank, or when
        there are no more data points than parameters and `absolute_sigma`
        is False.
    infodict : dict
        Only with `full_output`: `leastsq`'s ``nfev``, ``njev`` (with
        `jac`), ``fvec`` (the weighted residuals at the solution), ``fjac``,
        ``ipvt`` and ``qtf`` (with `bounds`, of the internal parameters).
    mesg : str
        Only with `full_output`: `leastsq`'s message.
    ier : int
        Only with `full_output`: `leastsq`'s flag, 1 to 4.

    Raises
    ------
    ValueError
        `ydata` or `xdata` hold nan or inf (with `check_finite`) or nan
        (with ``nan_policy='raise'``); `ydata` is empty; N cannot be read
        from `f`; `sigma` has the wrong shape or is not positive definite;
        `method` is not None or 'lm'; `bounds` are malformed, a lower
        bound is not below its upper bound, or `p0` is outside the bounds;
        `nan_policy` is not one of None, 'raise', 'omit'; ``args`` is among
        `kwargs`; `check_jac` finds `jac` wrong, or is given without `jac`.
    TypeError
        There are more parameters than data points (and more than one data
        point), or none (`p0` is empty).
    RuntimeError
        The least-squares minimization fails (``ier`` not 1 to 4); the
        message is ``"Optimal parameters not found: "`` and `leastsq`'s.

    Warns
    -----
    OptimizeWarning
        The covariance of the parameters cannot be estimated; or, with
        `bounds`, a parameter ended at a bound, so its standard error and
        covariances in `pcov` are unreliable.

    See Also
    --------
    scipy.optimize.curve_fit : The interface this function reproduces.
    pyminpack.leastsq : The solver.
    pyminpack.fit : The same fit, returned with statistics, a report and a plot.

    Notes
    -----
    Users should ensure that `xdata`, `ydata` and the output of `f` are
    ``float64``, or else the optimization may return incorrect results.

    A 2-D `sigma` is factored as ``L @ L.T`` by ``numpy.linalg.cholesky``,
    and the residuals and Jacobian are multiplied by ``inv(L)`` through a
    triangular solve in NumPy. Unlike SciPy (whose solve then raises on
    them), nan or inf in the model's output are passed on to MINPACK here.

    **A compiled model.** With a compiled `f` the residuals
    ``(f(xdata, p) - ydata) / sigma`` are formed in C, as
    :func:`pyminpack.fit_many` forms them, and the fit makes no Python call:
    `popt`, `pcov` and `infodict` are those of the same model written in
    Python, bit for bit when both do the same floating-point operations.
    `xdata` is then None (the model gets NULL) or M values, `sigma` None, a
    scalar or M values, and `p0` is required (a compiled function has no
    signature to count parameters from); `bounds`, a 2-D `sigma`,
    `check_jac` and `callback` need a Python model and are refused. A
    built-in model is such a compiled model, with its Jacobian; a 2-D one
    takes `xdata` None (the data are a square image) or of shape (2, M).

    **Bounds.** MINPACK has none; as MINUIT and lmfit do, each bounded
    parameter ``p`` is fitted through an unbounded internal parameter
    ``q``: ``p = lb + (ub - lb) * (sin(q) + 1) / 2`` between two bounds,
    ``p = lb - 1 + sqrt(q**2 + 1)`` above a lower bound only, ``p = ub + 1 -
    sqrt(q**2 + 1)`` below an upper bound only. The fit starts at the ``q``
    of `p0` (which must lie within the bounds; one exactly on a bound is
    moved inside by ``1e-8`` of its scale), `jac` is multiplied by ``dp/dq``
    column by column, and `pcov` is mapped back as ``D @ pcov_q @ D`` with
    ``D = diag(dp/dq)``. With `p0` None, the default start is SciPy's: 1,
    the midpoint between two bounds, or 1 inside a single bound. SciPy's
    bounded fit is ``least_squares``, whose evaluation limit is
    ``max_nfev``; here ``max_nfev`` (None or a positive integer) and
    ``maxfev`` are both accepted with bounds, one at a time, and both are
    MINPACK's ``maxfev``, which counts every evaluation, those of the
    forward-difference Jacobian included (as ``least_squares`` counts them
    for its ``method='lm'``, not for ``'trf'``).

    Limits: the transform changes the problem MINPACK sees, so the path,
    the number of evaluations and the convergence tests (``xtol`` applies
    to ``q``) differ from an unbounded fit, and a bounded fit may stop
    elsewhere than ``scipy.optimize.curve_fit(method='trf')`` when the
    problem has several minima. `pcov` is the linearised covariance of the
    unbounded problem at `popt`: fine for a parameter well inside its
    bounds, meaningless for one at a bound, where ``dp/dq`` is zero (an
    ``OptimizeWarning`` names such parameters: within ``1e-6`` of the
    bound's scale, ``ub - lb`` or ``max(1, |bound|)``).

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import curve_fit
    >>> def line(x, a, b):
    ...     return a * x + b
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> y = np.array([1.0, 3.1, 4.9, 7.0])
    >>> popt, pcov = curve_fit(line, x, y)
    >>> popt.round(6)
    array([1.98, 1.03])
    >>> np.sqrt(np.diag(pcov)).round(6)
    array([0.042426, 0.079373])
    """
    popt, pcov, infodict, errmsg, ier, *_ = solve_curve_fit(
        f, xdata, ydata, p0, sigma, absolute_sigma, check_finite, bounds, method, jac,
        nan_policy=nan_policy, check_jac=check_jac, callback=callback, user_data=user_data, **kwargs,
    )  # fmt: skip
    if ier not in LEASTSQ_SUCCESS:
        raise RuntimeError("Optimal parameters not found: " + errmsg)
    if full_output:
        return popt, pcov, infodict, errmsg, ier
    return popt, pcov


def solve_curve_fit(
    f: Any, xdata: Any, ydata: ArrayLike, p0: ArrayLike | None = None, sigma: ArrayLike | None = None,
    absolute_sigma: bool = False, check_finite: bool | None = None, bounds: Any = (-np.inf, np.inf),
    method: str | None = None, jac: Any = None, *, nan_policy: str | None = None, check_jac: bool = False,
    callback: Any = None, user_data: Any = None, **kwargs: Any,
) -> CurveFitSolution:  # fmt: skip
    """:func:`curve_fit`, but a fit that MINPACK ends without converging is returned, not raised.

    Parameters
    ----------
    f, xdata, ydata, p0, sigma, absolute_sigma, check_finite, bounds, method, jac
        As for :func:`curve_fit`.
    nan_policy, check_jac, callback, user_data
        As for :func:`curve_fit`.
    **kwargs
        ``curve_fit``'s further keyword arguments, for :func:`leastsq`.

    Returns
    -------
    CurveFitSolution
        ``(popt, pcov, infodict, mesg, ier, p0, xdata, ydata)``; for ``ier``
        outside 1-4, ``popt`` is where MINPACK stopped and ``pcov`` is None.
    """
    builtin = None
    if is_builtin(f):
        builtin = resolve(f)
        refuse_for_builtin(builtin, jac, user_data, "jac")
        f, jac = builtin.functions
    compiled = is_compiled(f)
    if compiled:
        _refuse_for_compiled_model(p0, sigma, jac, check_jac, callback)
    elif user_data is not None:
        raise TypeError("curve_fit: user_data is handed to a compiled model only; f is a Python function.")
    if p0 is None:
        n = _parameter_count(f)
    else:
        p0 = np.atleast_1d(p0)
        n = p0.size
    if method not in (None, "lm"):
        raise ValueError(
            f"pyminpack.curve_fit supports only method='lm' (MINPACK's Levenberg-Marquardt); got method={method!r}."
        )
    parameters = ParameterTransform(*parse_bounds(bounds, n))
    if compiled and not parameters.is_identity:
        raise ValueError("curve_fit: bounds need a Python model; a compiled model is fitted without them.")
    if p0 is None:
        p0 = parameters.default_start()
    else:
        parameters.check_start(p0)

    if check_finite is None:
        check_finite = nan_policy is None
    # Optimization may produce garbage for float32 inputs: cast to float64.
    as_float = np.asarray_chkfinite if check_finite else np.asarray
    ydata = cast("NDArray[np.float64]", as_float(ydata, float))
    if isinstance(xdata, (list, tuple, np.ndarray)):
        # Anything else is passed to f as it is.
        xdata = as_float(xdata, float)
    if ydata.size == 0:
        raise ValueError("`ydata` must not be empty!")

    # With check_finite the data are already known to hold no nan.
    if not check_finite and nan_policy is not None:
        if nan_policy == "propagate":
            raise ValueError("`nan_policy='propagate'` is not supported by this function.")
        if nan_policy not in _NAN_POLICIES:
            raise ValueError("nan_policy must be one of {None, 'raise', 'omit'}")
        x_contains_nan = _contains_nan(xdata, nan_policy)
        y_contains_nan = _contains_nan(ydata, nan_policy)
        if (x_contains_nan or y_contains_nan) and nan_policy == "omit":
            # A data point is a column of an N-dimensional xdata.
            has_nan = np.isnan(xdata)
            has_nan = has_nan.any(axis=tuple(range(has_nan.ndim - 1)))
            has_nan |= np.isnan(ydata)
            xdata = xdata[..., ~has_nan]
            ydata = cast("NDArray[np.float64]", ydata[~has_nan])
            if sigma is not None:
                sigma = np.asarray(sigma)
                if sigma.ndim == 1:
                    sigma = sigma[~has_nan]
                elif sigma.ndim == 2:
                    sigma = sigma[~has_nan][:, ~has_nan]

    transform = _sigma_transform(sigma, ydata.size)
    if "args" in kwargs:
        # f takes the parameters only; see the description of f.
        raise ValueError("'args' is not a supported keyword argument.")
    if n == 0:
        # SciPy's curve_fit raises TypeError too (its memoizer answers the
        # first call at an empty p0 with None), on every path.
        raise TypeError("curve_fit: p0 is empty; there are no parameters to fit.")
    # With a single data point, f's output may be broadcast against it.
    if ydata.size != 1 and n > ydata.size:
        raise TypeError(f"The number of func parameters={n} must not exceed the number of data points={ydata.size}")
    if compiled:
        if builtin is None:
            abscissae = _compiled_model_abscissae(xdata, ydata.size)
        else:
            builtin.parameter_names(n)
            abscissae = builtin.abscissae(xdata, ydata.size)
        model = CompiledModel(f, ydata, abscissae, transform, jac, user_data)
        popt, pcov, infodict, errmsg, ier = leastsq(model, p0, full_output=True, **kwargs)
    else:
        popt, pcov, infodict, errmsg, ier = _python_model_leastsq(
            f, jac, xdata, ydata, transform, p0, parameters, check_jac, callback, kwargs
        )
    if ier not in LEASTSQ_SUCCESS:
        return CurveFitSolution(popt, None, infodict, errmsg, ier, p0, xdata, ydata)
    if not parameters.is_identity:
        _warn_at_bounds(parameters, popt)
    ysize = len(infodict["fvec"])
    cost = np.sum(infodict["fvec"] ** 2)

    warn_cov = False
    if pcov is None or np.isnan(pcov).any():
        pcov = np.full((len(popt), len(popt)), np.inf)
        warn_cov = True
    elif not absolute_sigma:
        if ysize > p0.size:
            pcov = pcov * (cost / (ysize - p0.size))
        else:
            pcov.fill(np.inf)
            warn_cov = True
    if warn_cov:
        warnings.warn("Covariance of the parameters could not be estimated", category=OptimizeWarning, stacklevel=3)
    return CurveFitSolution(popt, pcov, infodict, errmsg, ier, p0, xdata, ydata)


def _python_model_leastsq(
    f: Callable[..., Any], jac: Any, xdata: Any, ydata: NDArray[np.float64], transform: NDArray[np.float64] | None,
    p0: NDArray[Any], parameters: ParameterTransform, check_jac: bool, callback: Any, kwargs: dict[str, Any],
) -> tuple[Any, ...]:  # fmt: skip
    """Fit a Python model: :func:`leastsq` on its weighted residuals (through the bounds' transform, if any)."""

    def residuals(params: NDArray[np.float64]) -> Any:
        model: Any = f(xdata, *params)  # any array-like; SciPy subtracts ydata from it as it is
        return _whiten(transform, model - ydata)

    residuals.__name__ = callable_name(f)  # leastsq's errors name the user's model

    dfun = jac  # as in SciPy, anything not callable is left for leastsq to refuse
    if callable(jac):
        jacobian = jac

        def weighted_jacobian(params: NDArray[np.float64]) -> Any:
            return _whiten(transform, jacobian(xdata, *params))

        weighted_jacobian.__name__ = callable_name(jac)

        dfun = weighted_jacobian

    if check_jac:
        if not callable(jac):
            raise ValueError("check_jac=True needs an analytic Jacobian `jac` to check.")
        _check_model_jacobian(f, jac, xdata, p0)
    if callback is not None:
        # leastsq reports its own variables; with bounds those are the internal ones.
        kwargs["callback"] = (
            callback if parameters.is_identity else lambda q, fvec: callback(parameters.to_external(q), fvec)
        )
    if parameters.is_identity:
        return leastsq(_FirstPointMemo(residuals), p0, Dfun=_memoized(dfun), full_output=True, **kwargs)
    return _bounded_leastsq(parameters, residuals, dfun, p0, kwargs)


def _refuse_for_compiled_model(p0: Any, sigma: Any, jac: Any, check_jac: bool, callback: Any) -> None:
    """Raise for what needs a Python model when ``f`` is compiled (bounds are refused once they are parsed)."""
    if p0 is None:
        raise ValueError(
            "curve_fit: p0 is required with a compiled model (a compiled function has no signature to count "
            "its parameters from)."
        )
    if np.ndim(sigma) == 2:
        raise ValueError(
            "curve_fit: a 2-D sigma (a covariance matrix) needs a Python model; a compiled model takes None, a "
            "scalar or one sigma per data point."
        )
    if jac is not None and not is_compiled(jac):
        raise TypeError(
            "curve_fit: with a compiled model, jac must be compiled too (fit_many's model_jacobian signature), "
            "or None for forward differences."
        )
    if check_jac:
        raise ValueError("curve_fit: check_jac calls the model from Python (chkder); not with a compiled model.")
    if callback is not None:
        raise TypeError(
            "curve_fit: callback needs a Python call at every iteration; it is not available with a compiled model."
        )


def _compiled_model_abscissae(xdata: Any, m: int) -> NDArray[np.float64] | None:
    """``xdata`` as a compiled model reads it: None (NULL), or ``m`` contiguous float64 values."""
    if xdata is None:
        return None
    values = np.ascontiguousarray(xdata, dtype=np.float64)
    if values.shape != (m,):
        raise ValueError(
            f"curve_fit: with a compiled model, xdata must be None or {m} values (one per data point); "
            f"got shape {values.shape}."
        )
    return values


def _memoized(dfun: Any) -> Any:
    """Return ``dfun`` behind a :class:`_FirstPointMemo` if it is callable, else unchanged."""
    return _FirstPointMemo(dfun) if callable(dfun) else dfun


def _max_nfev_as_maxfev(kwargs: dict[str, Any]) -> None:
    """Turn ``max_nfev``, SciPy's evaluation limit of a bounded fit, into :func:`leastsq`'s ``maxfev``, in place.

    With bounds SciPy's curve_fit runs ``least_squares``, which takes
    ``max_nfev`` (SciPy renames ``maxfev`` to it, scipy#6340); a bounded fit
    here runs MINPACK, whose limit is ``maxfev``.  SciPy's check and message
    for ``max_nfev`` are kept; None is the default limit.
    """
    if "max_nfev" not in kwargs:
        return
    max_nfev = kwargs.pop("max_nfev")
    if "maxfev" in kwargs:
        raise TypeError("curve_fit: maxfev and max_nfev are two names of one evaluation limit; give only one.")
    if max_nfev is None:
        return
    try:
        limit = operator.index(max_nfev)
    except TypeError:
        raise TypeError(f"`max_nfev` must be None or positive integer; got {max_nfev!r}.") from None
    if limit <= 0:
        raise ValueError("`max_nfev` must be None or positive integer.")
    kwargs["maxfev"] = limit


def _bounded_leastsq(
    transform: ParameterTransform,
    residuals: Callable[[NDArray[np.float64]], Any],
    jacobian: Any,
    p0: NDArray[Any],
    kwargs: dict[str, Any],
) -> tuple[Any, ...]:
    """Run :func:`leastsq` on the internal parameters of ``transform``; return its results for ``p``.

    ``residuals`` and ``jacobian`` (weighted, of the user's parameters) are
    composed with the transform; ``popt`` and ``cov_x`` are mapped back.
    """
    _max_nfev_as_maxfev(kwargs)

    def internal_residuals(q: NDArray[np.float64]) -> Any:
        return residuals(transform.to_external(q))

    internal_residuals.__name__ = callable_name(residuals)

    internal_jacobian = jacobian  # anything not callable is left for leastsq to refuse
    if callable(jacobian):

        def internal_jacobian(q: NDArray[np.float64]) -> Any:
            return np.asarray(jacobian(transform.to_external(q))) * transform.derivative(q)

        internal_jacobian.__name__ = callable_name(jacobian)

    try:
        q, cov_q, infodict, errmsg, ier = leastsq(
            _FirstPointMemo(internal_residuals),
            transform.to_internal(p0),
            Dfun=_memoized(internal_jacobian),
            full_output=True,
            **kwargs,
        )
    except NonfiniteError as exc:  # it shows where, in the user's parameters
        raise exc.at(transform.to_external(exc.x)) from None
    cov_p = None if cov_q is None else transform.covariance_to_external(cov_q, q)
    return transform.to_external(q), cov_p, infodict, errmsg, ier
