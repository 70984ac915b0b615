"""The ``fit`` command: fit a model expression to columns of a CSV file.

Every failure is a :class:`CommandError` with a one-line message and an
exit status: :data:`EXIT_USAGE` for bad input (arguments, data file, model,
a model that cannot be evaluated at the start), :data:`EXIT_FIT_FAILED`
when the fit itself fails.  Output files are written only after a
successful fit, each through a temporary file renamed into place.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Container
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from .._atomic_write import atomic_output
from .._fitting.bounds import parse_bounds
from .._fitting.fit import FitResult, fit
from .._fitting.plot import MISSING_MATPLOTLIB, plot_format
from .._solver.warnings import OptimizeWarning
from .data_file import DataFileError, DataTable, finite_number, read_table
from .model_expression import ModelExpression, ModelExpressionError

#: Exit status of a successful command.
EXIT_OK = 0
#: Exit status when the fit fails (no convergence, model not finite during the fit).
EXIT_FIT_FAILED = 1
#: Exit status for usage and input errors (arguments, data file, model).
EXIT_USAGE = 2


class CommandError(Exception):
    """A one-line error for the command line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def parse_assignments(text: str, option: str, parameters: tuple[str, ...]) -> dict[str, str]:
    """Split ``"a=1,b=2"`` into ``{"a": "1", "b": "2"}``, checking the names.

    Parameters
    ----------
    text : str
        Comma-separated ``name=value`` items.
    option : str
        The option's name, for messages.
    parameters : tuple of str
        The model's parameters; other names are refused.

    Returns
    -------
    dict of str to str

    Raises
    ------
    CommandError
        An item is not ``name=value``, or names no parameter, or twice.

    Examples
    --------
    >>> parse_assignments("a=1, c=2", "--p0", ("a", "b", "c"))
    {'a': '1', 'c': '2'}
    """
    assignments: dict[str, str] = {}
    for item in text.split(","):
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise CommandError(f"{option}: expected name=value items separated by commas, got {item.strip()!r}")
        check_parameter_name(name, option, parameters, assignments)
        assignments[name] = value.strip()
    return assignments


def check_parameter_name(name: str, option: str, parameters: tuple[str, ...], given: Container[str]) -> None:
    """Raise a :class:`CommandError` unless ``name`` is one of ``parameters`` and not among those ``given`` before.

    Examples
    --------
    >>> check_parameter_name("c", "--fixed", ("a", "b"), ())
    Traceback (most recent call last):
    ...
    pyminpack._cli.fit_command.CommandError: --fixed: 'c' is not a parameter of the model (its parameters: a, b)
    """
    if name not in parameters:
        raise CommandError(
            f"{option}: {name!r} is not a parameter of the model (its parameters: {', '.join(parameters)})"
        )
    if name in given:
        raise CommandError(f"{option}: {name!r} is given twice")


def _number(text: str, option: str, name: str, *, infinite: bool = False) -> float:
    try:
        return finite_number(text, infinite=infinite)
    except ValueError as error:
        raise CommandError(f"{option}: {name}={error}") from None


def parse_p0(text: str | None, parameters: tuple[str, ...]) -> NDArray[np.float64] | None:
    """Return the starting point from ``--p0 a=1,b=2``: 1 for parameters not given; None without ``--p0``.

    Examples
    --------
    >>> parse_p0("b=3", ("a", "b"))
    array([1., 3.])
    """
    if text is None:
        return None
    given = parse_assignments(text, "--p0", parameters)
    return np.array([_number(given[name], "--p0", name) if name in given else 1.0 for name in parameters])


