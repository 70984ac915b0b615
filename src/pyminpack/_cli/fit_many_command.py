"""The ``fit-many`` command: fit a built-in model to every curve or spot of a ``.npy`` or ``.csv`` file.

Everything is read and checked before the first fit starts; every problem
is a :class:`~.fit_command.CommandError` with a one-line message naming the
argument.  The output (``.csv`` or ``.npz``, by its extension) is written
through a temporary file renamed into place once all the fits have run;
nothing is written when the command stops on an error.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from .._atomic_write import atomic_output
from .._batch.fit_many import ManyFits, fit_many
from .._fitting.bounds import parse_bounds_per_curve
from .._fitting.models import BuiltinModel, builtin_models, resolve
from .data_file import DataFileError, finite_number, read_table
from .fit_command import (
    EXIT_FIT_FAILED,
    EXIT_OK,
    CommandError,
    _output_path,
    check_parameter_name,
    parse_assignments,
    parse_bounds_option,
)

#: The file formats of the inputs and of the output, by extension.
INPUT_SUFFIXES = (".npy", ".csv")
OUTPUT_SUFFIXES = (".csv", ".npz")

EPILOG = """\
data layout:
  DATA holds one curve (or spot) per row: a (K, m) array in a .npy file, or K
  rows of m numbers in a .csv file (a header row is skipped).  For a 2-D model
  a row is an image flattened row by row: a square one (m a square number), or
  give its pixel coordinates with --x; a (K, rows, columns) .npy stack of
  images is flattened so.  x[i] (1-D) or (x, y) of point i default to the
  point index i, or (column, row) of the pixel.
  --x: m abscissae (1-D model), or m (x, y) pairs, shape (2, m) or (m, 2).
  --sigma: m uncertainties shared by every curve, or one row per curve.
  --p0: the model's parameters in order, or by name, or a file of them (one
  row shared, or one row per curve).
  --bounds: shared by every curve, by name; an empty side is unbounded.  Or
  --lower and --upper: files of n bounds (shared) or one row of n per curve
  (K by n), inf or -inf for none; a side not given is unbounded.  Every p0
  must lie within its bounds.
  --fixed: parameters held at their p0 values; the others are fitted.

output:
  .csv: a header, then one row per curve: the parameters, their standard
  errors (<name>_stderr), ier (1 to 4: converged), nfev and chisqr.
  .npz: arrays params and stderr (K by n), ier, nfev, chisqr, parameters (names).
  A fixed parameter keeps its column: its p0, and a standard error of 0 (nan
  when the fit failed).

examples:
  pyminpack fit-many gauss_2d spots.npy --p0 500,3,3,1.4,10 -o fits.csv
  pyminpack fit-many gauss_2d spots.npy --p0 500,3,3,1.4,10 --bounds width=0.5:3 --fixed offset -o fits.csv
  pyminpack fit-many gauss_1d peaks.csv --p0 amplitude=2,x0=16,width=3,offset=0 --workers 2 -o fits.npz
  pyminpack fit-many exp_decay decays.npy --x times.npy --sigma errors.npy --p0 starts.npy -o fits.npz

exit status:
  0  every fit converged; the output is written
  1  some fits failed (ier not 1 to 4): the output is written all the same, with
     their ier; a warning on stderr says how many
  2  usage or input error (arguments, unknown model, a file that cannot be read
     or has the wrong shape, an output that cannot be written): nothing is written
