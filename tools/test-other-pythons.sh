#!/bin/sh
# Build pyminpack from this checkout and run its whole test suite under each
# supported CPython other than 3.11 (the README's and .ci/run's own run):
# 3.10, 3.12 and 3.13, taken from pyenv, each in a throwaway venv with the
# test extra from PyPI.  SciPy, the parity tests' oracle, must be the
# machine's own version (the main run's, whose messages pyminpack's follow;
# SciPy 1.18 rewords one).  Where pip has no such SciPy for that Python (3.10:
# SciPy 1.15 at most, with older messages), SciPy is left out and the tests
# that compare with it skip themselves: every behaviour is pinned without it.
#
# Usage: sh tools/test-other-pythons.sh [X.Y ...]   (default: 3.10 3.12 3.13)
# Needs PyPI and gfortran (tools/install-build-deps.sh).  Run from the
# checkout, pytest imports the venv's pyminpack (src/ is not on sys.path).
set -eu
cd "$(dirname "$0")/.."
versions=${*:-3.10 3.12 3.13}
pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scipy_version=$(python3 -c 'import scipy; print(scipy.__version__)') ||
  { echo "error: python3 has no SciPy, the version the parity tests follow" >&2; exit 1; }
echo "scipy<=$scipy_version" >"$work/constraints.txt"
for version in $versions; do
  # The newest patch release of that version that pyenv has.
  prefix=$(ls -d "$pyenv_root/versions/$version".* 2>/dev/null | grep -E "/$version\.[0-9]+$" | sort -V | tail -n 1)
  python=${prefix:+$prefix/bin/python$version}
  if [ -z "$python" ] || [ ! -x "$python" ]; then
    echo "error: no CPython $version in $pyenv_root/versions" >&2
    exit 1
  fi
  echo "== CPython $version ($python)"
  "$python" -m venv "$work/$version"
  py="$work/$version/bin/python"
  "$py" -m pip install --quiet --disable-pip-version-check --constraint "$work/constraints.txt" ".[test]"
  if [ "$("$py" -c 'import scipy; print(scipy.__version__)')" != "$scipy_version" ]; then
    echo "no SciPy $scipy_version for CPython $version: the tests comparing with SciPy skip"
    "$py" -m pip uninstall --quiet --yes scipy
  fi
  "$py" -I -c "
import sys, pyminpack
assert sys.version_info[:2] == tuple(map(int, '$version'.split('.'))), sys.version
assert pyminpack.__file__.startswith('$work/$version/'), pyminpack.__file__
"
  "$py" -m pytest -q -p no:cacheprovider tests
done
