"""What fit_many's options cost: bounds, fixed parameters, x per curve, progress.

Run:  python benchmarks/fit_many_options.py [K]      (default 20000)

K noisy 7 x 7 spots of the built-in ``gauss_2d``, one worker, best of 5
rounds taken in turn (the host is shared): the plain fit (shared x, no
bounds, all parameters fitted: the C loop's path without a layout), and
the same fits with two-sided bounds on every parameter (shared and one row
per curve), the offset fixed, the pixel coordinates given as x (shared and
one block per curve: the model then reads coordinates instead of making
the grid) and a progress callback.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from pyminpack import builtin_models, fit_many

TRUE = [10.0, 3.0, 3.0, 1.2, 1.0]


def main() -> None:
    K = int(float(sys.argv[1])) if len(sys.argv) > 1 else 20_000
    rng = np.random.default_rng(0)
    spot = builtin_models()["gauss_2d"]
    truth = np.array(TRUE) * rng.uniform(0.9, 1.1, (K, 5))
    y = np.array([spot.values(p, m=49) for p in truth]) + 0.05 * rng.standard_normal((K, 49))
    grid = np.stack([np.tile(np.arange(7.0), 7), np.repeat(np.arange(7.0), 7)])
    lb, ub = [0.0, 0.0, 0.0, 0.1, -10.0], [100.0, 7.0, 7.0, 5.0, 10.0]
    cases = {
        "plain": {},
        "bounds, shared": {"bounds": (lb, ub)},
        "bounds, per curve": {"bounds": (np.tile(lb, (K, 1)), np.tile(ub, (K, 1)))},
        "offset fixed": {"fixed": [False, False, False, False, True]},
        "x shared (coordinates)": {"x": grid},
        "x per curve (coordinates)": {"x": np.tile(grid, (K, 1, 1))},
        "progress callback": {"progress": lambda done, total: None},
    }
    best = dict.fromkeys(cases, np.inf)
    fits = {}
    for _ in range(5):
        for name, options in cases.items():
            start = time.perf_counter()
            fits[name] = fit_many("gauss_2d", y, TRUE, workers=1, **options)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"{K} spots of 7 x 7 pixels, gauss_2d, 1 worker, best of 5")
    print(f"  {'':28s} {'us/fit':>7s} {'x plain':>8s} {'mean nfev':>10s} {'converged':>10s}")
    for name, seconds in best.items():
        converged = np.isin(fits[name].ier, [1, 2, 3, 4]).mean()
        print(
            f"  {name:28s} {1e6 * seconds / K:7.2f} {seconds / best['plain']:8.2f} "
            f"{fits[name].nfev.mean():10.2f} {converged:10.1%}"
        )


if __name__ == "__main__":
    main()
