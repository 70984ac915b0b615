#!/bin/sh
# Cross-compile pyminpack's native code for Windows x86-64 and CPython 3.11
# with MinGW-w64 (Debian's gcc and gfortran 12), through the project's own
# meson.build, and check what the extensions need at run time.  Nothing here
# runs on Windows: this proves that every native source compiles for it (the
# netlib Fortran, f2py's generated module and fortranobject.c, the
# hand-written C), that each extension links with nothing left unresolved,
# and which DLLs each one imports.
#
# - CPython's Windows headers: Include/ and PC/pyconfig.h of Debian's
#   python3.11 source package (apt-get source, through a private sources
#   list: the machine's own apt configuration is left alone).
# - numpy's Windows headers and f2py's fortranobject.c: numpy's win_amd64
#   wheel, the version the build machine's numpy has (f2py, run here,
#   generates the module's C for it); named to meson in the cross file.
# - python311.dll: a stand-in import library, made by dlltool from the
#   names the Windows headers declare dllimport (tools/windows_python_def.py).
#   Linking a PE DLL fails on any undefined symbol, so a link that succeeds
#   leaves nothing unresolved.
# - meson reads the target CPython from a PEP 739 build-details.json
#   (-Dpython.build_config, meson >= 1.10).
# - Warnings: the whole build with -Werror (meson's -Wall and the compilers'
#   default warnings, which include implicit declarations, int/pointer
#   conversions and incompatible pointer types), and the hand-written C once
#   more with -Wextra -Wpedantic -Wconversion -Werror: every implicit
#   narrowing (a size or index squeezed into a 32-bit type, as Windows'
#   `long` is) and every GNU-only construct is an error.
# - The extensions may import only python311.dll and DLLs every Windows has,
#   and export only their PyInit_ function (MINPACK's symbols stay private).
#
# Usage: sh tools/cross-build-windows.sh [WORK_DIR]   (default: a temporary one)
# Needs root (apt-get) and the package registries.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
cd "$work"
triplet=x86_64-w64-mingw32
pyver=3.11
pyver_nodot=311
allowed_dlls="python$pyver_nodot.dll KERNEL32.dll msvcrt.dll"

run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v $triplet-gfortran >/dev/null 2>&1; then
  echo "installing MinGW-w64 gcc and gfortran" >&2
  run apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends \
    gcc-mingw-w64-x86-64 gfortran-mingw-w64-x86-64 >/dev/null
fi

# A venv for meson >= 1.10 (python.build_config); the machine's numpy is the
# one whose f2py generates the module's C.
python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "meson>=1.10" ninja
py="$work/venv/bin/python"
numpy_version=$("$py" -c 'import numpy; print(numpy.__version__)')

# CPython's headers, as a Windows build of CPython sees them, from Debian's
# source package.  The source entries mirror the machine's first Debian
# entry (its main suite: the security suite's pool need not hold the .dsc
# it lists).
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/parts" "$work/src"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  awk 'BEGIN { RS = "" } NR == 1' /etc/apt/sources.list.d/debian.sources |
    sed 's/^Types:.*/Types: deb-src/' >"$apt_dir/parts/src.sources"
else
  grep -m 1 '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$apt_dir/parts/src.list"
fi
: >"$apt_dir/empty.list"
apt_private="-o Dir::Etc::SourceList=$apt_dir/empty.list -o Dir::Etc::SourceParts=$apt_dir/parts \
  -o Dir::State::Lists=$apt_dir/lists -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $apt_private update -qq
# shellcheck disable=SC2086
(cd "$work/src" && apt-get $apt_private source --download-only -qq "python$pyver")
headers="$work/python/include"
mkdir -p "$headers"
tar -xzf "$work"/src/python${pyver}_*.orig.tar.gz -C "$work/src" --wildcards '*/Include' '*/PC/pyconfig.h'
cp -R "$work"/src/Python-*/Include/. "$headers/"
cp "$work"/src/Python-*/PC/pyconfig.h "$headers/"

# numpy's headers and fortranobject.c for win_amd64.
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform win_amd64 --python-version $pyver -d "$work/src" "numpy==$numpy_version"
"$py" -m zipfile -e "$work"/src/numpy-"$numpy_version"-*win_amd64.whl "$work/numpy-win"

# The stand-in import library of python311.dll.  Each header is preprocessed
# with and without PY_SSIZE_T_CLEAN, which renames the PyArg_* functions.
for define in "" -DPY_SSIZE_T_CLEAN; do
  printf '#include <Python.h>\n#include <frameobject.h>\n#include <marshal.h>\n#include <structmember.h>\n' |
    $triplet-gcc -E $define -I "$headers" -
done >"$work/python.i"
"$py" "$root/tools/windows_python_def.py" "$work/python.i" "$headers" "python$pyver_nodot.dll" >"$work/python.def"
$triplet-dlltool -d "$work/python.def" -D "python$pyver_nodot.dll" -l "$work/libpython$pyver_nodot.dll.a"

cat >"$work/build-details.json" <<EOF
{
  "schema_version": "1.0",
  "base_prefix": "$work/python",
  "platform": "win-amd64",
  "language": {"version": "$pyver"},
  "implementation": {"name": "cpython"},
  "abi": {"flags": [], "extension_suffix": ".cp$pyver_nodot-win_amd64.pyd", "stable_abi_suffix": ".pyd"},
  "libpython": {"dynamic": "$work/libpython$pyver_nodot.dll.a", "link_extensions": true},
  "c_api": {"headers": "$headers"}
}
EOF
cat >"$work/cross.ini" <<EOF
[binaries]
c = '$triplet-gcc'
fortran = '$triplet-gfortran'
ar = '$triplet-ar'
strip = '$triplet-strip'

[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'

[properties]
numpy-include-dir = '$work/numpy-win/numpy/_core/include'
f2py-include-dir = '$work/numpy-win/numpy/f2py/src'
EOF

"$py" -m mesonbuild.mesonmain setup "$work/build" "$root" --cross-file "$work/cross.ini" \
  -Dpython.build_config="$work/build-details.json" -Dwerror=true >"$work/setup.log" ||
  { cat "$work/setup.log"; exit 1; }
"$py" -m ninja -C "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

for source in native.c pycallback.c builtin_models.c; do
  $triplet-gcc -fsyntax-only -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror \
    -isystem "$headers" -isystem "$work/numpy-win/numpy/_core/include" "$root/src/pyminpack/native/$source"
done

status=0
for module in _minpack _native _pycallback _builtin_models; do
  pyd="$work/build/src/pyminpack/native/$module.cp$pyver_nodot-win_amd64.pyd"
  $triplet-objdump -p "$pyd" >"$work/$module.objdump"
  dlls=$(sed -n 's/^[[:space:]]*DLL Name: //p' "$work/$module.objdump" | sort | xargs)
  exports=$(sed -n '/Ordinal\/Name Pointer/,/^$/s/^[[:space:]]*\[ *[0-9]*\] //p' "$work/$module.objdump" | xargs)
  echo "$module.pyd imports: $dlls; exports: $exports"
  if [ "$exports" != "PyInit_$module" ]; then
    echo "error: $module.pyd exports $exports" >&2
    status=1
  fi
  for dll in $dlls; do
    case " $allowed_dlls " in
      *" $dll "*) ;;
      *) echo "error: $module.pyd imports $dll, which a wheel would have to bundle" >&2; status=1 ;;
    esac
  done
done
exit $status
