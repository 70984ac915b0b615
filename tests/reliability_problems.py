"""Small, distinct least-squares problems for the reliability tests.

Each problem is an exponential decay ``y = a exp(-b t) + c`` fitted to
noisy data; the true parameters, the noise, the number of points, the
starting point and whether an analytic Jacobian is given all depend on
the problem's number, so no two solves in a batch are alike and a
callback answering for the wrong problem changes the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pyminpack import leastsq

Hook = Callable[[], None]


def _no_hook() -> None:
    pass


@dataclass
class Decay:
    """One exponential-decay fit: ``func``/``Dfun`` and how to solve it.

    ``hook`` runs inside every call of ``func`` and ``Dfun``: the tests use
    it to release the GIL, to count calls or to run a nested solve.
    """

    number: int
    t: NDArray[np.float64]
    y: NDArray[np.float64]
    x0: NDArray[np.float64]
    with_jacobian: bool
    col_deriv: bool
    hook: Hook = field(default=_no_hook)
    jacobian_hook: Hook = field(default=_no_hook)

    def func(self, p: NDArray[np.float64], t: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        self.hook()
        a, b, c = p
        return a * np.exp(-b * t) + c - y

    def dfun(self, p: NDArray[np.float64], t: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        self.jacobian_hook()
        a, b, _ = p
        decay = np.exp(-b * t)
        jac = np.column_stack([decay, -a * t * decay, np.ones_like(t)])
        return jac.T if self.col_deriv else jac

    def solve(self) -> tuple[Any, ...]:
        """Solve it with ``full_output``; the hooks run inside."""
        return leastsq(
            self.func,
            self.x0,
            args=(self.t, self.y),
            Dfun=self.dfun if self.with_jacobian else None,
            col_deriv=self.col_deriv,
            full_output=True,
        )


def decay(number: int, points: int | None = None) -> Decay:
    """Return problem ``number``: reproducible, and different for each number."""
    rng = np.random.default_rng(number)
    m = points if points is not None else int(rng.integers(8, 40))
    t = np.linspace(0.0, 4.0, m)
    truth = np.array([rng.uniform(0.5, 5.0), rng.uniform(0.2, 3.0), rng.uniform(-1.0, 1.0)])
    noise = rng.uniform(0.0, 0.1) * rng.standard_normal(m)
    y = truth[0] * np.exp(-truth[1] * t) + truth[2] + noise
    x0 = truth * rng.uniform(0.6, 1.4, size=3)
    return Decay(number, t, y, x0, with_jacobian=number % 2 == 1, col_deriv=number % 4 == 3)


@dataclass(frozen=True)
class Outcome:
    """What must be bit-for-bit reproducible about one solve."""

    x: NDArray[np.float64]
    fvec: NDArray[np.float64]
    nfev: int
    njev: int | None
    ier: int

    @classmethod
    def of(cls, result: tuple[Any, ...]) -> Outcome:
        x, _, info, _, ier = result
        return cls(x, info["fvec"], info["nfev"], info.get("njev"), ier)

    def same_as(self, other: Outcome) -> bool:
        return (
            np.array_equal(self.x, other.x)
            and np.array_equal(self.fvec, other.fvec)
            and (self.nfev, self.njev, self.ier) == (other.nfev, other.njev, other.ier)
        )
