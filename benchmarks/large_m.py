"""Large-m solves: time and traced peak memory, pyminpack against SciPy.

Run: ``python3 benchmarks/large_m.py [m]`` (default m = 10**6).  Fits
``a*exp(-b*t) + c`` with n = 3 to m points, vectorised numpy residuals,
without ``Dfun``, with ``Dfun`` (rows) and with ``Dfun`` and
``col_deriv=True``.  Memory is the peak that ``tracemalloc`` sees (numpy
reports its buffers to it), above what was allocated before the call, and is
printed in units of the m-by-n Jacobian's size (8*m*n bytes).  Times are the
best of three.  SciPy is measured in the same run when it is installed.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

import pyminpack

M = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6
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


def measure(leastsq, kwargs):
    """Return (best time in s, traced peak in bytes, nfev) of one solve."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        _x, _cov, info, _mesg, _ier = leastsq(residuals, P0, full_output=True, **kwargs)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    leastsq(residuals, P0, **kwargs)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return min(times), peak, info["nfev"]


def main():
    solvers = {"pyminpack": pyminpack.leastsq}
    try:
        import scipy
        from scipy.optimize import leastsq as scipy_leastsq

        solvers[f"scipy {scipy.__version__}"] = scipy_leastsq
    except ImportError:
        pass
    jacobian_bytes = 8 * M * len(P0)
    print(f"m = {M:,}, n = 3; memory in units of the m-by-n Jacobian ({jacobian_bytes / 1e6:.0f} MB)")
    print(f"{'case':18} {'solver':14} {'time':>9} {'peak':>8} {'peak/J':>7} {'nfev':>5}  time ratio")
    for case, kwargs in CASES.items():
        results = {name: measure(solver, kwargs) for name, solver in solvers.items()}
        reference = results["pyminpack"][0]
        for name, (seconds, peak, nfev) in results.items():
            print(
                f"{case:18} {name:14} {seconds * 1e3:7.0f}ms {peak / 1e6:6.0f}MB "
                f"{peak / jacobian_bytes:7.2f} {nfev:5d}  {seconds / reference:5.2f}"
            )


if __name__ == "__main__":
    main()
