"""The 18 Moré–Garbow–Hillstrom least-squares test problems of MINPACK.

A line-by-line translation of the subroutines SSQFCN (residuals), SSQJAC
(Jacobian) and INITPT (starting points) of MINPACK's own test drivers for
LMDER1, LMDIF1 and LMSTR1 (netlib ``minpack/ex/file17``, ``file19`` and
``file18``, which share them), of the problem list those drivers read
(``ex/file22``), of the way the LMSTR1 driver hands out the Jacobian's rows
(:class:`DriverJacobianRows`), and of the settings of the documentation's
example driver for LMSTR (``ex/tlmstr.f``, the Bard problem).

Reference: J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing
Unconstrained Optimization Software", ACM TOMS 7 (1981) 17-41.

The translation keeps the Fortran's floating-point operations and their order
(Python, like Fortran, evaluates ``a + b + c`` as ``(a + b) + c``), so that
:func:`residuals` and :func:`jacobian` return the bits the Fortran returns:
sums are accumulated in plain loops rather than with NumPy reductions (which
sum pairwise), ``X**2`` is written ``x * x`` as gfortran compiles it, and the
elementary functions come from :mod:`math`, which calls the same C library
functions (``exp``, ``sin``, ``cos``, ``atan``, ``sqrt``) as gfortran's
``DEXP``, ``DSIN``, ``DCOS``, ``DATAN``, ``DSQRT``. That is what lets the
tests demand MINPACK's exact evaluation counts. (Compiled with vectorisation,
the Fortran calls a vector ``exp`` that rounds differently; see
``tools/mgh_reference/README.md``.) As in Fortran, ``exp`` overflows to
``inf``; a division by zero, which none of the 53 runs meets, raises
``ZeroDivisionError`` where the Fortran would return ``inf`` or ``nan``.

Indices in the comments are the Fortran's (1-based); ``x1`` is ``X(1)``.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Problem names, by MINPACK problem number ``nprob``.
PROBLEM_NAMES = {
    1: "linear_full_rank",
    2: "linear_rank1",
    3: "linear_rank1_zero_cols_rows",
    4: "rosenbrock",
    5: "helical_valley",
    6: "powell_singular",
    7: "freudenstein_roth",
    8: "bard",
    9: "kowalik_osborne",
    10: "meyer",
    11: "watson",
    12: "box_3d",
    13: "jennrich_sampson",
    14: "brown_dennis",
    15: "chebyquad",
    16: "brown_almost_linear",
    17: "osborne1",
    18: "osborne2",
}

#: ``ex/file22``, the drivers' input: one ``(nprob, n, m, ntries)`` per line.
#: Try ``k`` (0-based) starts from ``10**k`` times the standard starting point.
FILE22 = (
    (1, 5, 10, 1),
    (1, 5, 50, 1),
    (2, 5, 10, 1),
    (2, 5, 50, 1),
    (3, 5, 10, 1),
    (3, 5, 50, 1),
    (4, 2, 2, 3),
    (5, 3, 3, 3),
    (6, 4, 4, 3),
    (7, 2, 2, 3),
    (8, 3, 15, 3),
    (9, 4, 11, 3),
    (10, 3, 16, 2),
    (11, 6, 31, 3),
    (11, 9, 31, 3),
    (11, 12, 31, 3),
    (12, 3, 10, 1),
    (13, 2, 10, 1),
    (14, 4, 20, 3),
    (15, 1, 8, 3),
    (15, 8, 8, 1),
    (15, 9, 9, 1),
    (15, 10, 10, 1),
    (16, 10, 10, 3),
    (16, 30, 30, 1),
    (16, 40, 40, 1),
    (17, 5, 33, 1),
    (18, 11, 65, 1),
)


@dataclass(frozen=True)
class Case:
    """One run of the MINPACK test drivers.

    Attributes
    ----------
    nprob : int
        Problem number, 1 to 18 (see :data:`PROBLEM_NAMES`).
    n : int
        Number of variables.
    m : int
        Number of residuals.
    factor : float
        Multiple of the standard starting point: 1, 10 or 100.
    """

    nprob: int
    n: int
    m: int
    factor: float

    @property
    def name(self):
        """str: The problem's name, e.g. ``"rosenbrock"``."""
        return PROBLEM_NAMES[self.nprob]

    @property
    def id(self):
        """str: A readable identifier, e.g. ``"p04_rosenbrock_n2_m2_x10"``."""
        return f"p{self.nprob:02d}_{self.name}_n{self.n}_m{self.m}_x{self.factor:g}"

    @property
    def x0(self):
        """ndarray: The starting point, ``initial_point(n, nprob, factor)``."""
        return initial_point(self.n, self.nprob, self.factor)

    @property
    def args(self):
        """tuple: The extra arguments of :func:`residuals` and :func:`jacobian`."""
        return (self.nprob, self.m)


