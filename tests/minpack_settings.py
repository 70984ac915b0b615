"""The non-default settings that the libminpack oracle tests pass to both solvers.

Each table maps a readable name to a function of ``n`` (the number of
parameters) returning keyword arguments with ``leastsq``'s names, which are
also MINPACK's. The values are chosen so that each one changes MINPACK's
path on some of the problems tested: a setting dropped, replaced by its
default, or altered on its way to MINPACK (a reversed ``diag``, a rounded
``factor``) then changes counts or bits.
"""

import numpy as np

#: The MGH starts (mgh.py's ids) the settings are tried on: one or two
#: starts of most problems, well and badly conditioned, zero and nonzero
#: residual, m == n and m >> n, n from 2 to 11; among them runs that end in
#: each of INFO 1, 2, 3, 4, 5 and 8 under some setting below. (The large
#: Brown almost-linear runs are left out: n = 30 and 40 are slow.)
STARTS = (
    "p01_linear_full_rank_n5_m10_x1",
    "p04_rosenbrock_n2_m2_x10",
    "p05_helical_valley_n3_m3_x10",
    "p06_powell_singular_n4_m4_x1",
    "p07_freudenstein_roth_n2_m2_x10",
    "p08_bard_n3_m15_x1",
    "p09_kowalik_osborne_n4_m11_x10",
    "p10_meyer_n3_m16_x1",
    "p11_watson_n6_m31_x1",
    "p14_brown_dennis_n4_m20_x10",
    "p16_brown_almost_linear_n10_m10_x1",
    "p17_osborne1_n5_m33_x1",
    "p18_osborne2_n11_m65_x1",
)


def _diag(n):
    # Increasing, so that a diag reversed or permuted on its way is a different diag; and
    # exact (quarters), as no transcendental function is: numpy's SIMD log and power may
    # round a geomspace differently from one run to the next (alignment), and the oracle's
    # recordings are keyed by these bits.
    return {"diag": np.arange(1.0, n + 1.0) / 4.0}


#: Settings of both lmdif and lmder.
SETTINGS = {
    "defaults": lambda n: {},
    "diag": _diag,
    "factor=0.1": lambda n: {"factor": 0.1},
    "factor=1": lambda n: {"factor": 1.0},
    "factor=1e4": lambda n: {"factor": 1e4},
    "ftol=1e-5": lambda n: {"ftol": 1e-5},
    "xtol=1e-4": lambda n: {"xtol": 1e-4},
    "gtol=1e-3": lambda n: {"gtol": 1e-3},
    "maxfev=12": lambda n: {"maxfev": 12},
    # An integer maxfev as large as MINPACK can hold: no limit in practice.
    "maxfev=2**31-1": lambda n: {"maxfev": 2**31 - 1},
    "several": lambda n: {"ftol": 1e-6, "xtol": 1e-5, "factor": 10.0, **_diag(n)},
}

#: Settings of lmdif only: the forward-difference step.
LMDIF_SETTINGS = {
    "epsfcn=1e-9": lambda n: {"epsfcn": 1e-9},
    "epsfcn=1e-20": lambda n: {"epsfcn": 1e-20},  # below eps: MINPACK uses eps, so the defaults' bits
}

#: Settings that MINPACK refuses with INFO 0 ("Improper input parameters.") before evaluating anything.
IMPROPER = {
    "ftol<0": lambda n: {"ftol": -1e-8},
    "xtol<0": lambda n: {"xtol": -1e-8},
    "gtol<0": lambda n: {"gtol": -1e-8},
    "factor=0": lambda n: {"factor": 0.0},
    "factor<0": lambda n: {"factor": -100.0},
    "maxfev<0": lambda n: {"maxfev": -1},
    "diag with a zero": lambda n: {"diag": np.r_[np.ones(n - 1), 0.0]},
    "diag with a negative": lambda n: {"diag": np.r_[np.ones(n - 1), -1.0]},
}
