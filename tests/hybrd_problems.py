"""The 14 nonlinear-equations test problems of MINPACK (hybrd, hybrj).

A line-by-line translation of the subroutines VECFCN (the functions), VECJAC
(their Jacobians) and INITPT (starting points) of MINPACK's own test drivers
for HYBRD1 and HYBRJ1 (netlib ``minpack/ex/file15`` and ``file16``, which
share VECFCN and INITPT), of the problem list those drivers read
(``ex/file21``), and of the settings of the documentation's example drivers
for HYBRD and HYBRJ (``ex/thybrd.f``, ``ex/thybrj.f``), whose FCN is problem
13 (Broyden tridiagonal) with ``n = 9``. Their results are in
:func:`mgh.example_reference`.

Reference: J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing
Unconstrained Optimization Software", ACM TOMS 7 (1981) 17-41.

As in :mod:`mgh`, the translation keeps the Fortran's floating-point
operations and their order, so that :func:`functions` and :func:`jacobian`
return the bits the Fortran returns: sums in plain loops, ``X**2`` written
``x * x`` and ``T**3`` written ``t * (t * t)`` as gfortran compiles them
(``DFLOAT(K)**2`` as ``float(k) * float(k)``), and the elementary functions
from :mod:`math`, which calls the C library's ``exp``, ``sin``, ``cos``,
``atan`` and ``sqrt`` as gfortran's ``DEXP``, ``DSIN``, ... do (``exp``
through :func:`mgh.dexp`, which overflows to ``inf`` as ``DEXP`` does).
Fortran's ``-C*X*T`` is ``-((C*X)*T)``; Python's ``-C * X * T`` is
``((-C)*X)*T``, which rounds to the same bits since negation is exact. Four
problems (:data:`SAME_AS_MGH`) are, statement for statement, least-squares
problems of :mod:`mgh` with ``m = n``, and are computed there.

Indices in the comments are the Fortran's (1-based); ``x1`` is ``X(1)``.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import mgh
import numpy as np

#: Problem names, by VECFCN's problem number ``nprob``.
PROBLEM_NAMES = {
    1: "rosenbrock",
    2: "powell_singular",
    3: "powell_badly_scaled",
    4: "wood",
    5: "helical_valley",
    6: "watson",
    7: "chebyquad",
    8: "brown_almost_linear",
    9: "discrete_boundary_value",
    10: "discrete_integral_equation",
    11: "trigonometric",
    12: "variably_dimensioned",
    13: "broyden_tridiagonal",
    14: "broyden_banded",
}

#: ``ex/file21``, the drivers' input: one ``(nprob, n, ntries)`` per line.
#: Try ``k`` (0-based) starts from ``10**k`` times the standard starting point.
FILE21 = (
    (1, 2, 3),
    (2, 4, 3),
    (3, 2, 2),
    (4, 4, 3),
    (5, 3, 3),
    (6, 6, 2),
    (6, 9, 2),
    (7, 5, 3),
    (7, 6, 3),
    (7, 7, 3),
    (7, 8, 1),
    (7, 9, 1),
    (8, 10, 3),
    (8, 30, 1),
    (8, 40, 1),
    (9, 10, 3),
    (10, 1, 3),
    (10, 10, 3),
    (11, 10, 3),
    (12, 10, 3),
    (13, 10, 3),
    (14, 10, 3),
)


@dataclass(frozen=True)
class Case:
    """One run of the HYBRD1/HYBRJ1 test drivers.

    Attributes
    ----------
    nprob : int
        Problem number, 1 to 14 (see :data:`PROBLEM_NAMES`).
    n : int
        Number of equations and variables.
    factor : float
        Multiple of the standard starting point: 1, 10 or 100.
    """

    nprob: int
    n: int
    factor: float

    @property
    def name(self):
        """str: The problem's name, e.g. ``"wood"``."""
        return PROBLEM_NAMES[self.nprob]

    @property
    def id(self):
        """str: A readable identifier, e.g. ``"p04_wood_n4_x10"``."""
        return f"p{self.nprob:02d}_{self.name}_n{self.n}_x{self.factor:g}"

    @property
    def x0(self):
        """ndarray: The starting point, ``initial_point(n, nprob, factor)``."""
        return initial_point(self.n, self.nprob, self.factor)

    @property
    def args(self):
        """tuple: The extra arguments of :func:`functions` and :func:`jacobian`."""
        return (self.nprob,)


