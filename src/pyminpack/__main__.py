"""``python -m pyminpack``: the command line (:mod:`pyminpack._cli`)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
