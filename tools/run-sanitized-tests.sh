#!/bin/sh
# Run the test suite against a build of pyminpack instrumented with
# AddressSanitizer (C and Fortran alike: meson's -Db_sanitize=address), to show
# that the native code -- MINPACK, the f2py wrapper and _pycallback.c -- makes
# no invalid read or write.
#
#   sh tools/run-sanitized-tests.sh [pytest arguments]
#
# The instrumented build goes into a throwaway virtual environment, never
# into the Python you develop with.  numba and matplotlib are left out
# (their tests skip themselves): numba's compiled callbacks are tested with
# ctypes too, and matplotlib's own C extensions abort under ASan at import.  CPython itself is not instrumented, so the ASan runtime is
# preloaded, and leak detection is off: the interpreter keeps memory alive
# until exit by design, which LeakSanitizer would report as noise.  Any
# invalid access makes ASan print a report and abort, failing the run.
set -eu
cd "$(dirname "$0")/.."
venv=${PYMINPACK_ASAN_VENV:-/tmp/pyminpack-asan-venv}
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    meson-python meson ninja numpy pytest hypothesis scipy
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    -Csetup-args=-Db_sanitize=address -Csetup-args=-Db_lundef=false \
    -Cbuild-dir=build/asan .
asan_runtime=$(gcc -print-file-name=libasan.so)
cd /tmp  # import the instrumented install, not src/
LD_PRELOAD="$asan_runtime" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    "$venv/bin/python" -m pytest "$OLDPWD/tests" -p no:cacheprovider -q "$@"
