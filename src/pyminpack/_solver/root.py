"""``root``: scipy.optimize.root's interface for its MINPACK methods, 'hybr' and 'lm'."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .compiled import is_compiled
from .hybrid import solve_hybrid
from .leastsq import leastsq
from .messages import HYBRID_SUCCESS, LEASTSQ_SUCCESS
from .optimize_result import OptimizeResult
from .settings import FACTOR, FTOL, GTOL, MAXFEV, XTOL
from .warnings import OptimizeWarning

#: Each method's options and their defaults, as SciPy's ``_root_hybr`` and ``_root_leastsq`` take them.
_OPTIONS: dict[str, dict[str, Any]] = {
    "hybr": {
        "col_deriv": 0, "xtol": XTOL, "maxfev": MAXFEV, "band": None, "eps": None, "factor": FACTOR, "diag": None
    },
    "lm": {
        "col_deriv": 0, "xtol": XTOL, "ftol": FTOL, "gtol": GTOL, "maxiter": MAXFEV, "eps": 0.0, "factor": FACTOR,
        "diag": None,
    },
}  # fmt: skip


def root(
    fun: Callable[..., Any],
    x0: ArrayLike,
    args: Any = (),
    method: str = "hybr",
    jac: bool | Callable[..., ArrayLike] | None = None,
    tol: float | None = None,
    callback: Callable[..., Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> OptimizeResult:
    """Find a root of a vector function.

    A drop-in replacement for ``scipy.optimize.root`` with its two MINPACK
    methods: ``'hybr'`` (Powell's hybrid method, MINPACK's ``hybrd`` and
    ``hybrj``, as :func:`pyminpack.fsolve`) and ``'lm'`` (Levenberg-Marquardt
    in the least-squares sense, MINPACK's ``lmdif`` and ``lmder``, as
    :func:`pyminpack.leastsq`); the same options, results and warnings.

    Parameters
    ----------
    fun : callable or Compiled
        A vector function to find a root of, ``fun(x, *args)``; or a
        :class:`pyminpack.Compiled` (as :func:`pyminpack.fsolve` and
        :func:`pyminpack.leastsq` take it).
    x0 : ndarray
        Initial guess; any shape, flattened.
    args : tuple, optional
        Extra arguments passed to the objective function and its Jacobian;
        a single non-tuple value is wrapped in one.
    method : str, optional
        ``'hybr'`` (the default) or ``'lm'``, in any case. SciPy's other
        methods are not MINPACK's and are refused.
    jac : bool or callable, optional
        If `jac` is a Boolean and is True, `fun` is assumed to return the
        value of Jacobian along with the objective function. If False, the
        Jacobian will be estimated numerically. `jac` can also be a
        callable returning the Jacobian of `fun`, one row per function.
    tol : float, optional
        Tolerance for termination: the default of the ``xtol`` option.
    callback : callable, optional
        Not used by 'hybr' and 'lm': a ``RuntimeWarning`` says so, as in SciPy.
    options : dict, optional
        Solver options. 'hybr': ``col_deriv, xtol, maxfev, band, eps,
        factor, diag`` (fsolve's arguments, ``eps`` its ``epsfcn``); 'lm':
        ``col_deriv, xtol, ftol, gtol, maxiter, eps, factor, diag``
        (leastsq's, ``maxiter`` its ``maxfev`` and ``eps`` its ``epsfcn``,
        default 0). Any other option is ignored with an ``OptimizeWarning``.

    Returns
    -------
    sol : OptimizeResult
        A dict with attribute access. Both methods: ``x``, ``success``,
        ``status`` (MINPACK's INFO), ``message``, ``fun`` (at ``x``),
        ``method``, ``nfev`` (every call of `fun`), ``njev`` (with a
        Jacobian), ``fjac``, ``qtf``; 'hybr' adds ``r`` (see
        :func:`pyminpack.fsolve`), 'lm' ``cov_x`` and ``ipvt`` (see
        :func:`pyminpack.leastsq`).

    Raises
    ------
    ValueError
        `method` is not 'hybr' or 'lm'; otherwise as :func:`pyminpack.fsolve`
        ('hybr') or :func:`pyminpack.leastsq` ('lm') raise.
    TypeError
        `method` is not a string; as the solvers raise.

    Warns
    -----
    RuntimeWarning
        A `callback` is given.
    OptimizeWarning
        An option is not one of the method's.

    See Also
    --------
    scipy.optimize.root : the interface this function reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import root
    >>> def fun(x):
    ...     return [x[0] + 0.5 * (x[0] - x[1])**3 - 1.0,
    ...             0.5 * (x[1] - x[0])**3 + x[1]]
    >>> def jac(x):
    ...     return np.array([[1 + 1.5 * (x[0] - x[1])**2, -1.5 * (x[0] - x[1])**2],
    ...                      [-1.5 * (x[1] - x[0])**2, 1 + 1.5 * (x[1] - x[0])**2]])
    >>> sol = root(fun, [0, 0], jac=jac, method='hybr')
    >>> sol.x
    array([0.8411639, 0.1588361])
    >>> sol.success, sol.method
    (True, 'hybr')
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, 'hybr' or 'lm'; got {method!r}.")
    meth = method.lower()
    if meth not in _OPTIONS:
        raise ValueError(f"Unknown solver {method}: pyminpack.root has MINPACK's methods 'hybr' and 'lm' only.")
    if not isinstance(args, tuple):
        args = (args,)
    if callback is not None:
        warnings.warn(f"Method {method} does not accept callback.", RuntimeWarning, stacklevel=2)
    if not callable(jac):
        if jac:
            fun = _MemoizeJac(fun)
            jac = fun.derivative
        else:
            jac = None
    settings = dict(_OPTIONS[meth])
    given = dict(options or {})
    if tol is not None:
        given.setdefault("xtol", tol)
    unknown = [name for name in given if name not in settings]
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(map(str, unknown))}", OptimizeWarning, stacklevel=2)
    settings.update((name, value) for name, value in given.items() if name in settings)
    return (_root_hybr if meth == "hybr" else _root_lm)(fun, x0, args, jac, settings)


def _root_hybr(
    fun: Callable[..., Any], x0: ArrayLike, args: tuple[Any, ...], jac: Callable[..., Any] | None, o: dict[str, Any]
) -> OptimizeResult:
    """SciPy's ``_root_hybr``: fsolve's solve, as an OptimizeResult in SciPy's key order."""
    solution = solve_hybrid(
        fun, x0, args, jac, col_deriv=o["col_deriv"], xtol=o["xtol"], maxfev=o["maxfev"], band=o["band"],
        epsfcn=o["eps"], factor=o["factor"], diag=o["diag"], allow_nonfinite=False, progress=None,
    )  # fmt: skip
    sol = OptimizeResult(x=solution.x, success=solution.info == HYBRID_SUCCESS, status=solution.info, method="hybr")
    sol.update(solution.counts(), fjac=solution.fjac, r=solution.r, qtf=solution.qtf, fun=solution.fvec)
    sol["message"] = solution.message()
    return sol


def _root_lm(
    fun: Callable[..., Any], x0: ArrayLike, args: tuple[Any, ...], jac: Callable[..., Any] | None, o: dict[str, Any]
) -> OptimizeResult:
    """SciPy's ``_root_leastsq``: leastsq's solve, as an OptimizeResult in SciPy's key order."""
    x, cov_x, info, msg, ier = leastsq(
        fun, x0, args=args, Dfun=jac, full_output=True, col_deriv=o["col_deriv"], xtol=o["xtol"], ftol=o["ftol"],
        gtol=o["gtol"], maxfev=o["maxiter"], epsfcn=o["eps"], factor=o["factor"], diag=o["diag"],
    )  # fmt: skip
    sol = OptimizeResult(
        x=x, message=msg, status=ier, success=ier in LEASTSQ_SUCCESS, cov_x=cov_x, fun=info.pop("fvec"), method="lm"
    )
    sol.update(info)
    # Every call of fun: leastsq's count is MINPACK's, without the checking call a Python fun gets.
    sol["nfev"] = info["nfev"] + (0 if is_compiled(fun) else 1)
    return sol


class _MemoizeJac:
    """``fun`` returning ``(f, J)`` as a value function and a Jacobian function (SciPy's ``MemoizeJac``).

    Both halves share one call of ``fun`` per point.
    """

    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun
        self.x: np.ndarray[Any, Any] | None = None
        self.value: Any = None
        self.jac: Any = None
        self.__name__ = getattr(fun, "__name__", type(fun).__name__)

    def _compute_if_needed(self, x: np.ndarray[Any, Any], *args: Any) -> None:
        if self.x is None or not np.array_equal(x, self.x):
            self.value, self.jac = self.fun(x, *args)
            self.x = np.array(x, copy=True)

    def __call__(self, x: np.ndarray[Any, Any], *args: Any) -> Any:
        self._compute_if_needed(x, *args)
        return self.value

    def derivative(self, x: np.ndarray[Any, Any], *args: Any) -> Any:
        self._compute_if_needed(x, *args)
        return self.jac