def _cases():
    # As the drivers do: FACTOR = ONE, then FACTOR = TEN*FACTOR after each try.
    cases = []
    for nprob, n, m, ntries in FILE22:
        factor = 1.0
        for _ in range(ntries):
            cases.append(Case(nprob, n, m, factor))
            factor = 10.0 * factor
    return tuple(cases)


#: The 53 driver runs, in the drivers' order.
CASES = _cases()

#: The drivers' results for :data:`CASES`, written by
#: ``tools/mgh_reference/generate.py`` (see ``tests/data/README.md``).
REFERENCE_FILE = Path(__file__).parent / "data" / "mgh_reference.json"

#: The easy drivers' ``tol`` (their ftol and xtol): ``sqrt(dpmpar(1))`` with
#: netlib's literal ``dpmpar(1) = 2.22044604926d-16``, slightly more than
#: ``np.finfo(float).eps``.
DRIVER_TOL = math.sqrt(2.22044604926e-16)


#: The drivers in :data:`REFERENCE_FILE`.
DRIVERS = ("lmder1", "lmdif1", "lmstr1")


def driver_reference():
    """Load the drivers' results.

    Returns
    -------
    dict
        ``{case: {"lmder1": run, "lmdif1": run, "lmstr1": run}}`` in file order, `case` a
        :class:`Case` and each `run` a dict with keys ``fnorm``, ``nfev``,
        ``njev``, ``info`` and ``x`` (see ``tests/data/README.md``).
    """
    runs = json.loads(REFERENCE_FILE.read_text())["runs"]
    return {Case(r["nprob"], r["n"], r["m"], r["factor"]): {d: r[d] for d in DRIVERS} for r in runs}


class DriverJacobianRows:
    """Jacobian rows as the LMSTR1 driver's FCN hands them out to lmstr.

    lmstr asks for the rows one at a time, in order, all at the same ``x``.
    Asked for row 0 (``IFLAG = 2``), the driver evaluates the whole Jacobian
    (SSQJAC) and keeps it; asked for a later row, it returns that row of the
    kept Jacobian. Call an instance as ``rows(x, i, nprob, m)``.
    """

    def __init__(self):
        self._jacobian = None

    def __call__(self, x, i, nprob, m):
        if i == 0:
            self._jacobian = jacobian(x, nprob, m)
        return self._jacobian[i]


#: The documentation's example driver for LMSTR (``ex/tlmstr.f``): its FCN is
#: SSQFCN's and SSQJAC's Bard function (problem 8), operation for operation,
#: from the standard point, with lmstr1's settings spelt out: ``ftol = xtol =
#: sqrt(dpmpar(1))``, ``gtol = 0``, ``maxfev = 400``, ``mode = 1``,
#: ``factor = 100``, ``nprint = 0``.
EXAMPLE_CASE = Case(8, 3, 15, 1.0)
EXAMPLE_SETTINGS = {"ftol": DRIVER_TOL, "xtol": DRIVER_TOL, "gtol": 0.0, "maxfev": 400, "factor": 100.0}

#: The results of the documentation's example drivers for HYBRD, HYBRJ
#: (:mod:`hybrd_problems`) and LMSTR, written by
#: ``tools/mgh_reference/generate.py`` (see ``tests/data/README.md``).
EXAMPLES_FILE = Path(__file__).parent / "data" / "minpack_examples.json"


