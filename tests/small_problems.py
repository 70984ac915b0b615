"""Small least-squares problems with analytic Jacobians, for the leastsq tests.

Each problem is a residual function ``func(p)``, its Jacobian ``jac(p)``
(derivatives across the rows, shape ``(m, n)``, as ``leastsq``'s ``Dfun``
returns them by default), and a starting point.  The answers the tests check
against are closed-form where one exists (``LINE``, ``ROSENBROCK_OFFSET``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

T = np.linspace(0.0, 1.0, 5)


@dataclass(frozen=True)
class Problem:
    """A residual function, its row-wise Jacobian and a starting point."""

    name: str
    func: Callable[[np.ndarray], np.ndarray]
    jac: Callable[[np.ndarray], np.ndarray]
    x0: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.x0)

    @property
    def m(self) -> int:
        return len(self.func(np.asarray(self.x0, dtype=float)))

    def __repr__(self) -> str:  # short pytest ids
        return self.name


LINE_Y = np.array([0.0, 1.5, 1.0, 2.5, 2.0])


def _line(p):
    return p[0] + p[1] * T - LINE_Y


def _line_jac(p):
    return np.column_stack([np.ones_like(T), T])


#: Straight line through 2t plus symmetric data: least-squares answer
#: (0.4, 2), residual sum of squares 1.2.  (No coordinate of the answer is
#: zero: a forward difference at a coordinate of about 1e-16 is meaningless.)
LINE = Problem("line", _line, _line_jac, (0.0, 0.0))
LINE_SOLUTION = np.array([0.4, 2.0])
LINE_RSS = 1.2

EXP_Y = np.array([1.0, 2.0, 2.5, 4.0, 7.0])


def _exp(p):
    return p[0] * np.exp(p[1] * T) - EXP_Y


def _exp_jac(p):
    e = np.exp(p[1] * T)
    return np.column_stack([e, p[0] * T * e])


#: Exponential growth fitted to five points: nonlinear, well conditioned.
EXP = Problem("exp", _exp, _exp_jac, (1.0, 1.0))


def _rosenbrock_offset(p):
    return np.array([10.0 * (p[1] - p[0] ** 2), 1.0 - p[0], 0.1])


def _rosenbrock_offset_jac(p):
    return np.array([[-20.0 * p[0], 10.0], [-1.0, 0.0], [0.0, 0.0]])


#: Rosenbrock's residuals plus a constant one: minimum at (1, 1), RSS 0.01.
ROSENBROCK_OFFSET = Problem("rosenbrock_offset", _rosenbrock_offset, _rosenbrock_offset_jac, (-1.2, 1.0))


def _orthogonal(p):
    return np.array([p[0], 1.0])


def _orthogonal_jac(p):
    return np.array([[1.0], [0.0]])


#: Residuals (p, 1) from p = 1e-20: the cosine between the residuals and the
#: Jacobian's column is 1e-20, positive but below the machine epsilon, and the
#: one step MINPACK can take changes nothing it can measure.  With ftol = 0
#: MINPACK ends with ier 8 ("gtol is too small").
ORTHOGONAL = Problem("orthogonal", _orthogonal, _orthogonal_jac, (1e-20,))


def _runaway(p):
    return np.exp(p)


def _runaway_jac(p):
    return np.diag(np.exp(p))


#: ``exp(p)``, one residual per parameter: no minimum (the infimum is at
#: -inf), each Gauss-Newton step moves by -1, so every solve ends with
#: ier 5 once ``maxfev`` is spent.
RUNAWAY = Problem("runaway", _runaway, _runaway_jac, (0.0, 0.0, 0.0))


def runaway(n: int) -> Problem:
    """:data:`RUNAWAY` with ``n`` parameters."""
    return Problem(f"runaway{n}", _runaway, _runaway_jac, (0.0,) * n)


def assert_cov_close(actual, expected, tol):
    """Covariances equal to ``tol`` on the scale of the standard deviations.

    Entry (i, j) may differ by ``tol * sqrt(expected[i, i] * expected[j, j])``:
    a relative test on the variances and an absolute one on the
    correlations, so that covariances that are zero by symmetry (and so
    only rounding noise) do not demand relative agreement.
    """
    assert actual is not None and expected is not None
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    np.testing.assert_array_less(np.abs(actual - expected), tol * scale)
