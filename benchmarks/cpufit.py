"""fit_many's built-in models against Gpufit's CPU library, Cpufit, in the same run.

Run:  python benchmarks/cpufit.py [K] [--rounds R] [--gpufit DIR]

K fits per case (default 100000), R timing rounds (default 3; the best of
each is kept, the solvers taken in turn within a round so that a busy spell
of a shared machine hits all of them).  Cpufit is built from DIR (default
../shared/anchors/gpufit beside the project checkout: Gpufit's Cpufit/ and
two headers, unmodified, MIT) with g++ into a temporary directory, as
Gpufit's CMake Release build compiles it, and called through ctypes.

Cases: GAUSS_1D with 32 points, GAUSS_2D on spots of 7x7 and 11x11 pixels.
The data follow Gpufit's own performance comparison
(examples/Gpufit_Cpufit_Performance_Comparison.cpp, 2-D Gaussians on 5x5
pixels), scaled to each size: true parameters amplitude 500, centre at the
middle of the window, width window/5 (1 pixel on Gpufit's 5x5), background
10, each multiplied per fit by a uniform factor in [0.9, 1.1]; Gaussian noise
of standard deviation (mean amplitude over the full width at tenth maximum)
/ 10 (Gpufit's SNR 10); starts the true parameters times another such
factor.  Data and starts are rounded to float32 (Cpufit's precision) and the
same values, as float64, go to fit_many.  Both use the pixel-index
convention (Cpufit's user_info NULL, fit_many's x None).  A second pass, one
round, starts the same data from wide starts (amplitude, width and
background times a factor in [0.5, 1.5], the centre moved by up to a width),
where the solvers' robustness differs.

Each solver at its own defaults: Cpufit tolerance 1e-4 (relative change of
chi-square), at most 25 iterations, float32, analytic derivatives; fit_many
MINPACK's lmder with ftol = xtol = 1.49012e-8 (leastsq's defaults) and the
model's analytic Jacobian.  Cpufit is serial: "2 threads" are two Python
threads calling it on half the fits each (ctypes releases the GIL).  For
context, fit_many at Cpufit's tolerance (ftol = xtol = 1e-4) is timed too.

"At the minimum": a fit whose chi-square, computed here in float64 on the
same data with numpy from its parameters, is within 1e-3 (relative) of the
smallest any solver reached on that curve.

fits/s is wall time; fits/CPU-s divides by the CPU time of the process (all
its threads), which a machine shared with other work disturbs less: on an
idle machine the two agree for one thread.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pyminpack
from pyminpack import fit_many

HERE = Path(__file__).resolve().parent
#: Gpufit's ModelID (Gpufit/constants.h) and estimator.
GAUSS_1D, GAUSS_2D, LSE = 0, 1, 0
CPUFIT_TOLERANCE, CPUFIT_ITERATIONS = 1e-4, 25
#: Full width at tenth maximum of a Gaussian, in standard deviations (Gpufit's 4.292).
FWTM = 4.292
#: fit_many at Cpufit's tolerance, for context.
AT_CPUFIT_TOLERANCE = {"ftol": 1e-4, "xtol": 1e-4}
AT_MINIMUM = 1e-3


def build_cpufit(gpufit: Path, work: Path) -> ctypes.CDLL:
    """Compile Cpufit as Gpufit's README (and its CMake Release build) does; return it loaded."""
    library = work / "libCpufit.so"
    sources = sorted(str(path) for path in (gpufit / "Cpufit").glob("*.cpp"))
    compiler = os.environ.get("CXX", "g++")
    command = [compiler, "-O3", "-DNDEBUG", "-std=c++14", "-fPIC", "-fvisibility=hidden", "-shared", *sources]
    subprocess.run([*command, "-o", str(library)], check=True)
    cpufit = ctypes.CDLL(str(library))
    p = ctypes.c_void_p
    cpufit.cpufit.restype = ctypes.c_int
    cpufit.cpufit.argtypes = [
        ctypes.c_size_t, ctypes.c_size_t, p, p, ctypes.c_int, p, ctypes.c_float, ctypes.c_int, p, ctypes.c_int,
        ctypes.c_size_t, p, p, p, p, p,
    ]  # fmt: skip
    cpufit.cpufit_get_last_error.restype = ctypes.c_char_p
    return cpufit


@dataclass
class Case:
    title: str
    model: str  # the built-in model's name
    model_id: int  # Gpufit's
    side: int  # points per axis
    ndim: int

    @property
    def m(self) -> int:
        return self.side**self.ndim


CASES = (
    Case("GAUSS_1D, 32 points", "gauss_1d", GAUSS_1D, 32, 1),
    Case("GAUSS_2D, 7x7 pixels", "gauss_2d", GAUSS_2D, 7, 2),
    Case("GAUSS_2D, 11x11 pixels", "gauss_2d", GAUSS_2D, 11, 2),
)