def example_reference():
    """Load the example drivers' results.

    Returns
    -------
    dict
        ``{"hybrd": run, "hybrj": run, "lmstr": run}``, each `run` a dict of
        the example's final values (``fnorm``, ``nfev``, ``info``, ``x``,
        ``fvec``, ``fjac`` in column order, ``r`` or ``ipvt``, ``qtf``, and
        ``njev`` for hybrj and lmstr; see ``tests/data/README.md``).
    """
    return json.loads(EXAMPLES_FILE.read_text())["examples"]


def driver_info(info):
    """MINPACK's exit code `info` as lmder1/lmdif1 report it: 8 becomes 4."""
    return 4 if info == 8 else info


# Data of SSQFCN and SSQJAC.
_V = (4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625)
_Y1 = (0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.1, 4.39)
_Y2 = (0.1957, 0.1947, 0.1735, 0.16, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246)
_Y3 = (
    34780.0,
    28610.0,
    23650.0,
    19630.0,
    16370.0,
    13720.0,
    11540.0,
    9744.0,
    8261.0,
    7030.0,
    6005.0,
    5147.0,
    4427.0,
    3820.0,
    3307.0,
    2872.0,
)
_Y4 = (
    0.844,
    0.908,
    0.932,
    0.936,
    0.925,
    0.908,
    0.881,
    0.85,
    0.818,
    0.784,
    0.751,
    0.718,
    0.685,
    0.658,
    0.628,
    0.603,
    0.58,
    0.558,
    0.538,
    0.522,
    0.506,
    0.49,
    0.478,
    0.467,
    0.457,
    0.448,
    0.438,
    0.431,
    0.424,
    0.42,
    0.414,
    0.411,
    0.406,
)
_Y5 = (
    1.366,
    1.191,
    1.112,
    1.013,
    0.991,
    0.885,
    0.831,
    0.847,
    0.786,
    0.725,
    0.746,
    0.679,
    0.608,
    0.655,
    0.616,
    0.606,
    0.602,
    0.626,
    0.651,
    0.724,
    0.649,
    0.649,
    0.694,
    0.644,
    0.624,
    0.661,
    0.612,
    0.558,
    0.533,
    0.495,
    0.5,
    0.423,
    0.395,
    0.375,
    0.372,
    0.391,
    0.396,
    0.405,
    0.428,
    0.429,
    0.523,
    0.562,
    0.607,
    0.653,
    0.672,
    0.708,
    0.633,
    0.668,
    0.645,
    0.632,
    0.591,
    0.559,
    0.597,
    0.625,
    0.739,
    0.71,
    0.729,
    0.72,
    0.636,
    0.581,
    0.428,
    0.292,
    0.162,
    0.098,
    0.054,
)


def dexp(t):
    """DEXP: ``math.exp``, except that overflow gives +inf as in Fortran."""
    try:
        return math.exp(t)
    except OverflowError:
        return math.inf


