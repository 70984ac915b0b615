"""What ``fit`` adds to ``curve_fit``: the same fit, with names, statistics and a report.

Run: ``python3 benchmarks/fit_overhead.py [repeats]``.

The problem: a Gaussian peak on a baseline, four parameters
(``a*exp(-((x-mu)/s)**2/2) + c``), 32 points with fixed noise, started away
from the answer, once without ``sigma``, once with one ``sigma`` per point
and once with a 2-D ``sigma`` (a covariance matrix).  For each, the two
calls are timed in alternation and the best of ``repeats`` rounds of 200
fits is kept; the ratio ``fit / curve_fit`` is the price of the result
object (the target is at most 1.2).  lmfit's ``Model.fit`` is timed beside
them when lmfit is installed, for scale.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

import pyminpack

FITS_PER_ROUND = 200


def gaussian(x, amplitude, center, width, offset):
    return amplitude * np.exp(-0.5 * ((x - center) / width) ** 2) + offset


X = np.linspace(-4.0, 4.0, 32)
NOISE = np.random.default_rng(7).normal(0.0, 0.02, X.size)
Y = gaussian(X, 2.0, 0.3, 1.1, 0.5) + NOISE
P0 = [1.5, 0.0, 1.5, 0.3]
SIGMA_1D = np.full(X.size, 0.02)
SIGMA_2D = np.diag(SIGMA_1D**2) + 1e-5 * np.exp(-np.abs(X[:, None] - X[None, :]))
CASES = {"no sigma": None, "1-D sigma": SIGMA_1D, "2-D sigma": SIGMA_2D}


def per_fit(call, rounds):
    """Best seconds per fit over ``rounds`` rounds of ``FITS_PER_ROUND`` calls."""
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(FITS_PER_ROUND):
            call()
        best = min(best, (time.perf_counter() - start) / FITS_PER_ROUND)
    return best


def lmfit_call(sigma):
    """lmfit's ``Model.fit`` on the same problem, or None without lmfit (or with a 2-D sigma)."""
    try:
        import lmfit
    except ImportError:
        return None
    if sigma is not None and np.ndim(sigma) == 2:
        return None
    model = lmfit.Model(gaussian)
    params = model.make_params(amplitude=P0[0], center=P0[1], width=P0[2], offset=P0[3])
    weights = None if sigma is None else 1.0 / sigma
    return lambda: model.fit(Y, params, x=X, weights=weights)


def main(repeats: int) -> None:
    print(f"fit against curve_fit, Gaussian n=4, m={X.size}; best of {repeats} x {FITS_PER_ROUND} fits, us per fit")
    print(f"{'case':<10} {'curve_fit':>10} {'fit':>10} {'fit/curve_fit':>14} {'lmfit/curve_fit':>16}")
    for name, sigma in CASES.items():
        calls = {
            "curve_fit": lambda sigma=sigma: pyminpack.curve_fit(gaussian, X, Y, p0=P0, sigma=sigma),
            "fit": lambda sigma=sigma: pyminpack.fit(gaussian, X, Y, p0=P0, sigma=sigma),
        }
        times = dict.fromkeys(calls, np.inf)
        for _ in range(repeats):  # alternate, so that a noisy spell hits both
            for label, call in calls.items():
                times[label] = min(times[label], per_fit(call, 1))
        lmfit_fit = lmfit_call(sigma)
        lmfit_ratio = "-" if lmfit_fit is None else f"{per_fit(lmfit_fit, repeats) / times['curve_fit']:.2f}"
        print(
            f"{name:<10} {times['curve_fit'] * 1e6:>10.1f} {times['fit'] * 1e6:>10.1f} "
            f"{times['fit'] / times['curve_fit']:>14.2f} {lmfit_ratio:>16}"
        )


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
