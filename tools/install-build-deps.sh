#!/bin/sh
# Install, from Debian's packages, what building and testing pyminpack needs
# and the machine lacks: gfortran (to compile minpack_src/) and libminpack1
# (Debian's own build of netlib MINPACK, the tests' numerical oracle).
# Idempotent: does nothing when both are present.  Needs root (or sudo).
set -eu
missing=""
command -v gfortran >/dev/null 2>&1 || missing="$missing gfortran"
ldconfig -p 2>/dev/null | grep -q 'libminpack\.so\.1 ' || missing="$missing libminpack1"
[ -z "$missing" ] && exit 0
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "installing:$missing" >&2
run apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends $missing >/dev/null
