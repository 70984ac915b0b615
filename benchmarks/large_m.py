"""Large-m solves: time and peak memory, pyminpack against SciPy.

Run: ``python3 benchmarks/large_m.py [m] [--rounds R]`` (default m = 10**6,
R = 5).  Fits ``a*exp(-b*t) + c`` with n = 3 to m points, vectorised numpy
residuals, without ``Dfun``, with ``Dfun`` (rows) and with ``Dfun`` and
``col_deriv=True``.  The solvers are timed in alternation and the best of
``rounds`` solves is kept, which makes the ratio robust on a shared machine.

Two memory measures, both above what was in use before the solve:

* the peak that ``tracemalloc`` sees.  numpy reports its buffers to it, so
  it sees every array pyminpack allocates (f2py allocates MINPACK's work
  arrays through numpy) but not work arrays that a C extension mallocs
  itself, as SciPy does;
* the peak resident set size (Linux: ``VmHWM`` after resetting it through
  ``/proc/self/clear_refs``), which sees every byte either solver touches:
  the fair comparison.  Each solver and case is measured in a fresh process,
  so that neither inherits the other's freed but still mapped heap.

Memory is also printed in units of the m-by-n Jacobian's size (8*m*n bytes).
SciPy is measured in the same run when it is installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import pyminpack

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("m", nargs="?", type=lambda text: int(float(text)), default=10**6)
_parser.add_argument("--rounds", type=int, default=5)
_parser.add_argument("--resident-peak-of", nargs=2, metavar=("SOLVER", "CASE"), help=argparse.SUPPRESS)
ARGUMENTS = _parser.parse_args()
M = ARGUMENTS.m
T = np.linspace(0.0, 5.0, M)
Y = 2.0 * np.exp(-1.5 * T) + 0.5 + 0.01 * np.sin(97.0 * T)
P0 = np.array([1.0, 1.0, 1.0])


def residuals(p):
    return p[0] * np.exp(-p[1] * T) + p[2] - Y


def jacobian_rows(p):
    e = np.exp(-p[1] * T)
    return np.column_stack([e, -p[0] * T * e, np.ones_like(T)])


def jacobian_columns(p):
    e = np.exp(-p[1] * T)
    return np.vstack([e, -p[0] * T * e, np.ones_like(T)])


CASES = {
    "no Dfun": {},
    "Dfun (rows)": {"Dfun": jacobian_rows},
    "Dfun, col_deriv": {"Dfun": jacobian_columns, "col_deriv": True},
}

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field):
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def resident_peak(solver, case):
    """Peak resident bytes above the starting ones of one solve in a fresh process, or None off Linux."""
    command = [sys.executable, __file__, str(M), "--resident-peak-of", solver, case]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    return None if output == "None" else int(output)


def _print_resident_peak(solver, case):
    leastsq = available_solvers()[solver]
    try:
        _CLEAR_REFS.write_text("5")  # resets VmHWM to the current VmRSS
        before = _status_kib("VmRSS")
    except OSError:
        print(None)
        return
    leastsq(residuals, P0, **CASES[case])
    print((_status_kib("VmHWM") - before) * 1024)


def traced_peak(solve):
    """Peak bytes that tracemalloc sees above the current ones during ``solve()``."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    solve()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def measure(solvers, case):
    """{solver: (best seconds, traced peak, resident peak, nfev)} for one case."""
    kwargs = CASES[case]
    best = dict.fromkeys(solvers, float("inf"))
    nfev = {}
    for _ in range(ARGUMENTS.rounds):
        for name, leastsq in solvers.items():
            start = time.perf_counter()
            _x, _cov, info, _mesg, _ier = leastsq(residuals, P0, full_output=True, **kwargs)
            best[name] = min(best[name], time.perf_counter() - start)
            nfev[name] = info["nfev"]
    results = {}
    for name, leastsq in solvers.items():

        def solve(leastsq=leastsq):
            leastsq(residuals, P0, **kwargs)

        results[name] = (best[name], traced_peak(solve), resident_peak(name, case), nfev[name])
    return results


def _megabytes(size, jacobian_bytes):
    if size is None:
        return f"{'n/a':>14}"
    return f"{size / 1e6:6.0f}MB {size / jacobian_bytes:5.2f}J"


def available_solvers():
    """pyminpack's leastsq, and SciPy's when it is installed."""
    solvers = {"pyminpack": pyminpack.leastsq}
    try:
        import scipy
        from scipy.optimize import leastsq as scipy_leastsq

        solvers[f"scipy-{scipy.__version__}"] = scipy_leastsq
    except ImportError:
        pass
    return solvers


def main():
    if ARGUMENTS.resident_peak_of:
        _print_resident_peak(*ARGUMENTS.resident_peak_of)
        return
    solvers = available_solvers()
    jacobian_bytes = 8 * M * len(P0)
    print(
        f"m = {M:,}, n = 3, best of {ARGUMENTS.rounds}; "
        f"memory also in units of the m-by-n Jacobian J ({jacobian_bytes / 1e6:.0f} MB)"
    )
    print(f"{'case':16} {'solver':13} {'time':>8} {'traced peak':>14} {'resident peak':>14} {'nfev':>5}  time ratio")
    for case in CASES:
        results = measure(solvers, case)
        reference = results["pyminpack"][0]
        for name, (seconds, traced, resident, nfev) in results.items():
            print(
                f"{case:16} {name:13} {seconds * 1e3:6.0f}ms {_megabytes(traced, jacobian_bytes)} "
                f"{_megabytes(resident, jacobian_bytes)} {nfev:5d}  {seconds / reference:5.2f}"
            )


if __name__ == "__main__":
    main()