def residuals(x, nprob, m):
    """Residuals of problem `nprob` at `x` (SSQFCN).

    Parameters
    ----------
    x : array_like, shape (n,)
        The variables.
    nprob : int
        Problem number, 1 to 18.
    m : int
        Number of residuals.

    Returns
    -------
    ndarray, shape (m,)
        The residuals ``f_i(x)``.
    """
    x = [float(xj) for xj in x]
    n = len(x)
    f = [0.0] * m

    if nprob == 1:  # Linear function - full rank.
        s = 0.0
        for xj in x:
            s = s + xj
        temp = 2.0 * s / float(m) + 1.0
        for i in range(m):
            f[i] = -temp
            if i < n:
                f[i] = f[i] + x[i]

    elif nprob == 2:  # Linear function - rank 1.
        s = 0.0
        for j in range(1, n + 1):
            s = s + float(j) * x[j - 1]
        for i in range(1, m + 1):
            f[i - 1] = float(i) * s - 1.0

    elif nprob == 3:  # Linear function - rank 1 with zero columns and rows.
        s = 0.0
        for j in range(2, n):
            s = s + float(j) * x[j - 1]
        for i in range(1, m + 1):
            f[i - 1] = float(i - 1) * s - 1.0
        f[m - 1] = -1.0

    elif nprob == 4:  # Rosenbrock function.
        x1, x2 = x
        f[0] = 10.0 * (x2 - x1 * x1)
        f[1] = 1.0 - x1

    elif nprob == 5:  # Helical valley function.
        x1, x2, x3 = x
        tpi = 8.0 * math.atan(1.0)
        tmp1 = math.copysign(0.25, x2)  # DSIGN(ZP25, X(2))
        if x1 > 0.0:
            tmp1 = math.atan(x2 / x1) / tpi
        if x1 < 0.0:
            tmp1 = math.atan(x2 / x1) / tpi + 0.5
        tmp2 = math.sqrt(x1 * x1 + x2 * x2)
        f[0] = 10.0 * (x3 - 10.0 * tmp1)
        f[1] = 10.0 * (tmp2 - 1.0)
        f[2] = x3

    elif nprob == 6:  # Powell singular function.
        x1, x2, x3, x4 = x
        f[0] = x1 + 10.0 * x2
        f[1] = math.sqrt(5.0) * (x3 - x4)
        d = x2 - 2.0 * x3
        f[2] = d * d
        d = x1 - x4
        f[3] = math.sqrt(10.0) * (d * d)

    elif nprob == 7:  # Freudenstein and Roth function.
        x1, x2 = x
        f[0] = -13.0 + x1 + ((5.0 - x2) * x2 - 2.0) * x2
        f[1] = -29.0 + x1 + ((1.0 + x2) * x2 - 14.0) * x2

    elif nprob == 8:  # Bard function.
        x1, x2, x3 = x
        for i in range(1, 16):
            tmp1 = float(i)
            tmp2 = float(16 - i)
            tmp3 = tmp1 if i <= 8 else tmp2
            f[i - 1] = _Y1[i - 1] - (x1 + tmp1 / (x2 * tmp2 + x3 * tmp3))

    elif nprob == 9:  # Kowalik and Osborne function.
        x1, x2, x3, x4 = x
        for i in range(11):
            v = _V[i]
            tmp1 = v * (v + x2)
            tmp2 = v * (v + x3) + x4
            f[i] = _Y2[i] - x1 * tmp1 / tmp2

    elif nprob == 10:  # Meyer function.
        x1, x2, x3 = x
        for i in range(1, 17):
            temp = 5.0 * float(i) + 45.0 + x3
            tmp1 = x2 / temp
            tmp2 = dexp(tmp1)
            f[i - 1] = x1 * tmp2 - _Y3[i - 1]

    elif nprob == 11:  # Watson function.
        for i in range(1, 30):
            div = float(i) / 29.0
            s1 = 0.0
            dx = 1.0
            for j in range(2, n + 1):
                s1 = s1 + float(j - 1) * dx * x[j - 1]
                dx = div * dx
            s2 = 0.0
            dx = 1.0
            for j in range(1, n + 1):
                s2 = s2 + dx * x[j - 1]
                dx = div * dx
            f[i - 1] = s1 - s2 * s2 - 1.0
        f[29] = x[0]
        f[30] = x[1] - x[0] * x[0] - 1.0

    elif nprob == 12:  # Box 3-dimensional function.
        x1, x2, x3 = x
        for i in range(1, m + 1):
            temp = float(i)
            tmp1 = temp / 10.0
            f[i - 1] = dexp(-tmp1 * x1) - dexp(-tmp1 * x2) + (dexp(-temp) - dexp(-tmp1)) * x3

    elif nprob == 13:  # Jennrich and Sampson function.
        x1, x2 = x
        for i in range(1, m + 1):
            temp = float(i)
            f[i - 1] = 2.0 + 2.0 * temp - dexp(temp * x1) - dexp(temp * x2)

    elif nprob == 14:  # Brown and Dennis function.
        x1, x2, x3, x4 = x
        for i in range(1, m + 1):
            temp = float(i) / 5.0
            tmp1 = x1 + temp * x2 - dexp(temp)
            tmp2 = x3 + math.sin(temp) * x4 - math.cos(temp)
            f[i - 1] = tmp1 * tmp1 + tmp2 * tmp2

    elif nprob == 15:  # Chebyquad function.
        for j in range(n):
            tmp1 = 1.0
            tmp2 = 2.0 * x[j] - 1.0
            temp = 2.0 * tmp2
            for i in range(m):
                f[i] = f[i] + tmp2
                ti = temp * tmp2 - tmp1
                tmp1 = tmp2
                tmp2 = ti
        dx = 1.0 / float(n)
        iev = -1
        for i in range(1, m + 1):
            f[i - 1] = dx * f[i - 1]
            if iev > 0:
                f[i - 1] = f[i - 1] + 1.0 / (float(i) * float(i) - 1.0)
            iev = -iev

    elif nprob == 16:  # Brown almost-linear function (m == n).
        s = -float(n + 1)
        prod = 1.0
        for xj in x:
            s = s + xj
            prod = xj * prod
        for i in range(n):
            f[i] = x[i] + s
        f[n - 1] = prod - 1.0

    elif nprob == 17:  # Osborne 1 function.
        x1, x2, x3, x4, x5 = x
        for i in range(1, 34):
            temp = 10.0 * float(i - 1)
            tmp1 = dexp(-x4 * temp)
            tmp2 = dexp(-x5 * temp)
            f[i - 1] = _Y4[i - 1] - (x1 + x2 * tmp1 + x3 * tmp2)

    elif nprob == 18:  # Osborne 2 function.
        x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = x
        for i in range(1, 66):
            temp = float(i - 1) / 10.0
            tmp1 = dexp(-x5 * temp)
            d9, d10, d11 = temp - x9, temp - x10, temp - x11
            tmp2 = dexp(-x6 * (d9 * d9))
            tmp3 = dexp(-x7 * (d10 * d10))
            tmp4 = dexp(-x8 * (d11 * d11))
            f[i - 1] = _Y5[i - 1] - (x1 * tmp1 + x2 * tmp2 + x3 * tmp3 + x4 * tmp4)

    else:
        raise ValueError(f"no MGH problem number {nprob}")

    return np.array(f)