def _cases():
    # As the drivers do: FACTOR = ONE, then FACTOR = TEN*FACTOR after each try.
    cases = []
    for nprob, n, ntries in FILE21:
        factor = 1.0
        for _ in range(ntries):
            cases.append(Case(nprob, n, factor))
            factor = 10.0 * factor
    return tuple(cases)


#: The 55 driver runs, in the drivers' order.
CASES = _cases()

#: The drivers' results for :data:`CASES`, written by
#: ``tools/mgh_reference/generate.py`` (see ``tests/data/README.md``).
REFERENCE_FILE = Path(__file__).parent / "data" / "hybrd_reference.json"


def driver_reference():
    """Load the drivers' results.

    Returns
    -------
    dict
        ``{case: {"hybrd1": run, "hybrj1": run}}`` in file order, `case` a
        :class:`Case` and each `run` a dict with keys ``fnorm``, ``nfev``,
        ``info`` and ``x``, and ``njev`` for hybrj1 (see
        ``tests/data/README.md``).
    """
    runs = json.loads(REFERENCE_FILE.read_text())["runs"]
    return {Case(r["nprob"], r["n"], r["factor"]): {d: r[d] for d in ("hybrd1", "hybrj1")} for r in runs}


def driver_info(info):
    """MINPACK's exit code `info` as hybrd1/hybrj1 report it: 5 becomes 4."""
    return 4 if info == 5 else info


def hybrd1_settings(n):
    """hybrd1's settings for `n` variables, as :func:`libminpack.hybrd` takes them.

    ``xtol = tol``, ``maxfev = 200 (n + 1)``, ``ml = mu = n - 1`` (a full
    forward-difference Jacobian), ``epsfcn = 0``, ``mode = 2`` with
    ``diag = 1`` (no internal scaling), ``factor = 100``; ``nprint = 0``.
    """
    return {"xtol": mgh.DRIVER_TOL, "maxfev": 200 * (n + 1), "ml": n - 1, "mu": n - 1, "epsfcn": 0.0} | _unscaled(n)


def hybrj1_settings(n):
    """hybrj1's settings for `n` variables, as :func:`libminpack.hybrj` takes them.

    ``xtol = tol``, ``maxfev = 100 (n + 1)``, ``mode = 2`` with ``diag = 1``,
    ``factor = 100``; ``nprint = 0``.
    """
    return {"xtol": mgh.DRIVER_TOL, "maxfev": 100 * (n + 1)} | _unscaled(n)


def _unscaled(n):
    """``mode = 2`` with ``diag = 1`` and ``factor = 100``, as all four drivers set."""
    return {"diag": [1.0] * n, "factor": 100.0}


#: The documentation's example drivers (``ex/thybrd.f``, ``ex/thybrj.f``):
#: problem 13 (their FCN is VECFCN's and VECJAC's Broyden tridiagonal
#: function, operation for operation) from ``x = -1``, with
#: ``xtol = sqrt(dpmpar(1))``, ``mode = 2`` with ``diag = 1``,
#: ``factor = 100``, ``nprint = 0``; thybrd: ``maxfev = 2000``, a banded
#: Jacobian ``ml = mu = 1``, ``epsfcn = 0``; thybrj: ``maxfev = 1000``.
EXAMPLE_CASE = Case(13, 9, 1.0)
EXAMPLE_SETTINGS = {
    "hybrd": {"xtol": mgh.DRIVER_TOL, "maxfev": 2000, "ml": 1, "mu": 1, "epsfcn": 0.0} | _unscaled(9),
    "hybrj": {"xtol": mgh.DRIVER_TOL, "maxfev": 1000} | _unscaled(9),
}


#: The problems of VECFCN and VECJAC that are, statement for statement, the
#: least-squares problems of SSQFCN and SSQJAC (:mod:`mgh`) with ``m = n``:
#: Powell singular, helical valley, Chebyquad and Brown almost-linear. INITPT
#: gives them the same starting points too.
SAME_AS_MGH = {2: 6, 5: 5, 7: 15, 8: 16}


