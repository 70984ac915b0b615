"""Whole fsolve calls, pyminpack against the installed SciPy.

Run: ``python3 benchmarks/fsolve.py [repeats]``.

Two small systems with the same Python functions for both: SciPy's docstring
example (``x0*cos(x1) = 4, x1*x0 - x1 = 5``, whose function returns a list),
with and without ``fprime``, and Rosenbrock's equations returning a float64
array.  Best of ``repeats`` rounds of 200 calls each, the two solvers timed
in alternation (robust on a shared, noisy machine).  SciPy >= 1.15 runs a C
translation of MINPACK, SciPy <= 1.14 the same Fortran as pyminpack.
"""

from __future__ import annotations

import functools
import sys
import timeit

import numpy as np
import scipy
import scipy.optimize

import pyminpack


def trig(x):
    return [x[0] * np.cos(x[1]) - 4, x[1] * x[0] - x[1] - 5]


def trig_jacobian(x):
    return [[np.cos(x[1]), -x[0] * np.sin(x[1])], [x[1], x[0] - 1]]


def rosenbrock(p):
    return np.array([10.0 * (p[1] - p[0] * p[0]), 1.0 - p[0]])


PROBLEMS = {
    "docstring example (list)": (trig, [1.0, 1.0], {}),
    "docstring example + fprime": (trig, [1.0, 1.0], {"fprime": trig_jacobian}),
    "Rosenbrock (ndarray)": (rosenbrock, [-1.2, 1.0], {}),
}


def main(repeats: int = 5) -> None:
    print(f"pyminpack {pyminpack.__version__}, SciPy {scipy.__version__}; microseconds per call")
    for name, (func, x0, kwargs) in PROBLEMS.items():
        best = {"pyminpack": float("inf"), "scipy": float("inf")}
        for _ in range(repeats):
            for label, solve in (("pyminpack", pyminpack.fsolve), ("scipy", scipy.optimize.fsolve)):
                elapsed = timeit.timeit(functools.partial(solve, func, x0, **kwargs), number=200) / 200
                best[label] = min(best[label], elapsed)
        ratio = best["pyminpack"] / best["scipy"]
        print(f"{name:28s} {best['pyminpack'] * 1e6:8.1f} {best['scipy'] * 1e6:8.1f}  ratio {ratio:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
