"""The plain-text fit report of :meth:`pyminpack.FitResult.report`, laid out as lmfit's ``fit_report``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

#: Width of a number in the report, as lmfit's ``gformat`` default.
NUMBER_WIDTH = 11


def format_number(value: float, width: int = NUMBER_WIDTH) -> str:
    """Return ``value`` in ``width`` characters, fixed-point when it fits, else exponential.

    As lmfit's ``gformat``: a sign column (blank for positive numbers) and
    as many digits as the width allows.

    Parameters
    ----------
    value : float
        The number.
    width : int, optional
        The width of the result, at least 8.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(1.98)
    ' 1.98000000'
    >>> format_number(-123.4)
    '-123.400000'
    >>> format_number(2.5e-7)
    ' 2.5000e-07'
    >>> format_number(float("inf"))
    '        inf'
    """
    if not math.isfinite(value):
        return f"{value:>{width}}"
    exponent = math.floor(math.log10(abs(value))) if value else 0
    if -4 <= exponent < width - 3:
        return f"{value: .{width - 3 - max(exponent, 0)}f}"
    return f"{value: .{width - 7}e}"


class ReportedFit(Protocol):
    """What a report reads of a fit: :class:`pyminpack.FitResult` has it all, under the same names."""

    @property
    def model(self) -> Callable[..., Any]: ...
    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def values(self) -> NDArray[np.float64]: ...
    @property
    def init_values(self) -> NDArray[np.float64]: ...
    @property
    def stderr(self) -> NDArray[np.float64]: ...
    @property
    def correlation(self) -> NDArray[np.float64]: ...
    @property
    def nfev(self) -> int: ...
    @property
    def ndata(self) -> int: ...
    @property
    def nvarys(self) -> int: ...
    @property
    def chisqr(self) -> float: ...
    @property
    def redchi(self) -> float: ...
    @property
    def aic(self) -> float: ...
    @property
    def bic(self) -> float: ...
    @property
    def r_squared(self) -> float: ...
    @property
    def success(self) -> bool: ...
    @property
    def message(self) -> str: ...


def model_name(model: Callable[..., Any]) -> str:
    """Return the model's name for reports: its ``__name__``, else its repr.

    Parameters
    ----------
    model : callable

    Returns
    -------
    str

    Examples
    --------
    >>> model_name(abs)
    'abs'
    """
    return str(getattr(model, "__name__", repr(model)))


def format_report(result: ReportedFit, min_correl: float = 0.1) -> str:
    """Return the report of ``result``: model, statistics, variables, correlations.

    Parameters
    ----------
    result : FitResult
        The fit (anything with :class:`ReportedFit`'s attributes).
    min_correl : float, optional
        Correlations with absolute value at most this are left out; the
        section is left out when none remains.

    Returns
    -------
    str

    Examples
    --------
    >>> from pyminpack import fit
    >>> result = fit(lambda x, a, b: a * x + b, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
    >>> print(format_report(result, min_correl=0.9))  # doctest: +ELLIPSIS
    [[Model]]
        <lambda>
    [[Fit Statistics]]
        # fitting method   = leastsq
        # function evals   = ...
        # data points      = 4
        # variables        = 2
        chi-square         = 0.01800000
        reduced chi-square = 0.00900000
        Akaike info crit   = -17.6147115
        Bayesian info crit = -18.8421228
        R-squared          = 0.99908257
    [[Variables]]
        a:  1.98000000 +/- 0.04242641 (2.14%) (init = 1)
        b:  1.03000000 +/- 0.07937254 (7.71%) (init = 1)
    """
    return "\n".join(
        [
            "[[Model]]",
            f"    {model_name(result.model)}",
            *_statistics(result),
            *_variables(result),
            *_correlations(result, min_correl),
        ]
    )


def _statistic(value: float) -> str:
    """An integer as it is, a float as :func:`format_number` without padding."""
    return str(value) if isinstance(value, int) else format_number(value).strip()


def _statistics(result: ReportedFit) -> list[str]:
    lines = [
        "[[Fit Statistics]]",
        "    # fitting method   = leastsq",
        f"    # function evals   = {_statistic(result.nfev)}",
        f"    # data points      = {_statistic(result.ndata)}",
        f"    # variables        = {_statistic(result.nvarys)}",
        f"    chi-square         = {_statistic(result.chisqr)}",
        f"    reduced chi-square = {_statistic(result.redchi)}",
        f"    Akaike info crit   = {_statistic(result.aic)}",
        f"    Bayesian info crit = {_statistic(result.bic)}",
        f"    R-squared          = {_statistic(result.r_squared)}",
    ]
    if not result.success:
        lines.append(f"##  Warning: the fit did not converge: {' '.join(result.message.split())}")
    elif not np.all(np.isfinite(result.stderr)):
        lines.append("##  Warning: uncertainties could not be estimated")
    return lines


def _variables(result: ReportedFit) -> list[str]:
    width = max(len(name) for name in result.names)
    lines = ["[[Variables]]"]
    for name, value, stderr, init in zip(result.names, result.values, result.stderr, result.init_values, strict=True):
        text = format_number(value)
        if math.isfinite(stderr):
            percent = f" ({abs(stderr / value):.2%})" if value else ""
            text = f"{text} +/-{format_number(stderr)}{percent}"
        lines.append(f"    {name}:{' ' * (width - len(name))} {text} (init = {init:.7g})")
    return lines


def _correlations(result: ReportedFit, min_correl: float) -> list[str]:
    correlation = result.correlation
    names = result.names
    pairs = [
        (names[i], names[j], float(correlation[i, j]))
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if abs(correlation[i, j]) > min_correl  # false for nan
    ]
    if not pairs:
        return []
    width = max(len(first) + len(second) for first, second, _ in pairs)
    lines = [f"[[Correlations]] (unreported correlations are < {min_correl:.3f})"]
    for first, second, value in sorted(pairs, key=lambda pair: -abs(pair[2])):
        padding = " " * (width - len(first) - len(second))
        lines.append(f"    C({first}, {second}){padding} = {value:+.4f}")
    return lines
