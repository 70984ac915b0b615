"""Command line: ``python -m pyminpack [demo [--plot DIR] | fit DATA.csv --model EXPR ... | fit-many MODEL DATA ...]``.

Also installed as the ``pyminpack`` console script.  Errors are one line on
stderr, ``pyminpack: error: ...``, never a traceback, with exit status 2 for
usage and input errors and 1 when the fit fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import fit_many_command
from .demo import run_demo
from .fit_command import (
    EXIT_FIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    check_matplotlib,
    run_fit,
)
from .model_expression import CONSTANTS, FUNCTIONS

_EXIT_STATUS = f"""\
exit status:
  {EXIT_OK}  success
  {EXIT_FIT_FAILED}  the fit failed (no convergence, or the model not finite during the fit)
  {EXIT_USAGE}  usage or input error (arguments, data file, model expression, a model
     not finite at the starting point, missing matplotlib for --plot, an
     output file that cannot be written)
"""

_FIT_EPILOG = f"""\
model expressions:
  numbers, the parameters and x (named by --x when that is a column name),
  + - * / ** and parentheses, the constants {", ".join(CONSTANTS)}, and the functions
  {", ".join(FUNCTIONS)} (one argument each).
  Nothing else is accepted: the expression is checked, never run as Python.

examples:
  pyminpack fit decay.csv --model "a*exp(-b*x) + c" --p0 a=2,b=1,c=0
  pyminpack fit data.csv --x t --y signal --sigma err --model "a*exp(-k*t)" --bounds k=0:inf --plot fit.png
  pyminpack fit data.csv --model "a*x + b" --json result.json

{_EXIT_STATUS}"""


class _CommandParser(argparse.ArgumentParser):
    """An argument parser whose help ends with an epilog kept as laid out, and whose usage errors are one line.

    The epilog is the exit statuses unless given; a usage error is one
    line on stderr, with exit status 2.  The sub-commands' parsers are of
    this class too: argparse makes them of their parent's class.
    """

    def __init__(self, *, epilog: str = _EXIT_STATUS, **kwargs: Any) -> None:
        super().__init__(epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """Return argparse's type for an integer option of at least ``minimum`` (``--maxfev`` 0, ``--workers`` 1).

    Examples
    --------
    >>> int_at_least(1)("2")
    2
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is {'negative' if minimum == 0 else f'less than {minimum}'}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the command line (sub-commands ``demo``, ``fit`` and ``fit-many``).

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["fit", "data.csv", "--model", "a*x"]).model
    'a*x'
    """
    parser = _CommandParser(
        prog="pyminpack",
        description=(
            "The original Fortran MINPACK Levenberg-Marquardt solver: a demo, curve fitting of CSV data, "
            "and built-in models fitted to many curves or spots."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="{demo,fit,fit-many}")
    demo = commands.add_parser(
        "demo",
        help="fit the three tutorial examples and print their reports (the default)",
        description=(
            "Fit the three examples of the leastsq tutorial (quadratic, exponential decay, sinusoid) "
            "and print each fit report."
        ),
    )
    demo.add_argument(
        "--plot",
        metavar="DIR",
        help="also write the three plots (PNG) into DIR (needs matplotlib)",
    )
    fit = commands.add_parser(
        "fit",
        help="fit a model expression to columns of a CSV file",
        description=(
            "Fit a model expression to two columns of a CSV file (with or without a header row) "
            "and print lmfit's style of fit report, or JSON."
        ),
        epilog=_FIT_EPILOG,
    )
    fit.add_argument(
        "data",
        metavar="DATA.csv",
        help="comma-separated numbers; a first row with a non-number is a header",
    )
    fit.add_argument(
        "--model",
        required=True,
        metavar="EXPR",
        help='the model, e.g. "a*exp(-b*x) + c"',
    )
    fit.add_argument(
        "--p0",
        metavar="NAME=VALUE,...",
        help="starting values (default 1, or within --bounds)",
    )
    fit.add_argument(
        "--x",
        metavar="COL",
        help='column of x, by name or 0-based index (default: "x" if a header names it, else 0)',
    )
    fit.add_argument(
        "--y",
        metavar="COL",
        help='column of y (default: "y" if a header names it, else 1)',
    )
    fit.add_argument(
        "--sigma",
        metavar="COL",
        help="column of the standard deviations of y (weights 1/sigma**2)",
    )
    fit.add_argument(
        "--absolute-sigma",
        action="store_true",
        help="take --sigma as absolute: the covariance is not scaled by the reduced chi-square",
    )
    fit.add_argument(
        "--bounds",
        action="append",
        metavar="NAME=LOW:HIGH,...",
        help="bounds on parameters, e.g. b=0:inf; an empty side is unbounded; repeatable",
    )
    fit.add_argument(
        "--maxfev",
        type=int_at_least(0),
        default=0,
        metavar="N",
        help="the most evaluations of the model (default 0: leastsq's 200*(n+1))",
    )
    fit.add_argument(
        "--progress",
        action="store_true",
        help="report chi-square and the parameters on stderr at every iteration (MINPACK's own reports)",
    )
    fit.add_argument(
        "--plot",
        metavar="FILE",
        help="also write a plot, .png or .svg (needs matplotlib)",
    )
    fit.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="print JSON instead of the report, or write it to FILE; inf and nan become null",
    )
    fit_many_command.add_parser(commands, int_at_least)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when the fit fails (``fit-many``:
        when any fit fails), 2 for usage and input errors.

    Examples
    --------
    >>> main(["demo"])  # doctest: +ELLIPSIS
    quadratic: y = a*x**2 + b*x + c
    [[Model]]
    ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage and the error, or the help
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if args.command == "fit":
            return run_fit(args)
        if args.command == "fit-many":
            return fit_many_command.run_fit_many(args)
        if getattr(args, "plot", None) is not None:
            check_matplotlib()
        print(run_demo(getattr(args, "plot", None)))
    except CommandError as error:
        print(f"pyminpack: error: {error}", file=sys.stderr)
        return error.status
    except BrokenPipeError:  # the reader went away (``pyminpack demo | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # writing a plot or JSON file (the data file's errors are CommandErrors)
        print(f"pyminpack: error: cannot write the output: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
