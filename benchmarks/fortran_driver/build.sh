#!/bin/sh
# Build the pure-Fortran MINPACK driver: driver.f90 plus the vendored
# minpack_src/*.f at -O3 (the level pyminpack compiles MINPACK with); the
# driver itself at -O2, where gfortran does not vectorise its exp() loops
# through libmvec (whose last bits differ from the scalar exp the compiled
# callbacks call), so both compute the same residuals.
# Usage: sh benchmarks/fortran_driver/build.sh OUTPUT   (default ./driver)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../minpack_src"
out=${1:-./driver}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
${FC:-gfortran} -O3 -c "$src"/lmdif.f "$src"/lmder.f "$src"/lmpar.f "$src"/qrfac.f "$src"/qrsolv.f \
  "$src"/enorm.f "$src"/fdjac2.f "$src"/dpmpar.f
${FC:-gfortran} -O2 -c "$here/driver.f90"
cd - >/dev/null
${FC:-gfortran} -O3 -o "$out" "$work"/*.o
