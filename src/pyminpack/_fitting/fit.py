"""``fit``: :func:`pyminpack.curve_fit` returning a result object with statistics, report and plot.

The result reads like lmfit's ``ModelResult``: best values by name with
standard errors, covariance and correlation, chi-square, reduced
chi-square, R-squared and the information criteria, with the solver's
verdict.  A fit that does not converge returns a result with
``success=False`` and the solver's message, as lmfit does, instead of
raising ``curve_fit``'s ``RuntimeError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._solver.compiled import is_compiled
from .._solver.messages import LEASTSQ_SUCCESS
from .compiled_model import CallableModel
from .curve_fit import positional_parameters, solve_curve_fit
from .models import callable_model, is_builtin, resolve
from .report import format_report, model_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of :func:`fit`: parameters, uncertainties, statistics and the data.

    The arrays are read-only.  Statistics follow lmfit's definitions, with
    ``n`` data points, ``nvarys`` parameters and ``chisqr`` the weighted sum
    of squares that the fit minimizes.

    Attributes
    ----------
    model : callable
        The model function, ``model(x, *values)``.
    xdata : object
        The independent variable as passed to the model.
    ydata : ndarray
        The data.
    sigma : ndarray or None
        The uncertainty of `ydata` as given to :func:`fit` (None if not).
    names : tuple of str
        The parameter names: those of the model's signature after ``x``, or
        ``p0, p1, ...`` when the signature does not name them.
    init_values : ndarray
        Where the fit started.
    values : ndarray
        The best-fit parameters; for a failed fit, MINPACK's ``x`` where it
        stopped.
    covariance : ndarray, shape (nvarys, nvarys)
        ``curve_fit``'s ``pcov``: inf where it cannot be estimated, nan for
        a failed fit.
    chisqr : float
        Chi-square: ``sum(((ydata - best_fit) / sigma) ** 2)``, or
        ``r.T @ inv(sigma) @ r`` for a 2-D `sigma`.
    nfev : int
        Evaluations of the residuals (``leastsq``'s ``nfev``).
    success : bool
        Whether MINPACK converged (``ier`` in 1 to 4).
    message : str
        The solver's message.
    ier : int
        MINPACK's flag as ``leastsq`` reports it.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import fit
    >>> def line(x, slope, intercept):
    ...     return slope * x + intercept
    >>> result = fit(line, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
    >>> result.names
    ('slope', 'intercept')
    >>> round(result.params["slope"], 6), round(float(result.stderr[0]), 6)
    (1.98, 0.042426)
    >>> round(result.r_squared, 6)
    0.999083
    """

    model: Callable[..., Any]
    xdata: Any
    ydata: NDArray[np.float64]
    sigma: NDArray[np.float64] | None
    names: tuple[str, ...]
    init_values: NDArray[np.float64]
    values: NDArray[np.float64]
    covariance: NDArray[np.float64]
    chisqr: float
    nfev: int
    success: bool
    message: str
    ier: int

    def __post_init__(self) -> None:
        for name in ("ydata", "sigma", "init_values", "values", "covariance", "xdata"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.flags.writeable = False
                object.__setattr__(self, name, value)

    @property
    def params(self) -> Mapping[str, float]:
        """The best-fit values by name (read-only)."""
        return MappingProxyType(dict(zip(self.names, map(float, self.values), strict=True)))

    @property
    def stderr(self) -> NDArray[np.float64]:
        """One-standard-deviation errors, ``sqrt(diag(covariance))``."""
        return np.sqrt(np.diagonal(self.covariance))

    @property
    def correlation(self) -> NDArray[np.float64]:
        """``covariance[i, j] / (stderr[i] * stderr[j])``; nan where a standard error is not finite and positive."""
        stderr = self.stderr
        known = np.isfinite(stderr) & (stderr > 0)
        correlation = np.full(self.covariance.shape, np.nan)
        both = np.outer(known, known)
        correlation[both] = (self.covariance / np.outer(np.where(known, stderr, 1.0), np.where(known, stderr, 1.0)))[
            both
        ]
        return correlation

    @cached_property
    def best_fit(self) -> NDArray[np.float64]:
        """The model at the data: ``model(xdata, *values)`` (evaluated once, read-only)."""
        return np.broadcast_to(
            np.asarray(self.model(self.xdata, *self.values), dtype=float),
            self.ydata.shape,
        )

    @property
    def residuals(self) -> NDArray[np.float64]:
        """``ydata - best_fit``, unweighted."""
        return self.ydata - self.best_fit

    @property
    def ndata(self) -> int:
        """The number of data points."""
        return int(self.ydata.size)

    @property
    def nvarys(self) -> int:
        """The number of fitted parameters."""
        return int(self.values.size)

    @property
    def nfree(self) -> int:
        """Degrees of freedom, ``ndata - nvarys``."""
        return self.ndata - self.nvarys

    @property
    def redchi(self) -> float:
        """Reduced chi-square, ``chisqr / nfree``; nan without degrees of freedom."""
        return self.chisqr / self.nfree if self.nfree > 0 else math.nan

    @property
    def r_squared(self) -> float:
        """``1 - sum(residuals**2) / sum((ydata - mean(ydata))**2)``, unweighted (lmfit's ``rsquared``)."""
        total = float(np.sum((self.ydata - self.ydata.mean()) ** 2))
        return 1.0 - float(np.sum(self.residuals**2)) / max(total, np.finfo(float).tiny)

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``n*log(chisqr/n) + 2*nvarys``."""
        return self._neg2_log_likelihood + 2 * self.nvarys

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``n*log(chisqr/n) + log(n)*nvarys``."""
        return self._neg2_log_likelihood + math.log(self.ndata) * self.nvarys

    @property
    def _neg2_log_likelihood(self) -> float:
        """``n*log(chisqr/n)``, with chisqr kept above zero as lmfit does."""
        n = self.ndata
        return n * math.log(max(self.chisqr, np.finfo(float).tiny * n) / n)

    def report(self, min_correl: float = 0.1) -> str:
        """Return a plain-text report in the layout of lmfit's ``fit_report``.

        Parameters
        ----------
        min_correl : float, optional
            Correlations of at most this size in absolute value are left out.

        Returns
        -------
        str
            Sections [[Model]], [[Fit Statistics]], [[Variables]] and
            [[Correlations]].

        Examples
        --------
        >>> from pyminpack import fit
        >>> def line(x, slope, intercept):
        ...     return slope * x + intercept
        >>> result = fit(line, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
        >>> print(result.report())  # doctest: +ELLIPSIS
        [[Model]]
            line
        [[Fit Statistics]]
        ...
        [[Variables]]
            slope:      1.98000000 +/- 0.04242641 (2.14%) (init = 1)
            intercept:  1.03000000 +/- 0.07937254 (7.71%) (init = 1)
        [[Correlations]] (unreported correlations are < 0.100)
            C(slope, intercept) = -0.8018
        """
        return format_report(self, min_correl)

    def plot(self, path: str | Path | None = None, *, xlabel: str = "x", ylabel: str = "y") -> Figure:
        """Plot the data, the model and the residuals with matplotlib.

        Parameters
        ----------
        path : str or Path, optional
            Also write the figure there, as PNG or SVG by the suffix.
        xlabel, ylabel : str, optional
            Axis labels.

        Returns
        -------
        matplotlib.figure.Figure
            Two axes: data and model above, residuals below.

        Raises
        ------
        ImportError
            matplotlib is not installed.

        Examples
        --------
        >>> from pyminpack import fit
        >>> result = fit(lambda x, a, b: a * x + b, [0.0, 1.0, 2.0], [1.0, 3.1, 4.9])
        >>> figure = result.plot()
        >>> [axes.get_ylabel() for axes in figure.axes]
        ['y', 'residual']
        """
        from .plot import plot_fit

        return plot_fit(self, path, xlabel=xlabel, ylabel=ylabel)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain Python values (for JSON).

        Non-finite numbers are kept as ``float('inf')``/``float('nan')``.

        Returns
        -------
        dict
            ``model``, ``params``, ``stderr``, ``init_values`` (by name),
            ``covariance`` (nested lists), ``statistics``, ``success``,
            ``message`` and ``ier``.

        Examples
        --------
        >>> from pyminpack import fit
        >>> result = fit(lambda x, a, b: a * x + b, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
        >>> sorted(result.to_dict()["statistics"])
        ['aic', 'bic', 'chisqr', 'ndata', 'nfev', 'nvarys', 'r_squared', 'redchi']
        """
        return {
            "model": model_name(self.model),
            "params": dict(self.params),
            "stderr": dict(zip(self.names, map(float, self.stderr), strict=True)),
            "init_values": dict(zip(self.names, map(float, self.init_values), strict=True)),
            "covariance": self.covariance.tolist(),
            "statistics": {
                "nfev": self.nfev,
                "ndata": self.ndata,
                "nvarys": self.nvarys,
                "chisqr": self.chisqr,
                "redchi": self.redchi,
                "aic": self.aic,
                "bic": self.bic,
                "r_squared": self.r_squared,
            },
            "success": self.success,
            "message": self.message,
            "ier": self.ier,
        }


def fit(
    model: Callable[..., ArrayLike],
    xdata: Any,
    ydata: ArrayLike,
    p0: ArrayLike | None = None,
    *,
    sigma: ArrayLike | None = None,
    absolute_sigma: bool = False,
    bounds: Any = (-np.inf, np.inf),
    jac: Callable[..., ArrayLike] | None = None,
    **kwargs: Any,
) -> FitResult:
    """Fit ``model(x, *params)`` to data and return a :class:`FitResult`.

    :func:`pyminpack.curve_fit` does the fitting, with the same arguments;
    the result adds names, statistics, a report and a plot.

    Parameters
    ----------
    model : callable, compiled function or str
        ``model(x, p1, p2, ...)``. The names of ``p1, p2, ...`` in its
        signature name the parameters; ``p0, p1, ...`` when the signature
        does not have one positional name per parameter. Or a compiled model
        with :func:`pyminpack.fit_many`'s C signature, fitted as
        :func:`pyminpack.curve_fit` fits it (then `p0` is required, and
        ``user_data=`` may be given); the result's ``model`` calls it from
        Python for the report and the plot. Or the name of a built-in model
        (:func:`pyminpack.builtin_models`), whose parameter names the
        result uses.
    xdata : array_like or object
        The independent variable, passed to `model`.
    ydata : array_like
        The data, length M, finite.
    p0 : array_like, optional
        The starting point; as in `curve_fit`, ones (or with `bounds`, a
        point within them) by default.
    sigma : array_like, optional
        The uncertainty of `ydata`, 1-D (standard deviations) or 2-D (a
        covariance matrix), as in :func:`pyminpack.curve_fit`.
    absolute_sigma : bool, optional
        As in :func:`pyminpack.curve_fit`: whether `sigma` is absolute, or
        only relative (then the covariance is scaled by the reduced
        chi-square).
    bounds : 2-tuple of array_like, optional
        Lower and upper bounds on the parameters, as in
        :func:`pyminpack.curve_fit`.
    jac : callable, optional
        The Jacobian of `model` with respect to the parameters, as in
        :func:`pyminpack.curve_fit`.
    **kwargs
        Passed to `curve_fit` and so to :func:`pyminpack.leastsq`
        (``maxfev``, ``ftol``, ``callback`` for progress reports, ...).
        ``full_output`` and ``nan_policy`` are not accepted.

    Returns
    -------
    FitResult
        With ``success=False`` and the solver's message when MINPACK did
        not converge (where `curve_fit` raises ``RuntimeError``).

    Raises
    ------
    ValueError, TypeError
        As `curve_fit` for invalid input; also for ``full_output`` or
        ``nan_policy`` in `kwargs`.

    Warns
    -----
    OptimizeWarning
        As `curve_fit`: the covariance could not be estimated, or (with
        `bounds`) a parameter ended at a bound.

    See Also
    --------
    pyminpack.curve_fit : The fit itself, with SciPy's interface.

    Notes
    -----
    Exceptions raised by `model` or `jac` propagate unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from pyminpack import fit
    >>> def decay(t, amplitude, rate):
    ...     return amplitude * np.exp(-rate * t)
    >>> t = np.linspace(0.0, 4.0, 9)
    >>> y = decay(t, 3.0, 0.5) + np.array([0.01, -0.02, 0.0, 0.02, -0.01, 0.0, 0.01, -0.01, 0.0])
    >>> result = fit(decay, t, y, p0=[1.0, 1.0])
    >>> result.success
    True
    >>> {name: round(value, 3) for name, value in result.params.items()}
    {'amplitude': 3.001, 'rate': 0.5}
    >>> fit(decay, t, y, p0=[1.0, 1.0], maxfev=3).message
    'Number of calls to function has reached maxfev = 3.'
    """
    for keyword in ("full_output", "nan_policy"):
        if keyword in kwargs:
            raise ValueError(f"fit does not take {keyword!r}; use curve_fit for it.")
    solution = solve_curve_fit(
        model, xdata, ydata, p0, sigma=sigma, absolute_sigma=absolute_sigma, bounds=bounds, jac=jac, **kwargs
    )
    success = solution.ier in LEASTSQ_SUCCESS
    values = solution.popt
    if is_builtin(model):  # callable from Python for the report and the plot, its parameters named
        builtin = resolve(model)
        model, names = callable_model(builtin, solution.ydata.size), builtin.parameter_names(values.size)
    else:
        if is_compiled(model):  # callable from Python for the report and the plot
            model = CallableModel(model, kwargs.get("user_data"), solution.ydata.size)
        names = parameter_names(model, values.size)
    return FitResult(
        model=model, xdata=solution.xdata, ydata=np.asarray(ydata, dtype=float),
        sigma=None if sigma is None else np.asarray(sigma, dtype=float), names=names,
        init_values=np.asarray(solution.p0, dtype=float), values=values,
        covariance=np.full((values.size, values.size), np.nan) if solution.pcov is None else solution.pcov,
        chisqr=float(np.sum(solution.infodict["fvec"] ** 2)), nfev=int(solution.infodict["nfev"]),
        success=success, message=solution.mesg, ier=solution.ier,
    )  # fmt: skip


def parameter_names(model: Callable[..., Any], n: int) -> tuple[str, ...]:
    """Return the names of the ``n`` parameters of ``model(x, p1, ...)``.

    Parameters
    ----------
    model : callable
        The model function.
    n : int
        The number of parameters.

    Returns
    -------
    tuple of str
        The positional names after the first in the signature when there are
        exactly ``n`` of them, else ``('p0', 'p1', ...)``.

    Examples
    --------
    >>> parameter_names(lambda x, a, b: a * x + b, 2)
    ('a', 'b')
    >>> parameter_names(lambda x, *p: p[0] * x + p[1], 2)
    ('p0', 'p1')
    """
    try:
        names = positional_parameters(model)[1:]
    except (TypeError, ValueError):  # no signature to read (a builtin, a compiled function)
        names = ()
    return names if len(names) == n else tuple(f"p{i}" for i in range(n))
