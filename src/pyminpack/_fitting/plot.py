"""The plot of :meth:`pyminpack.FitResult.plot`: data, model and residuals, with matplotlib.

matplotlib is an optional dependency (``pip install pyminpack[plot]``),
imported only when a plot is made.  The figure is a
``matplotlib.figure.Figure`` made without ``pyplot``: no global state, no
GUI backend needed, nothing left open; Jupyter shows it, and
``figure.savefig`` writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .._atomic_write import atomic_output

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The message when matplotlib is missing.
MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install pyminpack[plot]"
#: Points of the model curve drawn over the range of a 1-D x.
CURVE_POINTS = 500
#: The file types a plot can be written as, by suffix.
FORMATS = {".png": "png", ".svg": "svg"}


class FitData(Protocol):
    """What a plot reads of a fit: :class:`pyminpack.FitResult` has it all, under the same names."""

    @property
    def model(self) -> Callable[..., Any]: ...
    @property
    def xdata(self) -> Any: ...
    @property
    def ydata(self) -> NDArray[np.float64]: ...
    @property
    def sigma(self) -> NDArray[np.float64] | None: ...
    @property
    def values(self) -> NDArray[np.float64]: ...
    @property
    def success(self) -> bool: ...
    @property
    def best_fit(self) -> NDArray[np.float64]: ...
    @property
    def residuals(self) -> NDArray[np.float64]: ...
    @property
    def ndata(self) -> int: ...


def _figure_class() -> type[Figure]:
    """Import matplotlib's ``Figure``, or raise ImportError saying how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error
    return Figure


def plot_format(path: str | Path) -> str:
    """Return the matplotlib format for ``path``'s suffix: ``'png'`` or ``'svg'``.

    Parameters
    ----------
    path : str or Path
        Where the plot goes.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        The suffix is neither ``.png`` nor ``.svg``.

    Examples
    --------
    >>> plot_format("fit.SVG")
    'svg'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write a plot as {suffix or 'a file without suffix'!r}: use .png or .svg ({path})")
    return FORMATS[suffix]


def plot_fit(
    result: FitData,
    path: str | Path | None = None,
    *,
    xlabel: str = "x",
    ylabel: str = "y",
) -> Figure:
    """Draw the data, the fitted model and the residuals.

    The upper axes show the data (with error bars from ``result.sigma``
    when given) and the model, on a fine grid over the data's range when
    ``xdata`` is 1-D; the lower axes show the residuals ``ydata -
    best_fit``.  A ``xdata`` that is not 1-D is drawn against the index of
    the data points.

    Parameters
    ----------
    result : FitData
        The fit: a :class:`pyminpack.FitResult`.
    path : str or Path, optional
        Also write the figure there, PNG or SVG by the suffix, through a
        temporary file so that no partial file is left behind.
    xlabel, ylabel : str, optional
        Axis labels.

    Returns
    -------
    matplotlib.figure.Figure
        With two axes: data and model, residuals.

    Raises
    ------
    ImportError
        matplotlib is not installed.
    ValueError
        `path` is neither ``.png`` nor ``.svg``.

    Examples
    --------
    >>> from pyminpack import fit
    >>> result = fit(lambda x, a, b: a * x + b, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
    >>> figure = plot_fit(result, xlabel="t")
    >>> [(axes.get_xlabel(), axes.get_ylabel()) for axes in figure.axes]
    [('', 'y'), ('t', 'residual')]
    """
    if path is not None:
        file_format = plot_format(path)
    figure = _figure_class()(figsize=(6.4, 5.6), layout="constrained")
    data_axes, residual_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    x, curve_x, curve_y = _abscissae_and_curve(result)
    if x is None:
        x = np.arange(result.ndata)
        xlabel = "data point"
    errors = _error_bars(result)
    if errors is None:
        data_axes.plot(x, result.ydata, "o", color="tab:red", markersize=4, label="data")
    else:
        data_axes.errorbar(
            x,
            result.ydata,
            yerr=errors,
            fmt="o",
            color="tab:red",
            markersize=4,
            label="data",
        )
    data_axes.plot(curve_x, curve_y, "-", color="tab:blue", label="fit")
    data_axes.set_ylabel(ylabel)
    data_axes.legend()
    data_axes.set_title(f"{getattr(result.model, '__name__', 'model')}" + ("" if result.success else " (fit failed)"))
    residual_axes.axhline(0.0, color="gray", linewidth=0.8)
    residual_axes.plot(x, result.residuals, "o", color="tab:red", markersize=3)
    residual_axes.set_xlabel(xlabel)
    residual_axes.set_ylabel("residual")
    if path is not None:
        with atomic_output(path) as temporary:
            figure.savefig(temporary, format=file_format)
    return figure


def _abscissae_and_curve(result: FitData) -> tuple[Any, Any, Any]:
    """Return the data's x (None unless 1-D and numeric) and the points of the model curve."""
    try:
        x = np.asarray(result.xdata, dtype=float)
    except (TypeError, ValueError):
        x = None
    if x is None or x.shape != result.ydata.shape or x.ndim != 1:
        index = np.arange(result.ndata)
        return None, index, result.best_fit
    grid = np.linspace(x.min(), x.max(), CURVE_POINTS)
    with np.errstate(all="ignore"):
        curve = np.asarray(result.model(grid, *result.values), dtype=float)
    if curve.shape != grid.shape:  # a model tied to the data's shape: draw it at the data
        order = np.argsort(x, kind="stable")
        return x, x[order], result.best_fit[order]
    return x, grid, curve


def _error_bars(result: FitData) -> Any:
    """Return the standard deviations of the data from ``sigma`` (1-D, or a covariance's diagonal), or None."""
    if result.sigma is None:
        return None
    sigma = result.sigma
    if sigma.ndim == 2:
        return np.sqrt(np.diagonal(sigma))
    return np.broadcast_to(sigma, result.ydata.shape)