def coordinates(case: Case) -> list[np.ndarray]:
    """The pixel-index convention: x = i (1-D); x = i % side, y = i // side (2-D, row by row)."""
    index = np.arange(case.m, dtype=float)
    return [index] if case.ndim == 1 else [index % case.side, index // case.side]


def gaussian(case: Case, p: np.ndarray) -> np.ndarray:
    """Gpufit's GAUSS_1D / GAUSS_2D for parameters p (K by n), in float64 numpy: (K, m)."""
    amplitude, width, offset = p[:, :1], p[:, 1 + case.ndim : 2 + case.ndim], p[:, -1:]
    square = sum((axis - p[:, 1 + d : 2 + d]) ** 2 for d, axis in enumerate(coordinates(case)))
    return amplitude * np.exp(-square / (2 * width**2)) + offset


def chi_square(case: Case, p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum of squared residuals in float64, in blocks of curves (bounded memory)."""
    out = np.empty(len(y))
    for start in range(0, len(y), 10_000):
        rows = slice(start, start + 10_000)
        out[rows] = np.sum((gaussian(case, p[rows]) - y[rows]) ** 2, axis=1)
    return out


def problems(case: Case, K: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gpufit's performance-comparison data for this case, its starts and wide starts: float32 arrays."""
    rng = np.random.default_rng(seed)
    width = case.side / 5
    nominal = np.array([500.0, *[case.side / 2 - 0.5] * case.ndim, width, 10.0])
    truth = nominal * rng.uniform(0.9, 1.1, (K, nominal.size))
    fit_area = (FWTM * width) ** case.ndim
    mean_amplitude = (2 * np.pi) ** (case.ndim / 2) * 500.0 * width**case.ndim / fit_area
    data = gaussian(case, truth) + rng.normal(0.0, mean_amplitude / 10, (K, case.m))
    starts = truth * rng.uniform(0.9, 1.1, truth.shape)
    wide = truth * rng.uniform(0.5, 1.5, truth.shape)
    centre = slice(1, 1 + case.ndim)
    wide[:, centre] = truth[:, centre] + truth[:, [1 + case.ndim]] * rng.uniform(-1.0, 1.0, (K, case.ndim))
    return data.astype(np.float32), starts.astype(np.float32), wide.astype(np.float32)


@dataclass
class Run:
    params: np.ndarray  # float64 (K, n)
    converged: np.ndarray  # bool (K,): what the solver reports
    iterations: np.ndarray  # Cpufit's iterations, fit_many's nfev


def run_cpufit(cpufit: ctypes.CDLL, case: Case, data: np.ndarray, starts: np.ndarray, threads: int) -> Run:
    K, n = starts.shape
    params = np.empty_like(starts)
    states = np.empty(K, np.int32)
    chi2 = np.empty(K, np.float32)
    iterations = np.zeros(K, np.int32)
    to_fit = np.ones(n, np.int32)
    status = [0] * threads

    def part(t: int) -> None:
        rows = slice(t * K // threads, (t + 1) * K // threads)
        count = rows.stop - rows.start

        def at(a: np.ndarray) -> int:
            return a.ctypes.data + rows.start * a.strides[0]

        status[t] = cpufit.cpufit(
            count, case.m, at(data), None, case.model_id, at(starts), CPUFIT_TOLERANCE, CPUFIT_ITERATIONS,
            to_fit.ctypes.data, LSE, 0, None, at(params), at(states), at(chi2), at(iterations),
        )  # fmt: skip

    workers = [threading.Thread(target=part, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if any(status):
        raise RuntimeError(f"cpufit failed: {cpufit.cpufit_get_last_error().decode()}")
    # Cpufit writes n_iterations only when a fit converges or runs out of iterations.
    return Run(params.astype(np.float64), states == 0, np.where(states <= 1, iterations, 0))


def run_fit_many(case: Case, data: np.ndarray, starts: np.ndarray, workers: int, **settings: float) -> Run:
    fits = fit_many(case.model, data, starts, workers=workers, **settings)
    return Run(fits.params, np.isin(fits.ier, [1, 2, 3, 4]), fits.nfev)


def timed(f: Callable[[], Run]) -> tuple[float, float, Run]:
    """Wall time and CPU time of this process (all its threads), and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = f()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = cpuinfo.read_text().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        model = names[0] if names else model
    compiler = subprocess.run([os.environ.get("CXX", "g++"), "--version"], capture_output=True, text=True, check=True)
    return (
        f"{model}, {os.cpu_count()} CPUs; {compiler.stdout.splitlines()[0]}; pyminpack {pyminpack.__version__}, "
        f"numpy {np.__version__}, Python {sys.version.split()[0]}"
    )


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else ""


def measure(cpufit: ctypes.CDLL, case: Case, data32: np.ndarray, starts32: np.ndarray, rounds: int) -> dict[str, float]:
    """Time every solver (best of ``rounds``), count the fits at the minimum, print the table; return the ratios."""
    data, starts = data32.astype(np.float64), starts32.astype(np.float64)
    solvers: dict[str, Callable[[], Run]] = {
        "Cpufit, 1 thread": lambda: run_cpufit(cpufit, case, data32, starts32, 1),
        "Cpufit, 2 threads": lambda: run_cpufit(cpufit, case, data32, starts32, 2),
        "fit_many, 1 worker": lambda: run_fit_many(case, data, starts, 1),
        "fit_many, 2 workers": lambda: run_fit_many(case, data, starts, 2),
        "fit_many, 1 worker, ftol = xtol = 1e-4": lambda: run_fit_many(case, data, starts, 1, **AT_CPUFIT_TOLERANCE),
    }
    best = dict.fromkeys(solvers, np.inf)
    best_cpu = dict.fromkeys(solvers, np.inf)
    runs: dict[str, Run] = {}
    for _ in range(rounds):
        for name, solve in solvers.items():
            seconds, cpu_seconds, runs[name] = timed(solve)
            best[name] = min(best[name], seconds)
            best_cpu[name] = min(best_cpu[name], cpu_seconds)
    chi2 = {name: chi_square(case, run.params, data) for name, run in runs.items()}
    lowest = np.min(np.array(list(chi2.values())), axis=0)
    at_minimum = {name: chi2[name] <= lowest * (1 + AT_MINIMUM) for name in runs}
    same = [
        np.array_equal(runs["Cpufit, 1 thread"].params, runs["Cpufit, 2 threads"].params),
        np.array_equal(runs["fit_many, 1 worker"].params, runs["fit_many, 2 workers"].params),
    ]
    print(f"  2 threads/workers give the 1-thread/1-worker results exactly: Cpufit {same[0]}, fit_many {same[1]}")
    print(
        f"  {'':40s} {'fits/s':>9s} {'x Cpufit':>9s} {'fits/CPU-s':>11s} {'x Cpufit':>9s} {'iter/nfev':>10s} "
        f"{'reported ok':>12s} "
        f"{'at minimum':>11s} {'ok, not at min':>15s} {'worst chi2/best':>16s}"
    )
    K = len(data)
    cpufit_time = {1: best["Cpufit, 1 thread"], 2: best["Cpufit, 2 threads"]}
    for name, run in runs.items():
        against = cpufit_time[2 if "2 " in name else 1]
        against_cpu = best_cpu["Cpufit, 2 threads" if "2 " in name else "Cpufit, 1 thread"]
        print(
            f"  {name:40s} {K / best[name]:9.0f} {against / best[name]:9.2f} {K / best_cpu[name]:11.0f} "
            f"{against_cpu / best_cpu[name]:9.2f} {run.iterations.mean():10.2f} "
            f"{run.converged.sum():12d} {at_minimum[name].sum():11d} {(run.converged & ~at_minimum[name]).sum():15d} "
            f"{np.max(chi2[name] / lowest):16.3g}"
        )
    return {
        "1 worker": cpufit_time[1] / best["fit_many, 1 worker"],
        "2 workers": cpufit_time[2] / best["fit_many, 2 workers"],
        "1 worker, CPU": best_cpu["Cpufit, 1 thread"] / best_cpu["fit_many, 1 worker"],
        "2 workers, CPU": best_cpu["Cpufit, 2 threads"] / best_cpu["fit_many, 2 workers"],
        "at minimum": float(at_minimum["fit_many, 1 worker"].sum() - at_minimum["Cpufit, 1 thread"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("K", nargs="?", type=lambda text: int(float(text)), default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gpufit", type=Path, default=HERE.parents[1] / "shared" / "anchors" / "gpufit")
    args = parser.parse_args()
    print(machine())
    print(f"Cpufit from {args.gpufit}; at the start: {load()}")
    verdicts = {}
    with tempfile.TemporaryDirectory() as tmp:
        cpufit = build_cpufit(args.gpufit, Path(tmp))
        for case in CASES:
            data, starts, wide = problems(case, args.K, seed=case.m)
            print(f"\n{case.title}, {args.K} fits, Gpufit's starts (true x U(0.9, 1.1)); {load()}")
            verdicts[case.title] = measure(cpufit, case, data, starts, args.rounds)
            print(f"{case.title}, wide starts (true x U(0.5, 1.5), centre +- a width); one round; {load()}")
            verdicts[case.title]["at minimum, wide starts"] = measure(cpufit, case, data, wide, 1)["at minimum"]
    print("\nTargets (issue 14): fit_many >= Cpufit in fits/s on 1 worker and on 2, and at the minimum as often")
    for title, verdict in verdicts.items():
        print(
            f"  {title:24s} fits/s 1 worker x{verdict['1 worker']:.2f}, 2 workers x{verdict['2 workers']:.2f} "
            f"(per CPU-s x{verdict['1 worker, CPU']:.2f}, x{verdict['2 workers, CPU']:.2f}); fits at the minimum, "
            f"fit_many minus Cpufit: {verdict['at minimum']:+.0f} ({verdict['at minimum, wide starts']:+.0f} "
            "from wide starts)"
        )


if __name__ == "__main__":
    main()