def _watson_sums(x, ti):
    """The Watson function's SUM1 and SUM2 at ``t_i``, as VECFCN and VECJAC both form them."""
    n = len(x)
    sum1 = 0.0
    temp = 1.0
    for j in range(2, n + 1):
        sum1 = sum1 + float(j - 1) * temp * x[j - 1]
        temp = ti * temp
    sum2 = 0.0
    temp = 1.0
    for j in range(1, n + 1):
        sum2 = sum2 + temp * x[j - 1]
        temp = ti * temp
    return sum1, sum2


def functions(x, nprob):
    """The `n` functions of problem `nprob` at `x` (VECFCN).

    Parameters
    ----------
    x : array_like, shape (n,)
        The variables.
    nprob : int
        Problem number, 1 to 14.

    Returns
    -------
    ndarray, shape (n,)
        ``f_i(x)``; a solution makes all of them zero.
    """
    if nprob in SAME_AS_MGH:
        return mgh.residuals(x, SAME_AS_MGH[nprob], len(x))
    x = [float(xj) for xj in x]
    n = len(x)
    f = [0.0] * n

    if nprob == 1:  # Rosenbrock function.
        x1, x2 = x
        f[0] = 1.0 - x1
        f[1] = 10.0 * (x2 - x1 * x1)

    elif nprob == 3:  # Powell badly scaled function.
        x1, x2 = x
        f[0] = 1.0e4 * x1 * x2 - 1.0
        f[1] = mgh.dexp(-x1) + mgh.dexp(-x2) - 1.0001

    elif nprob == 4:  # Wood function.
        x1, x2, x3, x4 = x
        temp1 = x2 - x1 * x1
        temp2 = x4 - x3 * x3
        f[0] = -200.0 * x1 * temp1 - (1.0 - x1)
        f[1] = 200.0 * temp1 + 20.2 * (x2 - 1.0) + 19.8 * (x4 - 1.0)
        f[2] = -180.0 * x3 * temp2 - (1.0 - x3)
        f[3] = 180.0 * temp2 + 20.2 * (x4 - 1.0) + 19.8 * (x2 - 1.0)

    elif nprob == 6:  # Watson function.
        for i in range(1, 30):
            ti = float(i) / 29.0
            sum1, sum2 = _watson_sums(x, ti)
            temp1 = sum1 - sum2 * sum2 - 1.0
            temp2 = 2.0 * ti * sum2
            temp = 1.0 / ti
            for k in range(1, n + 1):
                f[k - 1] = f[k - 1] + temp * (float(k - 1) - temp2) * temp1
                temp = ti * temp
        temp = x[1] - x[0] * x[0] - 1.0
        f[0] = f[0] + x[0] * (1.0 - 2.0 * temp)
        f[1] = f[1] + temp

    elif nprob == 9:  # Discrete boundary value function.
        h = 1.0 / float(n + 1)
        for k in range(1, n + 1):
            t = x[k - 1] + float(k) * h + 1.0
            temp = t * (t * t)
            temp1 = x[k - 2] if k != 1 else 0.0
            temp2 = x[k] if k != n else 0.0
            f[k - 1] = 2.0 * x[k - 1] - temp1 - temp2 + temp * (h * h) / 2.0

    elif nprob == 10:  # Discrete integral equation function.
        h = 1.0 / float(n + 1)
        for k in range(1, n + 1):
            tk = float(k) * h
            sum1 = 0.0
            for j in range(1, k + 1):
                tj = float(j) * h
                t = x[j - 1] + tj + 1.0
                sum1 = sum1 + tj * (t * (t * t))
            sum2 = 0.0
            for j in range(k + 1, n + 1):
                tj = float(j) * h
                t = x[j - 1] + tj + 1.0
                sum2 = sum2 + (1.0 - tj) * (t * (t * t))
            f[k - 1] = x[k - 1] + h * ((1.0 - tk) * sum1 + tk * sum2) / 2.0

    elif nprob == 11:  # Trigonometric function.
        s = 0.0
        for j in range(n):
            f[j] = math.cos(x[j])
            s = s + f[j]
        for k in range(1, n + 1):
            f[k - 1] = float(n + k) - math.sin(x[k - 1]) - s - float(k) * f[k - 1]

    elif nprob == 12:  # Variably dimensioned function.
        s = 0.0
        for j in range(1, n + 1):
            s = s + float(j) * (x[j - 1] - 1.0)
        temp = s * (1.0 + 2.0 * (s * s))
        for k in range(1, n + 1):
            f[k - 1] = x[k - 1] - 1.0 + float(k) * temp

    elif nprob == 13:  # Broyden tridiagonal function.
        for k in range(1, n + 1):
            temp = (3.0 - 2.0 * x[k - 1]) * x[k - 1]
            temp1 = x[k - 2] if k != 1 else 0.0
            temp2 = x[k] if k != n else 0.0
            f[k - 1] = temp - temp1 - 2.0 * temp2 + 1.0

    elif nprob == 14:  # Broyden banded function.
        ml, mu = 5, 1
        for k in range(1, n + 1):
            temp = 0.0
            for j in range(max(1, k - ml), min(k + mu, n) + 1):
                if j != k:
                    temp = temp + x[j - 1] * (1.0 + x[j - 1])
            xk = x[k - 1]
            f[k - 1] = xk * (2.0 + 5.0 * (xk * xk)) + 1.0 - temp

    else:
        raise ValueError(f"no nonlinear-equations problem number {nprob}")

    return np.array(f)


