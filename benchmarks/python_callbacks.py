"""Per-evaluation overhead of the Python-callback path, pyminpack against SciPy.

Run: ``python3 benchmarks/python_callbacks.py [repeats]``.

For each problem -- the exponential decay of the issue (``a*exp(-b*x) + c``,
50 points, p0 = (1, 1, 1)) and the 18 Moré-Garbow-Hillstrom problems at
their standard starting points (``tests/mgh.py``), with and without
``Dfun`` -- both solvers run the same Python functions, and two numbers are
printed for each:

* the whole solve's wall time, the number a user waits for;
* the overhead per call: wall time minus the time spent inside the user's
  functions (they time themselves), divided by the number of calls --
  everything the binding and MINPACK add per evaluation.  When one solver
  calls the functions more often for the same answer (SciPy's C wrapper
  makes an extra call on some problems), this divides its overhead by more
  calls, so read it together with the solve time.

A last table times the exp decay through the calls users make most --
``leastsq`` plain and with ``full_output=True`` (which adds ``cov_x``), and
``curve_fit`` -- whole calls, the SciPy function of the same name beside;
and the overhead per evaluation measured with no timer inside the solve
(wall time minus the evaluations times the function's own time, timed
apart), which the per-call column above, timed from inside, overstates.

The two solvers are timed in alternation and the best of ``repeats`` rounds
is kept, which makes the comparison robust on a shared, noisy machine.
Ratios below 1 favour pyminpack.  SciPy >= 1.15 runs a C translation of MINPACK, SciPy <= 1.14 the
same Fortran as pyminpack.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

import pyminpack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import mgh

try:
    import scipy
    import scipy.optimize as scipy_optimize
    from scipy.optimize import leastsq as scipy_leastsq
except ImportError:  # pragma: no cover - the benchmark needs SciPy as reference
    sys.exit("this benchmark compares with SciPy: pip install scipy")

_clock = time.perf_counter


class Timed:
    """Wrap a function so that it adds its own time and calls to a tally."""

    def __init__(self, function):
        self.function = function
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args):
        start = _clock()
        result = self.function(*args)
        self.seconds += _clock() - start
        self.calls += 1
        return result


def overhead(leastsq, func, jac, x0, args, rounds):
    """Best (wall - callback) / calls and best wall time over ``rounds`` solves."""
    best = fastest = np.inf
    for _ in range(rounds):
        timed_func, timed_jac = Timed(func), Timed(jac) if jac else None
        start = _clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            leastsq(timed_func, x0, args=args, Dfun=timed_jac)
        wall = _clock() - start
        inside = timed_func.seconds + (timed_jac.seconds if timed_jac else 0.0)
        calls = timed_func.calls + (timed_jac.calls if timed_jac else 0)
        best = min(best, (wall - inside) / calls)
        fastest = min(fastest, wall)
    return best, fastest


def problems():
    t = np.linspace(0.0, 5.0, 50)
    y = 2.0 * np.exp(-1.5 * t) + 0.5 + np.random.default_rng(0).normal(0.0, 0.2, t.size)

    def decay(p, t, y):
        return p[0] * np.exp(-p[1] * t) + p[2] - y

    def decay_jac(p, t, y):
        e = np.exp(-p[1] * t)
        return np.column_stack([e, -p[0] * t * e, np.ones_like(t)])

    yield "exp decay", decay, decay_jac, np.ones(3), (t, y)
    for case in mgh.CASES:
        if case.factor == 1:
            yield case.id, mgh.residuals, mgh.jacobian, case.x0, case.args


def everyday_calls(rounds):
    """Rows (name, pyminpack s, SciPy s): the exp decay through the calls users make most."""
    t = np.linspace(0.0, 5.0, 50)
    y = 2.0 * np.exp(-1.5 * t) + 0.5 + np.random.default_rng(0).normal(0.0, 0.2, t.size)

    def decay(p, t, y):
        return p[0] * np.exp(-p[1] * t) + p[2] - y

    def model(t, a, b, c):
        return a * np.exp(-b * t) + c

    def rosenbrock_list(p):  # a function returning a Python list: converted per evaluation
        return [10.0 * (p[1] - p[0] * p[0]), 1.0 - p[0]]

    calls = {
        "leastsq(func, x0, args)": lambda module: module.leastsq(decay, np.ones(3), args=(t, y)),
        "leastsq(..., full_output=True)": lambda module: module.leastsq(
            decay, np.ones(3), args=(t, y), full_output=True
        ),
        "curve_fit(f, x, y, p0)": lambda module: module.curve_fit(model, t, y, p0=np.ones(3)),
        "leastsq(Rosenbrock returning a list)": lambda module: module.leastsq(rosenbrock_list, [-1.2, 1.0]),
    }
    rows = []
    for name, call in calls.items():
        best = {pyminpack: np.inf, scipy_optimize: np.inf}
        for _ in range(rounds):
            for module in best:
                start = _clock()
                for _ in range(20):
                    call(module)
                best[module] = min(best[module], (_clock() - start) / 20)
        rows.append((name, best[pyminpack], best[scipy_optimize]))
    return rows


def overhead_timed_apart(rounds):
    """(pyminpack, SciPy) seconds per evaluation of the exp decay: wall minus the function's own time.

    The function's own time is measured apart, in a plain loop, so that no
    timer runs inside the solve; each solver's evaluations are counted.
    """
    t = np.linspace(0.0, 5.0, 50)
    y = 2.0 * np.exp(-1.5 * t) + 0.5 + np.random.default_rng(0).normal(0.0, 0.2, t.size)
    evaluations = [0]

    def decay(p, t, y):
        evaluations[0] += 1
        return p[0] * np.exp(-p[1] * t) + p[2] - y

    own, x0 = np.inf, np.ones(3)
    for _ in range(rounds):
        start = _clock()
        for _ in range(1000):
            decay(x0, t, y)
        own = min(own, (_clock() - start) / 1000)
    best = {pyminpack: np.inf, scipy_optimize: np.inf}
    for _ in range(rounds):
        for module in best:
            evaluations[0] = 0
            start = _clock()
            for _ in range(50):
                module.leastsq(decay, np.ones(3), args=(t, y))
            per_call = (_clock() - start) / evaluations[0]
            best[module] = min(best[module], per_call - own)
    return best[pyminpack], best[scipy_optimize]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    print(f"pyminpack {pyminpack.__version__} vs SciPy {scipy.__version__}; best of {rounds} rounds")
    print(
        f"{'problem':34} {'Dfun':5} {'solve us':>9} {'SciPy':>9} {'ratio':>6}  {'ns/call':>8} {'SciPy':>8} {'ratio':>6}"
    )
    solve_ratios, call_ratios = [], []
    for name, func, jac, x0, args in problems():
        for use_jac in (False, True):
            ours, our_solve = overhead(pyminpack.leastsq, func, jac if use_jac else None, x0, args, rounds)
            theirs, their_solve = overhead(scipy_leastsq, func, jac if use_jac else None, x0, args, rounds)
            solve_ratios.append(our_solve / their_solve)
            call_ratios.append(ours / theirs)
            print(
                f"{name:34} {'yes' if use_jac else 'no':5} {our_solve * 1e6:9.1f} {their_solve * 1e6:9.1f}"
                f" {our_solve / their_solve:6.2f}  {ours * 1e9:8.0f} {theirs * 1e9:8.0f} {ours / theirs:6.2f}"
            )
    print(
        f"geometric mean of the ratios: solve time {np.exp(np.mean(np.log(solve_ratios))):.2f}, "
        f"overhead per call {np.exp(np.mean(np.log(call_ratios))):.2f}"
    )
    print(f"\n{'exp decay, whole call':34} {'':5} {'us':>9} {'SciPy':>9} {'ratio':>6}")
    for name, ours, theirs in everyday_calls(rounds):
        print(f"{name:34} {'':5} {ours * 1e6:9.1f} {theirs * 1e6:9.1f} {ours / theirs:6.2f}")
    ours, theirs = overhead_timed_apart(rounds)
    print(f"{'overhead per evaluation, ns':34} {'':5} {ours * 1e9:9.0f} {theirs * 1e9:9.0f} {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
