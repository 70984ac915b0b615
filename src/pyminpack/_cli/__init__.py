"""The command line, ``python -m pyminpack`` and the ``pyminpack`` script: the demo and fitting a data file."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
