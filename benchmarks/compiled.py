"""Compiled callbacks and fit_many against the pure-Fortran limit, SciPy and Python callbacks.

Run:  python benchmarks/compiled.py [K [PARTS]]
      (K curves for part d, default 100000; PARTS the parts to run, default cde)

Needs gfortran and cc (builds benchmarks/fortran_driver/ and the C
residuals into a temporary directory); SciPy and numba are optional.

(c) exp-decay a*exp(-b*x)+c, 50 points, p0=(1,1,1), lmdif: CPU microseconds
    per fit (the solving thread's or process's: what other work on a shared
    machine inflates least) for the Fortran driver, leastsq(Compiled(C via ctypes)),
    leastsq(Compiled(numba cfunc)), pyminpack and SciPy leastsq with a Python
    callback.
(d) K Gaussian peaks a*exp(-((x-mu)/s)**2/2)+c, 32 points, 4 parameters:
    fit_many with 1 and 2 workers, with and without the analytic
    Jacobian, against the Fortran driver on one core, two Fortran drivers
    run at once on K/2 curves each (what this machine's two cores give a
    program with no shared state at all: the ceiling for fit_many's scaling),
    all four best of 3 rounds taken in turn, and a Python loop over
    scipy.optimize.curve_fit (timed on a subset, extrapolated to K).
(e) fsolve on Broyden's tridiagonal equations (Moré-Garbow-Hillstrom
    problem 30), n = 10 and 30, from x = -1: microseconds per solve for the
    Fortran hybrd/hybrj driver (benchmarks/fortran_driver/hybrid_driver.f90)
    and fsolve(Compiled(C via ctypes)), best of 5 rounds taken in turn, and
    whether both give the same x and nfev.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import pyminpack
from pyminpack import Compiled, fit_many

HERE = Path(__file__).resolve().parent

C_SOURCE = r"""
#include <math.h>
/* user_data: x[0..m-1] then y[0..m-1] */
int expdecay(int m, int n, const double *p, double *f, void *ud) {
    const double *x = (const double *)ud, *y = x + m;
    for (int i = 0; i < m; i++) f[i] = p[0] * exp(-p[1] * x[i]) + p[2] - y[i];
    return 0;
}
/* Broyden's tridiagonal equations, as hybrid_driver.f90 computes them, and their Jacobian */
int broyden(int m, int n, const double *p, double *f, void *ud) {
    for (int i = 0; i < n; i++) {
        double left = i > 0 ? p[i - 1] : 0.0, right = i < n - 1 ? p[i + 1] : 0.0;
        f[i] = (3.0 - 2.0 * p[i]) * p[i] - left - 2.0 * right + 1.0;
    }
    return 0;
}
int broyden_jacobian(int m, int n, const double *p, double *J, int ld, void *ud) {
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            J[i + j * ld] = j == i ? 3.0 - 4.0 * p[i] : j == i - 1 ? -1.0 : j == i + 1 ? -2.0 : 0.0;
    return 0;
}
int gauss(int m, int n, const double *p, const double *x, double *out, void *ud) {
    for (int i = 0; i < m; i++) {
        double t = (x[i] - p[1]) / p[2];
        out[i] = p[0] * exp(-t * t / 2.0) + p[3];
    }
    return 0;
}
int gauss_jacobian(int m, int n, const double *p, const double *x, double *J, int ld, void *ud) {
    for (int i = 0; i < m; i++) {
        double t = (x[i] - p[1]) / p[2];
        double e = exp(-t * t / 2.0);
        J[i] = e;
        J[i + ld] = p[0] * e * t / p[2];
        J[i + 2 * ld] = p[0] * e * t * t / p[2];
        J[i + 3 * ld] = 1.0;
    }
    return 0;
}
"""

P = ctypes.POINTER(ctypes.c_double)
RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_int, ctypes.c_void_p)
MODEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_void_p)
MODEL_JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_int, ctypes.c_void_p)


def build(work: Path) -> tuple[Path, dict[str, object]]:
    driver = work / "driver"
    subprocess.run(
        ["sh", str(HERE / "fortran_driver" / "build.sh"), str(driver), str(work / "hybrid_driver")], check=True
    )
    (work / "funcs.c").write_text(C_SOURCE)
    # -ffp-contract=off as pyminpack and the drivers are built: the same bits on any CPU.
    subprocess.run(
        ["cc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", str(work / "funcs.c"), "-o", str(work / "funcs.so"),
         "-lm"],
        check=True,
    )  # fmt: skip
    lib = ctypes.CDLL(str(work / "funcs.so"))
    return driver, {
        "lib": lib,
        "broyden": RESIDUALS(("broyden", lib)),
        "broyden_jacobian": JACOBIAN(("broyden_jacobian", lib)),
        "expdecay": RESIDUALS(("expdecay", lib)),
        "gauss": MODEL(("gauss", lib)),
        "gauss_jacobian": MODEL_JACOBIAN(("gauss_jacobian", lib)),
    }


def write_data(path: Path, x: np.ndarray, y: np.ndarray, p0: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.array([y.shape[1], len(p0), y.shape[0]], np.int32).tofile(f)
        x.astype(np.float64).tofile(f)
        np.ascontiguousarray(y, np.float64).tofile(f)
        p0.astype(np.float64).tofile(f)


def run_driver(
    driver: Path, problem: int, jacobian: int, repeats: int, data: Path, *, cpu: bool = False
) -> tuple[float, np.ndarray, int]:
    """One run: (seconds per fit, wall-clock or CPU, the first curve's parameters, its nfev)."""
    out = subprocess.run(
        [str(driver), str(problem), str(jacobian), str(repeats), str(data)], check=True, capture_output=True, text=True
    ).stdout.split("\n")
    return float(out[6] if cpu else out[0]), np.array(out[1].split(), float), int(out[2].split()[0])


def run_drivers_at_once(driver: Path, problem: int, jacobian: int, halves: list[Path], curves: int) -> float:
    """Seconds until the last of two drivers, started together on one half each, is done fitting."""
    command = [str(driver), str(problem), str(jacobian), "1"]
    running = [subprocess.Popen([*command, str(half)], stdout=subprocess.PIPE, text=True) for half in halves]
    per_fit = [float(process.communicate()[0].split("\n")[0]) for process in running]
    return max(per_fit) * curves / 2


def wall_time(f: Callable[[], object]) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def best_in_alternation(rounds: int, measurements: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Best of ``rounds`` for each measurement, taken in turn, so that a busy spell of a shared machine
    hits all of them rather than one."""
    best = dict.fromkeys(measurements, float("inf"))
    for _ in range(rounds):
        for name, measure in measurements.items():
            best[name] = min(best[name], measure())
    return best


def per_call(f, number: int, repeat: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Best of ``repeat`` runs, seconds per call by ``clock``."""
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        for _ in range(number):
            f()
        best = min(best, (clock() - t) / number)
    return best


def cpu_per_call(f, number: int, repeat: int = 5) -> float:
    """:func:`per_call` in this thread's CPU time, which other work on a shared machine inflates least."""
    return per_call(f, number, repeat, time.thread_time)


def numba_expdecay():
    try:
        import numba
        from numba import carray, types
    except ImportError:
        return None
    sig = types.intc(
        types.intc, types.intc, types.CPointer(types.double), types.CPointer(types.double), types.CPointer(types.double)
    )

    @numba.cfunc(sig)
    def expdecay(m, n, p_, f_, xy_):
        p = carray(p_, (n,))
        f = carray(f_, (m,))
        xy = carray(xy_, (2 * m,))
        for i in range(m):
            f[i] = p[0] * np.exp(-p[1] * xy[i]) + p[2] - xy[m + i]
        return 0

    # declared with double* user data: re-typed as void* for Compiled.
    return RESIDUALS(expdecay.address), expdecay


def part_c(driver: Path, funcs: dict, work: Path) -> None:
    x = np.linspace(0, 5, 50)
    y = 2.0 * np.exp(-1.5 * x) + 0.5 + 0.01 * np.sin(7 * x)
    p0 = np.array([1.0, 1.0, 1.0])
    data = work / "expdecay.bin"
    write_data(data, x, y[None, :], p0)
    fortran, fortran_p, fortran_nfev = run_driver(driver, 1, 0, 200_000, data, cpu=True)
    fortran = min(fortran, *(run_driver(driver, 1, 0, 200_000, data, cpu=True)[0] for _ in range(2)))
    xy = np.concatenate([x, y])
    rows = [("Fortran driver (lmdif, no Python)", fortran)]
    compiled = Compiled(funcs["expdecay"], 50, user_data=xy)
    p, _cov, info, _, _ier = pyminpack.leastsq(compiled, p0, full_output=True)
    same = np.array_equal(p, fortran_p) and info["nfev"] == fortran_nfev
    rows.append(
        ("pyminpack leastsq(Compiled(C via ctypes))", cpu_per_call(lambda: pyminpack.leastsq(compiled, p0), 20_000))
    )
    nb = numba_expdecay()
    if nb is not None:
        nb_compiled = Compiled(nb[0], 50, user_data=xy)
        solve = lambda: pyminpack.leastsq(nb_compiled, p0)  # noqa: E731
        rows.append(("pyminpack leastsq(Compiled(numba cfunc))", cpu_per_call(solve, 20_000)))

    def residuals(p, x, y):
        return p[0] * np.exp(-p[1] * x) + p[2] - y

    python_solve = lambda: pyminpack.leastsq(residuals, p0, args=(x, y))  # noqa: E731
    rows.append(("pyminpack leastsq, Python callback", cpu_per_call(python_solve, 3000)))
    try:
        import scipy
        from scipy.optimize import leastsq as scipy_leastsq

        rows.append(
            (
                f"SciPy {scipy.__version__} leastsq, Python callback",
                cpu_per_call(lambda: scipy_leastsq(residuals, p0, args=(x, y)), 3000),
            )
        )
    except ImportError:
        pass
    print(
        f"(c) exp-decay, 50 points, lmdif ({fortran_nfev} evaluations); compiled result identical to the "
        f"Fortran driver's (x, nfev): {same}"
    )
    print(f"    {'':56s} {'CPU us/fit':>10s} {'x Fortran':>10s}")
    for name, seconds in rows:
        print(f"    {name:56s} {seconds * 1e6:10.2f} {seconds / fortran:10.2f}")


def part_d(driver: Path, funcs: dict, work: Path, K: int) -> None:
    rng = np.random.default_rng(0)
    m = 32
    x = np.linspace(-5, 5, m)
    a = rng.uniform(1, 3, K)[:, None]
    mu = rng.uniform(-1, 1, K)[:, None]
    s = rng.uniform(0.5, 1.5, K)[:, None]
    c = rng.uniform(0, 0.5, K)[:, None]
    y = a * np.exp(-(((x - mu) / s) ** 2) / 2) + c + 0.02 * rng.standard_normal((K, m))
    p0 = np.array([2.0, 0.0, 1.0, 0.25])
    data = work / "gauss.bin"
    write_data(data, x, y, p0)
    halves = [work / "gauss-first-half.bin", work / "gauss-second-half.bin"]
    write_data(halves[0], x, y[: K // 2], p0)
    write_data(halves[1], x, y[K // 2 : 2 * (K // 2)], p0)
    print(f"\n(d) {K} Gaussian peaks, 32 points, 4 parameters, p0 = {tuple(p0.tolist())}")
    print(f"    {'':56s} {'total s':>9s} {'us/fit':>9s} {'x Fortran':>10s}")
    fortran_lmdif = None
    for jac in (0, 1):
        fortran, fp, fnfev = run_driver(driver, 2, jac, 1, data)
        label = "lmder, analytic Jacobian" if jac else "lmdif, forward differences"
        jacobian = funcs["gauss_jacobian"] if jac else None

        def fit(workers: int, jacobian: object = jacobian) -> object:
            return fit_many(funcs["gauss"], y, p0, x=x, jacobian=jacobian, workers=workers)

        rows = best_in_alternation(
            3,
            {
                f"Fortran driver, 1 core ({label})": lambda jac=jac: run_driver(driver, 2, jac, 1, data)[0] * K,
                "Fortran driver, 2 processes at once, K/2 curves each": lambda jac=jac: run_drivers_at_once(
                    driver, 2, jac, halves, K
                ),
                "fit_many, workers=1": lambda: wall_time(lambda: fit(1)),
                "fit_many, workers=2": lambda: wall_time(lambda: fit(2)),
            },
        )
        fortran = rows[f"Fortran driver, 1 core ({label})"] / K
        fortran_lmdif = fortran_lmdif or fortran
        fits = fit(2)
        same = np.array_equal(fits.params[0], fp) and fits.nfev[0] == fnfev
        ok = np.isin(fits.ier, [1, 2, 3, 4]).mean()
        print(f"  {label}: {ok:.1%} converged; curve 0 identical to the Fortran driver's: {same}")
        for name, seconds in rows.items():
            print(f"    {name:56s} {seconds:9.3f} {seconds / K * 1e6:9.2f} {seconds / (fortran * K):10.2f}")
        print(
            f"    1 -> 2: fit_many x{rows['fit_many, workers=1'] / rows['fit_many, workers=2']:.2f}, the two Fortran "
            f"processes x{fortran * K / rows['Fortran driver, 2 processes at once, K/2 curves each']:.2f} "
            "(this machine's ceiling)"
        )
    try:
        import scipy
        from scipy.optimize import curve_fit
    except ImportError:
        print("    (SciPy not installed: no curve_fit loop)")
        return

    def gauss(x, a, mu, s, c):
        return a * np.exp(-(((x - mu) / s) ** 2) / 2) + c

    subset = min(K, 2000)
    t = time.perf_counter()
    for k in range(subset):
        curve_fit(gauss, x, y[k], p0=p0)
    per_fit = (time.perf_counter() - t) / subset
    print(
        f"    {'SciPy ' + scipy.__version__ + ' curve_fit loop (' + str(subset) + ' fits, extrapolated)':56s} "
        f"{per_fit * K:9.3f} {per_fit * 1e6:9.2f} {per_fit / fortran_lmdif:10.2f}  (vs Fortran lmdif)"
    )


def run_hybrid_driver(driver: Path, n: int, jacobian: int, repeats: int) -> tuple[float, np.ndarray, int, int]:
    """One run of the hybrd/hybrj driver: (CPU seconds per solve, x, nfev, njev)."""
    out = subprocess.run(
        [str(driver), str(n), str(jacobian), str(repeats)], check=True, capture_output=True, text=True
    ).stdout.split("\n")
    nfev, njev, _info = (int(value) for value in out[2].split())
    return float(out[3]), np.array(out[1].split(), float), nfev, njev


def part_e(funcs: dict, work: Path) -> None:
    driver = work / "hybrid_driver"
    print("\n(e) fsolve, Broyden's tridiagonal equations from x = -1; CPU time, best of 5 rounds in turn")
    print(f"    {'':44s} {'nfev':>5s} {'Fortran us':>11s} {'fsolve us':>10s} {'ratio':>6s}  same x, nfev")
    for n in (10, 30):
        x0 = -np.ones(n)
        repeats = 2_000_000 // (n * n)  # about a second per driver run
        for jacobian in (0, 1):
            compiled = Compiled(funcs["broyden"], n, jacobian=funcs["broyden_jacobian"] if jacobian else None)
            x, info, _ier, _ = pyminpack.fsolve(compiled, x0, full_output=True)
            _, fortran_x, fortran_nfev, fortran_njev = run_hybrid_driver(driver, n, jacobian, 1)
            same = np.array_equal(x, fortran_x) and info["nfev"] == fortran_nfev
            same = same and info.get("njev", 0) == fortran_njev
            best = best_in_alternation(
                5,
                {
                    "fortran": lambda n=n, jacobian=jacobian, repeats=repeats: run_hybrid_driver(
                        driver, n, jacobian, repeats
                    )[0],
                    "fsolve": lambda compiled=compiled, x0=x0, repeats=repeats: cpu_per_call(
                        lambda: pyminpack.fsolve(compiled, x0), repeats, repeat=1
                    ),
                },
            )
            label = f"n = {n}, {'hybrj (analytic Jacobian)' if jacobian else 'hybrd (forward differences)'}"
            print(
                f"    {label:44s} {fortran_nfev:5d} {best['fortran'] * 1e6:11.2f} {best['fsolve'] * 1e6:10.2f}"
                f" {best['fsolve'] / best['fortran']:6.2f}  {same}"
            )


def main() -> None:
    K = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    parts = sys.argv[2] if len(sys.argv) > 2 else "cde"
    print(
        f"pyminpack {pyminpack.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        driver, funcs = build(work)
        if "c" in parts:
            part_c(driver, funcs, work)
        if "d" in parts:
            part_d(driver, funcs, work, K)
        if "e" in parts:
            part_e(funcs, work)


if __name__ == "__main__":
    main()