"""


def add_parser(commands: Any, int_at_least: Callable[[int], Callable[[str], int]]) -> None:
    """Add the ``fit-many`` sub-command to ``commands`` (argparse's sub-parsers); ``int_at_least`` makes int types."""
    parser = commands.add_parser(
        "fit-many",
        help="fit a built-in model to every curve or spot of a .npy or .csv file",
        description=(
            "Fit a built-in model (compiled, with its analytic Jacobian) to each curve or spot of a data file, "
            "on several threads, and write the parameters, their standard errors and MINPACK's ier."
        ),
        epilog=EPILOG,
    )
    parser.add_argument(
        "model", metavar="MODEL", help=f"the built-in model: {', '.join(builtin_models())} (see data layout)"
    )
    parser.add_argument("data", metavar="DATA", help="the curves, .npy or .csv (see data layout)")
    parser.add_argument(
        "--p0",
        required=True,
        metavar="VALUES|NAME=VALUE,...|FILE",
        help="starting values: comma-separated in the model's order, or all by name, or a .npy/.csv file",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the results: .csv or .npz")
    parser.add_argument("--x", metavar="FILE", help="the points' abscissae or coordinates, .npy or .csv")
    parser.add_argument("--sigma", metavar="FILE", help="the uncertainties of the data, .npy or .csv")
    parser.add_argument(
        "--bounds",
        action="append",
        metavar="NAME=LOW:HIGH,...",
        help="bounds shared by every curve, e.g. width=0:,x0=2:6; an empty side is unbounded; repeatable",
    )
    parser.add_argument("--lower", metavar="FILE", help="lower bounds, n values or one row per curve, .npy or .csv")
    parser.add_argument("--upper", metavar="FILE", help="upper bounds, n values or one row per curve, .npy or .csv")
    parser.add_argument("--fixed", metavar="NAME,...", help="parameters held at their --p0 values, not fitted")
    parser.add_argument("--workers", type=int_at_least(1), metavar="N", help="threads to fit on (default: every CPU)")
    parser.add_argument(
        "--maxfev",
        type=int_at_least(0),
        default=0,
        metavar="N",
        help="the most evaluations of the model per fit (default 0: 100*(n+1))",
    )


def read_array(path: str, what: str, *, infinite: bool = False) -> NDArray[np.float64]:
    """Return the finite numbers of a ``.npy`` file (as stored) or a ``.csv`` file (rows by columns).

    Parameters
    ----------
    path : str
        The file; its extension says its format.
    what : str
        The argument it was given as, for messages (``"DATA"``, ``"--x"``).
    infinite : bool, optional
        Accept ``inf`` and ``-inf`` (bounds); nan is never accepted.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    CommandError
        Another extension, a file that cannot be read, not numbers, or a
        value that is nan or (unless ``infinite``) infinite.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "x.npy"
    ...     np.save(path, np.arange(3))
    ...     read_array(str(path), "--x")
    array([0., 1., 2.])
    """
    suffix = Path(path).suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise CommandError(f"{what}: {path!r} is neither a .npy nor a .csv file")
    if suffix == ".csv":
        try:
            return read_table(path, infinite=infinite).rows
        except DataFileError as error:
            raise CommandError(f"{what}: {error}") from None
    try:
        values = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise CommandError(f"{what}: {path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{what}: {path}: is a directory, not a file") from None
    except (OSError, ValueError, EOFError) as error:
        raise CommandError(f"{what}: {path}: cannot read it as a .npy array: {' '.join(str(error).split())}") from None
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "biuf":
        kind = values.dtype if isinstance(values, np.ndarray) else type(values).__name__
        raise CommandError(f"{what}: {path}: holds {kind}, not real numbers")
    numbers = values.astype(np.float64)
    refused = np.isnan(numbers) if infinite else ~np.isfinite(numbers)
    if refused.any():
        bad = tuple(int(i) for i in np.argwhere(refused)[0])
        kind = "not a bound" if infinite else "not finite"
        raise CommandError(f"{what}: {path}: the value at index {bad} is {numbers[bad]} ({kind})")
    return numbers


def curves(data: NDArray[np.float64], model: BuiltinModel, source: str) -> tuple[NDArray[np.float64], tuple[int, int]]:
    """Return the data as a (K, m) array, and for a 2-D model the image's ``(rows, columns)`` (else ``(0, 0)``).

    Examples
    --------
    >>> y, shape = curves(np.zeros((4, 2, 3)), resolve("gauss_2d"), "spots.npy")
    >>> y.shape, shape
    ((4, 6), (2, 3))
    """
    if data.size == 0:
        raise CommandError(f"DATA: {source} holds no data points (shape {data.shape})")
    if data.ndim == 3 and model.dimensions == 2:
        return data.reshape(len(data), -1), (data.shape[1], data.shape[2])
    if data.ndim not in (1, 2):
        images = " (a stack of images is for the 2-D models)" if data.ndim == 3 else ""
        raise CommandError(f"DATA: {source} has shape {data.shape}; expected one curve per row, (K, m){images}")
    y = data.reshape(1, -1) if data.ndim == 1 else data
    side = math.isqrt(y.shape[1])
    return y, ((side, side) if model.dimensions == 2 else (0, 0))


def coordinates(
    x: NDArray[np.float64] | None, model: BuiltinModel, m: int, image: tuple[int, int], source: str
) -> NDArray[np.float64] | None:
    """Return the model's ``x`` for :func:`pyminpack.fit_many`: from ``--x``, or for a non-square image its grid.

    Examples
    --------
    >>> coordinates(None, resolve("gauss_2d"), 6, (2, 3), "spots.npy")
    array([[0., 1., 2., 0., 1., 2.],
           [0., 0., 0., 1., 1., 1.]])
    """
    if x is None:
        rows, columns = image
        if model.dimensions == 1 or rows == columns:
            if model.dimensions == 2 and rows * columns != m:
                raise CommandError(
                    f"DATA: model {model.name!r} reads each row of {source} as a square image, but a row holds "
                    f"{m} values, not a square number; give the pixel coordinates with --x, or save the spots "
                    "as a (K, rows, columns) .npy stack"
                )
            return None
        return np.stack([np.tile(np.arange(columns), rows), np.repeat(np.arange(rows), columns)]).astype(float)
    if model.dimensions == 1:
        if x.size != m or x.ndim > 2 or (x.ndim == 2 and 1 not in x.shape):
            raise CommandError(f"--x: model {model.name!r} needs {m} abscissae, one per point; got shape {x.shape}")
        return x.ravel()
    if x.shape == (2, m):
        return x
    if x.shape == (m, 2):
        return np.ascontiguousarray(x.T)
    raise CommandError(
        f"--x: model {model.name!r} needs the (x, y) coordinates of {m} points, shape (2, {m}) or ({m}, 2); "
        f"got shape {x.shape}"
    )


def uncertainties(sigma: NDArray[np.float64], K: int, m: int) -> NDArray[np.float64]:
    """Return ``--sigma`` as shape ``(m,)`` (shared) or ``(K, m)`` (per curve), checking it.

    Examples
    --------
    >>> uncertainties(np.ones((1, 3)), 2, 3).shape
    (3,)
    """
    shared: NDArray[np.float64]
    if sigma.size == m:
        shared = sigma.reshape(m)
    elif len(sigma) == K and sigma.size == K * m:
        shared = sigma.reshape(K, m)
    else:
        raise CommandError(
            f"--sigma: expected {m} uncertainties (one per point) or {K} rows of {m} (one row per curve); "
            f"got shape {sigma.shape}"
        )
    if not (shared > 0).all():
        raise CommandError("--sigma: the uncertainties must all be positive")
    return shared


def starting_points(text: str, model: BuiltinModel, K: int) -> NDArray[np.float64]:
    """Return ``--p0`` as shape ``(n,)`` or ``(K, n)``: numbers, ``name=value`` items or a file.

    Examples
    --------
    >>> starting_points("offset=1, slope=2", resolve("linear_1d"), 5)
    array([1., 2.])
    >>> starting_points("3,2,1", resolve("polynomial"), 5)
    array([3., 2., 1.])
    """
    if Path(text).suffix.lower() in INPUT_SUFFIXES:
        values = read_array(text, "--p0")
        if values.ndim == 2 and len(values) == 1:
            values = values[0]
        if values.ndim not in (1, 2) or (values.ndim == 2 and len(values) != K):
            raise CommandError(
                f"--p0: {text} has shape {values.shape}; expected one row of parameters, or one row per curve ({K})"
            )
    elif "=" in text:
        names = model.parameters or tuple(f"c{j}" for j in range(text.count("=")))
        given = parse_assignments(text, "--p0", names)
        missing = [name for name in names if name not in given]
        if missing:
            raise CommandError(f"--p0: no value for {', '.join(missing)} (model {model.name!r} starts from all)")
        values = np.array([_number(given[name], name) for name in names])
    else:
        values = np.array([_number(item, str(i)) for i, item in enumerate(text.split(","))])
    try:
        model.parameter_names(values.shape[-1])
    except ValueError as error:
        raise CommandError(f"--p0: {str(error).rstrip('.')}") from None
    return values


def parameter_bounds(
    args: Any, names: tuple[str, ...], K: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Return the bounds of ``--bounds`` (shared) or of the ``--lower``/``--upper`` files; None without any.

    Examples
    --------
    >>> from argparse import Namespace
    >>> parameter_bounds(Namespace(bounds=["b=0:"], lower=None, upper=None), ("a", "b"), 3)
    (array([-inf,   0.]), array([inf, inf]))
    """
    if args.lower is None and args.upper is None:
        return parse_bounds_option(args.bounds, names)
    if args.bounds:
        raise CommandError("--bounds: give the bounds by name with --bounds or in files with --lower/--upper, not both")
    sides = []
    for path, option, unbounded in ((args.lower, "--lower", -np.inf), (args.upper, "--upper", np.inf)):
        values = np.array(unbounded) if path is None else read_array(path, option, infinite=True)
        if values.ndim == 2 and len(values) == 1:  # one row of a .csv file: shared by every curve
            values = values[0]
        sides.append(values)
    try:
        return parse_bounds_per_curve(tuple(sides), K, len(names), names)
    except ValueError as error:
        raise CommandError(f"--lower/--upper: {error}") from None


def fixed_parameters(text: str | None, names: tuple[str, ...]) -> NDArray[np.bool_] | None:
    """Return ``--fixed`` as :func:`pyminpack.fit_many`'s ``fixed``, a mask of the parameters; None without it.

    Examples
    --------
    >>> fixed_parameters("offset, x0", ("amplitude", "x0", "width", "offset"))
    array([False,  True, False,  True])
    """
    if text is None:
        return None
    mask = np.zeros(len(names), dtype=bool)
    given: list[str] = []
    for name in (item.strip() for item in text.split(",")):
        check_parameter_name(name, "--fixed", names, given)
        given.append(name)
        mask[names.index(name)] = True
    return mask


def _number(text: str, name: str) -> float:
    try:
        return finite_number(text)
    except ValueError as error:
        raise CommandError(f"--p0: {name}={error}" if not name.isdigit() else f"--p0: value {name}: {error}") from None


def write_results(path: Path, fits: ManyFits, names: tuple[str, ...]) -> None:
    """Write the fits to ``path``, ``.csv`` or ``.npz`` by its extension, whole or not at all."""
    with atomic_output(path) as temporary:
        if path.suffix.lower() == ".npz":
            with open(temporary, "wb") as file:  # a path would get ".npz" appended to the temporary name
                np.savez(
                    file, params=fits.params, stderr=fits.stderr, ier=fits.ier, nfev=fits.nfev,
                    chisqr=fits.chisqr, parameters=np.array(names),
                )  # fmt: skip
            return
        header = ",".join([*names, *(f"{name}_stderr" for name in names), "ier", "nfev", "chisqr"])
        with open(temporary, "w", encoding="utf-8", newline="") as file:
            print(header, file=file)
            for params, errors, ier, nfev, chisqr in zip(
                fits.params, fits.stderr, fits.ier, fits.nfev, fits.chisqr, strict=True
            ):
                numbers = [repr(float(value)) for value in (*params, *errors)]
                print(",".join([*numbers, str(int(ier)), str(int(nfev)), repr(float(chisqr))]), file=file)


def run_fit_many(args: Any, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``pyminpack fit-many`` with parsed arguments; return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        ``model``, ``data``, ``p0``, ``output``, ``x``, ``sigma``,
        ``bounds``, ``lower``, ``upper``, ``fixed``, ``workers`` and
        ``maxfev``, as :func:`add_parser` defines them.
    stdout, stderr : file, optional
        Where the summary and the warning go; ``sys.stdout`` and
        ``sys.stderr`` by default.

    Returns
    -------
    int
        :data:`EXIT_OK`, or :data:`EXIT_FIT_FAILED` when some fits failed
        (the output is written all the same).

    Raises
    ------
    CommandError
        Any error before the fits, with its message; nothing is written.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    output = _output_path(args.output, "--output")
    assert output is not None  # a required option
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise CommandError(f"--output: {args.output!r} must end in .csv or .npz (the format)")
    try:
        model = resolve(args.model)
    except ValueError as error:
        raise CommandError(str(error).replace("model: ", "MODEL: ", 1).rstrip(".")) from None
    y, image = curves(read_array(args.data, "DATA"), model, args.data)
    K, m = y.shape
    x = coordinates(None if args.x is None else read_array(args.x, "--x"), model, m, image, args.data)
    sigma = None if args.sigma is None else uncertainties(read_array(args.sigma, "--sigma"), K, m)
    p0 = starting_points(args.p0, model, K)
    names = model.parameter_names(p0.shape[-1])
    bounds = parameter_bounds(args, names, K)
    fixed = fixed_parameters(args.fixed, names)
    fitted = [name for i, name in enumerate(names) if fixed is None or not fixed[i]]
    if m < len(fitted):
        raise CommandError(f"DATA: {m} points per curve are too few for {len(fitted)} parameters ({', '.join(fitted)})")
    extra: dict[str, Any] = {} if bounds is None else {"bounds": bounds}
    try:
        fits = fit_many(model, y, p0, x=x, sigma=sigma, fixed=fixed, workers=args.workers, maxfev=args.maxfev, **extra)
    except (ValueError, TypeError) as error:  # fit_many checks everything before its first fit
        raise CommandError(" ".join(str(error).split())) from None
    write_results(output, fits, names)
    failed = int(np.count_nonzero((fits.ier < 1) | (fits.ier > 4)))
    print(f"{model.name}: {K} fits, {K - failed} converged, {failed} failed; written to {args.output}", file=stdout)
    if failed:
        print(
            f"pyminpack: warning: {failed} of {K} fits failed (ier not 1 to 4; see the ier column of {args.output})",
            file=stderr,
        )
        return EXIT_FIT_FAILED
    return EXIT_OK
