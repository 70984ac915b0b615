#!/bin/sh
# Build the pure-Fortran MINPACK drivers: driver.f90 (lmdif/lmder) and, when
# a second output is named, hybrid_driver.f90 (hybrd/hybrj), each with the
# vendored minpack_src/*.f they call at -O3 (the level pyminpack compiles
# MINPACK with); the drivers themselves at -O2, where gfortran does not
# vectorise driver.f90's exp() loops through libmvec (whose last bits
# differ from the scalar exp the compiled callbacks call).  All with
# -ffp-contract=off, as pyminpack builds (meson.build says why), so that the
# drivers and pyminpack compute the same bits on any CPU.
# Usage: sh benchmarks/fortran_driver/build.sh [OUTPUT [HYBRID_OUTPUT]]   (default ./driver)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../minpack_src"
out=${1:-./driver}
hybrid_out=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/lm" "$work/hybrid"
cd "$work/lm"
${FC:-gfortran} -O3 -ffp-contract=off -c "$src"/lmdif.f "$src"/lmder.f "$src"/lmpar.f "$src"/qrfac.f "$src"/qrsolv.f \
  "$src"/enorm.f "$src"/fdjac2.f "$src"/dpmpar.f
${FC:-gfortran} -O2 -ffp-contract=off -c "$here/driver.f90"
cd - >/dev/null
${FC:-gfortran} -O3 -o "$out" "$work"/lm/*.o
if [ -n "$hybrid_out" ]; then
  cd "$work/hybrid"
  ${FC:-gfortran} -O3 -ffp-contract=off -c "$src"/hybrd.f "$src"/hybrj.f "$src"/dogleg.f "$src"/fdjac1.f "$src"/qform.f \
    "$src"/qrfac.f "$src"/r1mpyq.f "$src"/r1updt.f "$src"/enorm.f "$src"/dpmpar.f
  ${FC:-gfortran} -O2 -ffp-contract=off -c "$here/hybrid_driver.f90"
  cd - >/dev/null
  ${FC:-gfortran} -O3 -o "$hybrid_out" "$work"/hybrid/*.o
fi