def parse_bounds_option(
    texts: list[str] | None, parameters: tuple[str, ...]
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Return ``(lower, upper)`` from ``--bounds b=0:inf,c=-1:1`` (repeatable); None without ``--bounds``.

    An empty side is unbounded (``b=0:`` is ``b=0:inf``).  The values are
    checked as ``curve_fit`` checks its ``bounds``, with the parameters named.

    Examples
    --------
    >>> parse_bounds_option(["b=0:inf", "c=-1:"], ("a", "b", "c"))
    (array([-inf,   0.,  -1.]), array([inf, inf, inf]))
    """
    if not texts:
        return None
    lower = np.full(len(parameters), -np.inf)
    upper = np.full(len(parameters), np.inf)
    given = parse_assignments(",".join(texts), "--bounds", parameters)
    for name, interval in given.items():
        low, colon, high = interval.partition(":")
        if not colon:
            raise CommandError(f"--bounds: {name}={interval!r} is not of the form lower:upper")
        i = parameters.index(name)
        if low.strip():
            lower[i] = _number(low, "--bounds", name, infinite=True)
        if high.strip():
            upper[i] = _number(high, "--bounds", name, infinite=True)
    try:
        return parse_bounds((lower, upper), len(parameters), names=parameters)
    except ValueError as error:
        raise CommandError(f"--bounds: {error}") from None


def variable_name(x_column: str | None) -> str:
    """Return the model's name for x: ``--x`` when it is a name, else ``"x"``.

    Examples
    --------
    >>> variable_name("time"), variable_name("0"), variable_name(None)
    ('time', 'x', 'x')
    """
    return x_column if x_column is not None and x_column.isidentifier() else "x"


class ProgressPrinter:
    """``--progress``: one line on ``stderr`` per MINPACK progress report.

    Examples
    --------
    >>> import io, numpy as np
    >>> out = io.StringIO()
    >>> printer = ProgressPrinter(("a", "b"), out)
    >>> printer(np.array([1.0, 2.0]), np.array([0.5, -0.5]))
    >>> print(out.getvalue(), end="")
    pyminpack: progress 0: chi-square = 0.5, a = 1, b = 2
    """

    def __init__(self, names: tuple[str, ...], stream: TextIO) -> None:
        self.names = names
        self.stream = stream
        self.reports = 0

    def __call__(self, params: NDArray[np.float64], residuals: NDArray[np.float64]) -> None:
        values = ", ".join(f"{name} = {value:.10g}" for name, value in zip(self.names, params, strict=True))
        print(
            f"pyminpack: progress {self.reports}: chi-square = {residuals @ residuals:.10g}, {values}",
            file=self.stream,
            flush=True,
        )
        self.reports += 1


def _default_column(table: DataTable, name: str, index: int) -> str:
    return name if name in table.names else str(index)


class _StartCheck:
    """Wrap the model: its first evaluation (at the starting point) must be finite.

    A failure there is an input error (:data:`EXIT_USAGE`), not a failed fit.
    """

    def __init__(self, model: ModelExpression) -> None:
        self.model = model
        self.__signature__ = model.__signature__
        self.__name__ = model.__name__
        self.evaluated = False

    def __call__(self, x: Any, *params: float) -> NDArray[np.float64]:
        value = self.model(x, *params)
        if not self.evaluated:
            self.evaluated = True
            if not np.all(np.isfinite(value)):
                bad = int(np.flatnonzero(~np.isfinite(value))[0])
                start = ", ".join(f"{name}={p:g}" for name, p in zip(self.model.parameters, params, strict=True))
                raise CommandError(
                    f"the model is not finite at the starting point ({start}): "
                    f"{value[bad]} at {self.model.x}={x[bad]:g}; "
                    "give another start with --p0"
                )
        return value


def run_fit(args: Any, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``pyminpack fit`` with parsed arguments; return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        ``data``, ``model``, ``p0``, ``x``, ``y``, ``sigma``,
        ``absolute_sigma``, ``bounds``, ``maxfev``, ``plot`` and ``json``,
        as the parser of :mod:`pyminpack.__main__` defines them.
    stdout, stderr : file, optional
        Where the report and the warnings go; ``sys.stdout`` and
        ``sys.stderr`` by default.

    Returns
    -------
    int
        :data:`EXIT_OK`.

    Raises
    ------
    CommandError
        Any failure, with its message and exit status.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    plot_path = _output_path(args.plot, "--plot")
    if plot_path is not None:
        _check_plot_possible(plot_path)
    json_path = None if args.json in (None, "-") else _output_path(args.json, "--json")
    try:
        model = ModelExpression(args.model, x=variable_name(args.x))
    except ModelExpressionError as error:
        raise CommandError(f"--model: {error}") from None
    try:
        table = read_table(args.data)
        x_key = args.x if args.x is not None else _default_column(table, "x", 0)
        y_key = args.y if args.y is not None else _default_column(table, "y", 1)
        xdata, ydata = table.column(x_key), table.column(y_key)
        sigma = None if args.sigma is None else table.column(args.sigma)
    except DataFileError as error:
        raise CommandError(str(error)) from None
    if sigma is not None and not np.all(sigma > 0):
        raise CommandError(f"--sigma: the uncertainties in column {args.sigma!r} must all be positive")
    if ydata.size < len(model.parameters):
        raise CommandError(
            f"{args.data}: {ydata.size} data points are too few for {len(model.parameters)} parameters "
            f"({', '.join(model.parameters)})"
        )
    progress = ProgressPrinter(model.parameters, stderr) if args.progress else None
    result = _fit(
        _StartCheck(model), xdata, ydata, parse_p0(args.p0, model.parameters), sigma,
        parse_bounds_option(args.bounds, model.parameters), args.absolute_sigma, args.maxfev, stderr, progress,
    )  # fmt: skip
    if plot_path is not None:
        result.plot(plot_path, xlabel=table.name(x_key), ylabel=table.name(y_key))
    if args.json is None:
        print(
            f"[[Data]]\n    {args.data}: {table.name(y_key)} against {table.name(x_key)}, {result.ndata} points",
            file=stdout,
        )
        print(result.report(), file=stdout)
    else:
        text = json.dumps(json_ready(result.to_dict()), indent=2, allow_nan=False)
        if json_path is None:
            print(text, file=stdout)
        else:
            with atomic_output(json_path) as temporary:
                temporary.write_text(text + "\n", encoding="utf-8")
    return EXIT_OK


def _fit(
    model: _StartCheck, xdata: NDArray[np.float64], ydata: NDArray[np.float64], p0: NDArray[np.float64] | None,
    sigma: NDArray[np.float64] | None, bounds: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    absolute_sigma: bool, maxfev: int, stderr: TextIO, progress: ProgressPrinter | None,
) -> FitResult:  # fmt: skip
    """Fit; turn every failure into a :class:`CommandError`, and warnings into lines on ``stderr``."""
    extra: dict[str, Any] = {} if bounds is None else {"bounds": bounds}
    if progress is not None:
        extra["callback"] = progress
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OptimizeWarning)
        try:
            result = fit(
                model,
                xdata,
                ydata,
                p0,
                sigma=sigma,
                absolute_sigma=absolute_sigma,
                maxfev=maxfev,
                **extra,
            )
        except CommandError:
            raise
        except (ValueError, TypeError, ArithmeticError) as error:
            status = EXIT_FIT_FAILED if model.evaluated else EXIT_USAGE
            raise CommandError(
                ("fit failed: " if model.evaluated else "") + " ".join(str(error).split()),
                status,
            ) from None
    for warning in caught:
        if issubclass(warning.category, OptimizeWarning):
            print(
                f"pyminpack: warning: {' '.join(str(warning.message).split())}",
                file=stderr,
            )
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if not result.success:
        raise CommandError(f"fit failed: {' '.join(result.message.split())}", EXIT_FIT_FAILED)
    return result


def _output_path(path: str | None, option: str) -> Path | None:
    """Check that ``path``'s directory exists, before any work is done."""
    if path is None:
        return None
    output = Path(path)
    if not output.parent.is_dir():
        raise CommandError(f"{option}: the directory {str(output.parent)!r} does not exist")
    if output.is_dir():
        raise CommandError(f"{option}: {path!r} is a directory")
    return output


def _check_plot_possible(path: Path) -> None:
    """Raise a :class:`CommandError` now if the plot could not be written later."""
    try:
        plot_format(path)
    except ValueError as error:
        raise CommandError(f"--plot: {error}") from None
    check_matplotlib()


def check_matplotlib() -> None:
    """Raise a :class:`CommandError` when matplotlib cannot be imported."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise CommandError(MISSING_MATPLOTLIB) from None


def json_ready(value: Any) -> Any:
    """Return ``value`` with non-finite floats replaced by None (JSON has no inf or nan).

    Examples
    --------
    >>> json_ready({"a": [1.0, float("inf")], "b": float("nan")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