def jacobian(x, nprob, m):
    """Jacobian of the residuals of problem `nprob` at `x` (SSQJAC).

    Parameters
    ----------
    x : array_like, shape (n,)
        The variables.
    nprob : int
        Problem number, 1 to 18.
    m : int
        Number of residuals.

    Returns
    -------
    ndarray, shape (m, n)
        ``J[i, j] = d f_i / d x_j``: one row per residual, as
        ``leastsq``'s `Dfun` returns it with ``col_deriv=False``.
    """
    x = [float(xj) for xj in x]
    n = len(x)
    J = [[0.0] * n for _ in range(m)]

    if nprob == 1:  # Linear function - full rank.
        temp = 2.0 / float(m)
        for j in range(n):
            for i in range(m):
                J[i][j] = -temp
            J[j][j] = J[j][j] + 1.0

    elif nprob == 2:  # Linear function - rank 1.
        for j in range(1, n + 1):
            for i in range(1, m + 1):
                J[i - 1][j - 1] = float(i) * float(j)

    elif nprob == 3:  # Linear function - rank 1 with zero columns and rows.
        for j in range(2, n):
            for i in range(2, m):
                J[i - 1][j - 1] = float(i - 1) * float(j)

    elif nprob == 4:  # Rosenbrock function.
        x1 = x[0]
        J[0] = [-20.0 * x1, 10.0]
        J[1] = [-1.0, 0.0]

    elif nprob == 5:  # Helical valley function.
        x1, x2, x3 = x
        tpi = 8.0 * math.atan(1.0)
        temp = x1 * x1 + x2 * x2
        tmp1 = tpi * temp
        tmp2 = math.sqrt(temp)
        J[0] = [100.0 * x2 / tmp1, -100.0 * x1 / tmp1, 10.0]
        J[1] = [10.0 * x1 / tmp2, 10.0 * x2 / tmp2, 0.0]
        J[2] = [0.0, 0.0, 1.0]

    elif nprob == 6:  # Powell singular function.
        x1, x2, x3, x4 = x
        J[0][0] = 1.0
        J[0][1] = 10.0
        J[1][2] = math.sqrt(5.0)
        J[1][3] = -J[1][2]
        J[2][1] = 2.0 * (x2 - 2.0 * x3)
        J[2][2] = -2.0 * J[2][1]
        J[3][0] = 2.0 * math.sqrt(10.0) * (x1 - x4)
        J[3][3] = -J[3][0]

    elif nprob == 7:  # Freudenstein and Roth function.
        x2 = x[1]
        J[0] = [1.0, x2 * (10.0 - 3.0 * x2) - 2.0]
        J[1] = [1.0, x2 * (2.0 + 3.0 * x2) - 14.0]

    elif nprob == 8:  # Bard function.
        x1, x2, x3 = x
        for i in range(1, 16):
            tmp1 = float(i)
            tmp2 = float(16 - i)
            tmp3 = tmp1 if i <= 8 else tmp2
            d = x2 * tmp2 + x3 * tmp3
            tmp4 = d * d
            J[i - 1] = [-1.0, tmp1 * tmp2 / tmp4, tmp1 * tmp3 / tmp4]

    elif nprob == 9:  # Kowalik and Osborne function.
        x1, x2, x3, x4 = x
        for i in range(11):
            v = _V[i]
            tmp1 = v * (v + x2)
            tmp2 = v * (v + x3) + x4
            j1 = -tmp1 / tmp2
            j2 = -v * x1 / tmp2
            j3 = j1 * j2
            J[i] = [j1, j2, j3, j3 / v]

    elif nprob == 10:  # Meyer function.
        x1, x2, x3 = x
        for i in range(1, 17):
            temp = 5.0 * float(i) + 45.0 + x3
            tmp1 = x2 / temp
            tmp2 = dexp(tmp1)
            j2 = x1 * tmp2 / temp
            J[i - 1] = [tmp2, j2, -tmp1 * j2]

    elif nprob == 11:  # Watson function; rows 30 and 31 start as zeros.
        for i in range(1, 30):
            div = float(i) / 29.0
            s2 = 0.0
            dx = 1.0
            for j in range(1, n + 1):
                s2 = s2 + dx * x[j - 1]
                dx = div * dx
            temp = 2.0 * div * s2
            dx = 1.0 / div
            for j in range(1, n + 1):
                J[i - 1][j - 1] = dx * (float(j - 1) - temp)
                dx = div * dx
        J[29][0] = 1.0
        J[30][0] = -2.0 * x[0]
        J[30][1] = 1.0

    elif nprob == 12:  # Box 3-dimensional function.
        x1, x2, x3 = x
        for i in range(1, m + 1):
            temp = float(i)
            tmp1 = temp / 10.0
            J[i - 1] = [-tmp1 * dexp(-tmp1 * x1), tmp1 * dexp(-tmp1 * x2), dexp(-temp) - dexp(-tmp1)]

    elif nprob == 13:  # Jennrich and Sampson function.
        x1, x2 = x
        for i in range(1, m + 1):
            temp = float(i)
            J[i - 1] = [-temp * dexp(temp * x1), -temp * dexp(temp * x2)]

    elif nprob == 14:  # Brown and Dennis function.
        x1, x2, x3, x4 = x
        for i in range(1, m + 1):
            temp = float(i) / 5.0
            ti = math.sin(temp)
            tmp1 = x1 + temp * x2 - dexp(temp)
            tmp2 = x3 + ti * x4 - math.cos(temp)
            j1 = 2.0 * tmp1
            j3 = 2.0 * tmp2
            J[i - 1] = [j1, temp * j1, j3, ti * j3]

    elif nprob == 15:  # Chebyquad function.
        dx = 1.0 / float(n)
        for j in range(n):
            tmp1 = 1.0
            tmp2 = 2.0 * x[j] - 1.0
            temp = 2.0 * tmp2
            tmp3 = 0.0
            tmp4 = 2.0
            for i in range(m):
                J[i][j] = dx * tmp4
                ti = 4.0 * tmp2 + temp * tmp4 - tmp3
                tmp3 = tmp4
                tmp4 = ti
                ti = temp * tmp2 - tmp1
                tmp1 = tmp2
                tmp2 = ti

    elif nprob == 16:  # Brown almost-linear function (m == n).
        prod = 1.0
        for j in range(n):
            prod = x[j] * prod
            for i in range(n):
                J[i][j] = 1.0
            J[j][j] = 2.0
        for j in range(n):
            temp = x[j]
            if temp == 0.0:
                # As in the Fortran, PROD keeps this product without x_j for
                # the columns after j too.
                temp = 1.0
                prod = 1.0
                for k in range(n):
                    if k != j:
                        prod = x[k] * prod
            J[n - 1][j] = prod / temp

    elif nprob == 17:  # Osborne 1 function.
        x1, x2, x3, x4, x5 = x
        for i in range(1, 34):
            temp = 10.0 * float(i - 1)
            tmp1 = dexp(-x4 * temp)
            tmp2 = dexp(-x5 * temp)
            J[i - 1] = [-1.0, -tmp1, -tmp2, temp * x2 * tmp1, temp * x3 * tmp2]

    elif nprob == 18:  # Osborne 2 function.
        x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = x
        for i in range(1, 66):
            temp = float(i - 1) / 10.0
            tmp1 = dexp(-x5 * temp)
            d9, d10, d11 = temp - x9, temp - x10, temp - x11
            tmp2 = dexp(-x6 * (d9 * d9))
            tmp3 = dexp(-x7 * (d10 * d10))
            tmp4 = dexp(-x8 * (d11 * d11))
            J[i - 1] = [
                -tmp1,
                -tmp2,
                -tmp3,
                -tmp4,
                temp * x1 * tmp1,
                x2 * (d9 * d9) * tmp2,
                x3 * (d10 * d10) * tmp3,
                x4 * (d11 * d11) * tmp4,
                -2.0 * x2 * x6 * d9 * tmp2,
                -2.0 * x3 * x7 * d10 * tmp3,
                -2.0 * x4 * x8 * d11 * tmp4,
            ]

    else:
        raise ValueError(f"no MGH problem number {nprob}")

    return np.array(J)


