"""``leastsq_rows`` (MINPACK's lmstr) on a very large m: peak memory, and time against ``leastsq`` with ``Dfun``.

Run: ``python3 benchmarks/lmstr_memory.py [--memory-m M] [--time-m M] [--rounds R]``
(defaults: 10**8, 10**6, 5).  Fits ``a*exp(-b*t) + c`` (n = 3) with an
analytic Jacobian, as ``benchmarks/large_m.py`` does.

* Memory, at ``--memory-m``: one solve in a fresh process, its peak resident
  set size (Linux: ``VmHWM``, reset through ``/proc/self/clear_refs`` just
  before the solve) above what was resident before it, when the user's data
  (``t`` and ``y``, 16 bytes per point) already was.  Printed in units of
  fvec's size (8 m bytes).  The residual function builds its result in place
  (``numpy`` ``out=``), so that it allocates that one m-vector and nothing
  more: the solve then holds MINPACK's two m-vectors (``fvec`` and the
  trial residuals), the function's result while MINPACK copies it, and
  ``O(n**2)`` besides one block of Jacobian rows.  ``leastsq`` with ``Dfun``
  (lmder) needs 3.67 times the m-by-n Jacobian (``large_m.py``), 8.8 GB at
  m = 10**8: not run here.
* Time, at ``--time-m``: ``leastsq_rows`` and ``leastsq(..., Dfun=...)``
  (lmder, the Jacobian returned as one (m, n) array) alternated, best of
  ``rounds`` solves, per evaluation of the residuals (nfev) and per
  Jacobian (njev); both take the same path here.  The time is the solving
  thread's CPU time (``time.thread_time``): on this project's shared 2-core
  machine the wall-clock ratio of two such solves varied from 1.0 to 1.7
  between runs, with the machine's load, while the CPU-time ratio held.
  The best wall-clock times are printed beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import pyminpack

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--memory-m", type=lambda text: int(float(text)), default=10**8)
_parser.add_argument("--time-m", type=lambda text: int(float(text)), default=10**6)
_parser.add_argument("--rounds", type=int, default=5)
_parser.add_argument("--peak-of", type=lambda text: int(float(text)), help=argparse.SUPPRESS)
ARGUMENTS = _parser.parse_args()
P0 = np.array([1.0, 1.0, 1.0])


class Problem:
    """The data of m points, and the residuals and Jacobian of ``a*exp(-b*t) + c`` on them."""

    def __init__(self, m: int) -> None:
        self.t = np.linspace(0.0, 5.0, m)
        y = np.multiply(self.t, 97.0)  # y = 2 exp(-1.5 t) + 0.5 + 0.01 sin(97 t), in place
        np.sin(y, out=y)
        y *= 0.01
        decay = np.multiply(self.t, -1.5)
        np.exp(decay, out=decay)
        decay *= 2.0
        y += decay
        del decay
        y += 0.5
        self.y = y

    def residuals(self, p):
        r = np.multiply(self.t, -p[1])
        np.exp(r, out=r)
        r *= p[0]
        r += p[2]
        r -= self.y
        return r

    def jac_rows(self, p, rows):
        t = self.t[rows]
        block = np.empty((len(t), 3))
        e = np.exp(-p[1] * t)
        block[:, 0] = e
        block[:, 1] = -p[0] * t * e
        block[:, 2] = 1.0
        return block

    def jacobian(self, p):
        return self.jac_rows(p, slice(None))


_STATUS = Path("/proc/self/status")


def _status_kib(field):
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _print_peak(m):
    """In the fresh process: the data, then one solve; prints peak bytes above the start, seconds, nfev, njev, ier."""
    problem = Problem(m)
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    _x, _cov, info, _mesg, ier = pyminpack.leastsq_rows(problem.residuals, P0, problem.jac_rows, full_output=True)
    seconds = time.perf_counter() - start
    print((_status_kib("VmHWM") - before) * 1024, seconds, info["nfev"], info["njev"], ier)


def peak(m):
    """(peak bytes, seconds, nfev, njev, ier) of one solve of m points in a fresh process."""
    command = [sys.executable, __file__, "--peak-of", str(m)]
    fields = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return int(fields[0]), float(fields[1]), int(fields[2]), int(fields[3]), int(fields[4])


def timing(m, rounds):
    """{solver: (best CPU seconds, best wall seconds, nfev, njev)} at m points, the two solvers alternated."""
    problem = Problem(m)
    solvers = {
        "leastsq_rows (lmstr)": lambda: pyminpack.leastsq_rows(
            problem.residuals, P0, problem.jac_rows, full_output=True
        ),
        "leastsq, Dfun (lmder)": lambda: pyminpack.leastsq(
            problem.residuals, P0, Dfun=problem.jacobian, full_output=True
        ),
    }
    best = dict.fromkeys(solvers, float("inf"))
    best_wall = dict.fromkeys(solvers, float("inf"))
    counts = {}
    for _ in range(rounds):
        for name, solve in solvers.items():
            start, start_wall = time.thread_time(), time.perf_counter()
            _x, _cov, info, _mesg, _ier = solve()
            best[name] = min(best[name], time.thread_time() - start)
            best_wall[name] = min(best_wall[name], time.perf_counter() - start_wall)
            counts[name] = info["nfev"], info["njev"]
    return {name: (best[name], best_wall[name], *counts[name]) for name in solvers}


def main():
    if ARGUMENTS.peak_of:
        _print_peak(ARGUMENTS.peak_of)
        return
    m = ARGUMENTS.time_m
    print(f"time at m = {m:,}, n = 3, best of {ARGUMENTS.rounds} (CPU time of the solving thread; wall clock):")
    results = timing(m, ARGUMENTS.rounds)
    per_nfev = {name: seconds / nfev for name, (seconds, _wall, nfev, _njev) in results.items()}
    reference = per_nfev["leastsq, Dfun (lmder)"]
    for name, (seconds, wall, nfev, njev) in results.items():
        print(
            f"  {name:22} {seconds * 1e3:7.1f} ms  nfev {nfev:3d}  njev {njev:3d}  "
            f"{per_nfev[name] * 1e3:6.2f} ms/nfev  {seconds / njev * 1e3:6.2f} ms/njev  "
            f"ratio {per_nfev[name] / reference:4.2f}  (wall {wall * 1e3:6.1f} ms)"
        )
    m = ARGUMENTS.memory_m
    size, seconds, nfev, njev, ier = peak(m)
    fvec_bytes = 8 * m
    print(
        f"memory at m = {m:,}: leastsq_rows' resident peak above the data {size / 1e9:.3f} GB = "
        f"{size / fvec_bytes:.3f} x fvec ({fvec_bytes / 1e9:.1f} GB) = {size / (3 * fvec_bytes):.3f} x the m-by-n "
        f"Jacobian; the solve took {seconds:.1f} s, nfev {nfev}, njev {njev}, ier {ier}"
    )


if __name__ == "__main__":
    main()
