#!/bin/sh
# Run the test suite against an installed wheel with NumPy 1.26 at run time.
#
# Usage: sh tools/test-wheel-with-old-numpy.sh WHEEL [NUMPY_VERSION]
#   NUMPY_VERSION defaults to 1.26.4, the newest 1.x and within
#   dependencies' numpy>=1.25.  Needs PyPI; installs into a throwaway venv.
#
# The wheel is compiled against NumPy 2.x (pyproject's build requires), whose
# headers target the 1.x C API by default (NPY_FEATURE_VERSION), so one wheel
# must import and solve under both: the f2py module (_minpack) and the
# hand-written _pycallback.c each use NumPy's C API.  Run from the checkout,
# pytest imports the venv's pyminpack (src/ is not on sys.path).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 WHEEL [NUMPY_VERSION]" >&2; exit 2; }
wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
numpy_version=${2:-1.26.4}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
# The test extra (pytest, hypothesis, scipy) with a scipy that accepts this numpy.
"$py" -m pip install --quiet --disable-pip-version-check "$wheel[test]" "numpy==$numpy_version"
"$py" -I -c "
import numpy, pyminpack
config = pyminpack.show_config()
assert numpy.__version__ == '$numpy_version', numpy.__version__
assert int(config['numpy']['build'].split('.')[0]) >= 2, config['numpy']
assert pyminpack.__file__.startswith('$work/venv/'), pyminpack.__file__
" | sed -n '/^numpy:/,/^python:/p'
"$py" -m pytest -q -p no:cacheprovider tests