def initial_point(n, nprob, factor=1.0):
    """Starting point of problem `nprob` (INITPT).

    Parameters
    ----------
    n : int
        Number of variables.
    nprob : int
        Problem number, 1 to 18.
    factor : float, optional
        Multiple of the standard starting point. The Watson function's
        (``nprob == 11``) standard starting point is zero, so for it a
        `factor` other than 1 gives the point ``x_j = factor`` instead.

    Returns
    -------
    ndarray, shape (n,)
        The starting point.
    """
    standard = {
        1: [1.0] * n,
        2: [1.0] * n,
        3: [1.0] * n,
        4: [-1.2, 1.0],
        5: [-1.0, 0.0, 0.0],
        6: [3.0, -1.0, 0.0, 1.0],
        7: [0.5, -2.0],
        8: [1.0, 1.0, 1.0],
        9: [0.25, 0.39, 0.415, 0.39],
        10: [0.02, 4000.0, 250.0],
        11: [0.0] * n,
        12: [0.0, 10.0, 20.0],
        13: [0.3, 0.4],
        14: [25.0, 5.0, -5.0, -1.0],
        # Chebyquad: X(J) = DFLOAT(J)*H with H = ONE/DFLOAT(N+1).
        15: [float(j) * (1.0 / float(n + 1)) for j in range(1, n + 1)],
        16: [0.5] * n,
        17: [0.5, 1.5, -1.0, 0.01, 0.02],
        18: [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
    }
    if nprob not in standard:
        raise ValueError(f"no MGH problem number {nprob}")
    x = standard[nprob]
    if len(x) != n:
        raise ValueError(f"MGH problem {nprob} has a fixed n = {len(x)}, not {n}")
    if factor != 1.0:
        x = [factor] * n if nprob == 11 else [factor * xj for xj in x]
    return np.array(x)