def jacobian(x, nprob):
    """Jacobian of the functions of problem `nprob` at `x` (VECJAC).

    Parameters
    ----------
    x : array_like, shape (n,)
        The variables.
    nprob : int
        Problem number, 1 to 14.

    Returns
    -------
    ndarray, shape (n, n)
        ``J[i, j] = d f_i / d x_j``: one row per function, as ``fsolve``'s
        `fprime` returns it with ``col_deriv=False``.
    """
    if nprob in SAME_AS_MGH:
        return mgh.jacobian(x, SAME_AS_MGH[nprob], len(x))
    x = [float(xj) for xj in x]
    n = len(x)
    J = [[0.0] * n for _ in range(n)]

    if nprob == 1:  # Rosenbrock function.
        J[0] = [-1.0, 0.0]
        J[1] = [-20.0 * x[0], 10.0]

    elif nprob == 3:  # Powell badly scaled function.
        x1, x2 = x
        J[0] = [1.0e4 * x2, 1.0e4 * x1]
        J[1] = [-mgh.dexp(-x1), -mgh.dexp(-x2)]

    elif nprob == 4:  # Wood function.
        x1, x2, x3, x4 = x
        temp1 = x2 - 3.0 * (x1 * x1)
        temp2 = x4 - 3.0 * (x3 * x3)
        J[0][0] = -200.0 * temp1 + 1.0
        J[0][1] = -200.0 * x1
        J[1][0] = -2.0 * 200.0 * x1
        J[1][1] = 200.0 + 20.2
        J[1][3] = 19.8
        J[2][2] = -180.0 * temp2 + 1.0
        J[2][3] = -180.0 * x3
        J[3][1] = 19.8
        J[3][2] = -2.0 * 180.0 * x3
        J[3][3] = 180.0 + 20.2

    elif nprob == 6:  # Watson function: the upper triangle, then mirrored.
        for i in range(1, 30):
            ti = float(i) / 29.0
            sum1, sum2 = _watson_sums(x, ti)
            temp1 = 2.0 * (sum1 - sum2 * sum2 - 1.0)
            temp2 = 2.0 * sum2
            temp = ti * ti
            tk = 1.0
            for k in range(1, n + 1):
                tj = tk
                for j in range(k, n + 1):
                    J[k - 1][j - 1] = J[k - 1][j - 1] + tj * (
                        (float(k - 1) / ti - temp2) * (float(j - 1) / ti - temp2) - temp1
                    )
                    tj = ti * tj
                tk = temp * tk
        J[0][0] = J[0][0] + 6.0 * (x[0] * x[0]) - 2.0 * x[1] + 3.0
        J[0][1] = J[0][1] - 2.0 * x[0]
        J[1][1] = J[1][1] + 1.0
        for k in range(n):
            for j in range(k, n):
                J[j][k] = J[k][j]

    elif nprob == 9:  # Discrete boundary value function.
        h = 1.0 / float(n + 1)
        for k in range(1, n + 1):
            t = x[k - 1] + float(k) * h + 1.0
            temp = 3.0 * (t * t)
            J[k - 1][k - 1] = 2.0 + temp * (h * h) / 2.0
            if k != 1:
                J[k - 1][k - 2] = -1.0
            if k != n:
                J[k - 1][k] = -1.0

    elif nprob == 10:  # Discrete integral equation function.
        h = 1.0 / float(n + 1)
        for k in range(1, n + 1):
            tk = float(k) * h
            for j in range(1, n + 1):
                tj = float(j) * h
                t = x[j - 1] + tj + 1.0
                temp = 3.0 * (t * t)
                J[k - 1][j - 1] = h * min(tj * (1.0 - tk), tk * (1.0 - tj)) * temp / 2.0
            J[k - 1][k - 1] = J[k - 1][k - 1] + 1.0

    elif nprob == 11:  # Trigonometric function.
        for j in range(1, n + 1):
            temp = math.sin(x[j - 1])
            for k in range(n):
                J[k][j - 1] = temp
            J[j - 1][j - 1] = float(j + 1) * temp - math.cos(x[j - 1])

    elif nprob == 12:  # Variably dimensioned function.
        s = 0.0
        for j in range(1, n + 1):
            s = s + float(j) * (x[j - 1] - 1.0)
        temp = 1.0 + 6.0 * (s * s)
        for k in range(1, n + 1):
            for j in range(k, n + 1):
                J[k - 1][j - 1] = float(k * j) * temp
                J[j - 1][k - 1] = J[k - 1][j - 1]
            J[k - 1][k - 1] = J[k - 1][k - 1] + 1.0

    elif nprob == 13:  # Broyden tridiagonal function.
        for k in range(1, n + 1):
            J[k - 1][k - 1] = 3.0 - 4.0 * x[k - 1]
            if k != 1:
                J[k - 1][k - 2] = -1.0
            if k != n:
                J[k - 1][k] = -2.0

    elif nprob == 14:  # Broyden banded function.
        ml, mu = 5, 1
        for k in range(1, n + 1):
            for j in range(max(1, k - ml), min(k + mu, n) + 1):
                if j != k:
                    J[k - 1][j - 1] = -(1.0 + 2.0 * x[j - 1])
            J[k - 1][k - 1] = 2.0 + 15.0 * (x[k - 1] * x[k - 1])

    else:
        raise ValueError(f"no nonlinear-equations problem number {nprob}")

    return np.array(J)


