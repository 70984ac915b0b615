"""Command line: ``python -m pyminpack [demo]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._demo import run_demo


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> main(["demo"])  # doctest: +ELLIPSIS
    quadratic: y = a*x**2 + b*x + c ...
    0
    """
    parser = argparse.ArgumentParser(
        prog="pyminpack",
        description="The original Fortran MINPACK Levenberg-Marquardt solver.",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="fit the three tutorial examples and print the parameters (default)")
    parser.parse_args(argv)
    print(run_demo())
    return 0


if __name__ == "__main__":
    sys.exit(main())