def initial_point(n, nprob, factor=1.0):
    """Starting point of problem `nprob` (INITPT).

    Parameters
    ----------
    n : int
        Number of variables.
    nprob : int
        Problem number, 1 to 14.
    factor : float, optional
        Multiple of the standard starting point. The Watson function's
        (``nprob == 6``) standard starting point is zero, so for it a
        `factor` other than 1 gives the point ``x_j = factor`` instead.

    Returns
    -------
    ndarray, shape (n,)
        The starting point.
    """
    if nprob in SAME_AS_MGH:
        return mgh.initial_point(n, SAME_AS_MGH[nprob], factor)
    fixed = {1: [-1.2, 1.0], 3: [0.0, 1.0], 4: [-3.0, -1.0, -3.0, -1.0]}
    if nprob in fixed:
        x = fixed[nprob]
        if len(x) != n:
            raise ValueError(f"problem {nprob} has a fixed n = {len(x)}, not {n}")
    elif nprob == 6:
        x = [0.0] * n
    elif nprob in (9, 10):
        h = 1.0 / float(n + 1)
        x = [float(j) * h * (float(j) * h - 1.0) for j in range(1, n + 1)]
    elif nprob == 11:
        x = [1.0 / float(n)] * n
    elif nprob == 12:
        h = 1.0 / float(n)
        x = [1.0 - float(j) * h for j in range(1, n + 1)]
    elif nprob in (13, 14):
        x = [-1.0] * n
    else:
        raise ValueError(f"no nonlinear-equations problem number {nprob}")
    if factor != 1.0:
        x = [factor] * n if nprob == 6 else [factor * xj for xj in x]
    return np.array(x)
