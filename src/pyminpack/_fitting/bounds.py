"""Bounds on fit parameters through MINUIT's bounded-to-unbounded transformation.

MINPACK's Levenberg-Marquardt has no bounds.  As MINUIT does (F. James,
*MINUIT Reference Manual*, section "Parameter limits") and lmfit after it,
each bounded parameter ``p`` is written as a smooth function of an
unbounded internal parameter ``q`` whose every value lands inside the
bounds, and MINPACK fits ``q``:

=================  =====================================  ===========================
bounds             ``p`` of ``q``                         ``dp/dq``
=================  =====================================  ===========================
``lb <= p <= ub``  ``lb + (ub - lb) * (sin(q) + 1) / 2``  ``(ub - lb) / 2 * cos(q)``
``lb <= p``        ``lb - 1 + sqrt(q**2 + 1)``            ``q / sqrt(q**2 + 1)``
``p <= ub``        ``ub + 1 - sqrt(q**2 + 1)``            ``-q / sqrt(q**2 + 1)``
none               ``q``                                  ``1``
=================  =====================================  ===========================

A Jacobian with respect to ``p`` becomes one with respect to ``q`` by the
chain rule (column ``j`` times ``dp_j/dq_j``), and a covariance of ``q`` is
mapped back to ``p`` by the same derivatives, ``D @ cov_q @ D`` with
``D = diag(dp/dq)``, as lmfit does.  Away from the bounds that gives back the
linearised covariance of the unbounded problem; at a bound ``dp/dq`` is zero
and the covariance there means nothing, which :meth:`ParameterTransform.at_bound`
detects.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["AT_BOUND_RTOL", "ParameterTransform", "parse_bounds", "parse_bounds_per_curve"]

#: A fitted parameter counts as at a bound when it lies within this fraction
#: of ``max(1, |bound|)`` (or, between two bounds, of ``ub - lb``) of it.
#: An optimum on a bound is a minimum of the fit in ``q`` at a stationary
#: point of the transform, where ``p - bound`` shrinks like ``q**2``; MINPACK
#: stops there with ``q`` of order ``sqrt(xtol)`` or less, so ``p`` within
#: about ``xtol`` (1.5e-8 by default) of the bound.  An interior optimum is
#: practically never this close.
AT_BOUND_RTOL = 1e-6


def _bound_array(name: str, value: ArrayLike, n: int) -> NDArray[np.float64]:
    """Return one side of the bounds as ``n`` floats: a scalar is broadcast."""
    array = np.asarray(value, dtype=float)
    if np.isnan(array).any():
        raise ValueError(f"The {name} bounds must not be nan.")
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(
            f"The {name} bounds must be a scalar or have one entry per parameter (N={n}); got shape {array.shape}."
        )
    return array


def _is_unbounded(bounds: Any) -> bool:
    """Whether ``bounds`` is the pair of floats ``(-inf, inf)``, ``curve_fit``'s default."""
    return (
        type(bounds) is tuple
        and len(bounds) == 2
        and type(bounds[0]) is float
        and type(bounds[1]) is float
        and bounds[0] == -np.inf
        and bounds[1] == np.inf
    )


def parse_bounds(
    bounds: Any, n: int, names: tuple[str, ...] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``(lb, ub)``, each ``n`` floats, from ``curve_fit``'s ``bounds``.

    Parameters
    ----------
    bounds : 2-tuple of array_like, or object with ``lb`` and ``ub``
        ``(lb, ub)``, each a scalar (the same bound for every parameter) or
        one value per parameter, ``-np.inf``/``np.inf`` for no bound; or a
        ``scipy.optimize.Bounds``-like object with those as ``.lb``/``.ub``.
    n : int
        The number of parameters.
    names : tuple of str, optional
        The parameters' names, for the messages (else their indices).

    Returns
    -------
    lb, ub : ndarray of float, shape (n,)

    Raises
    ------
    ValueError
        ``bounds`` is not a pair, a side has the wrong shape or holds nan, or
        a lower bound is not strictly less than its upper bound.

    Examples
    --------
    >>> lb, ub = parse_bounds((0, [1.0, np.inf]), 2)
    >>> lb, ub
    (array([0., 0.]), array([ 1., inf]))
    """
    if _is_unbounded(bounds):  # the default: nothing to check on an unbounded fit's path
        return np.full(n, -np.inf), np.full(n, np.inf)
    lower, upper = _sides(bounds)
    lb, ub = _bound_array("lower", lower, n), _bound_array("upper", upper, n)
    _check_order(lb, ub, names)
    return lb, ub


def _sides(bounds: Any) -> tuple[Any, Any]:
    """Return ``(lower, upper)`` of a 2-tuple or of an object with ``lb`` and ``ub``."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        return bounds.lb, bounds.ub
    try:
        lower, upper = bounds
    except (TypeError, ValueError):
        raise ValueError("`bounds` must be a 2-tuple (lb, ub) or have attributes lb and ub.") from None
    return lower, upper


def _check_order(lb: NDArray[np.float64], ub: NDArray[np.float64], names: tuple[str, ...] | None) -> None:
    """Raise ``ValueError`` naming the first parameter (and curve, for 2-D bounds) with ``lb >= ub``."""
    crossed = np.argwhere(lb >= ub)
    if crossed.size:
        *curve, i = (int(index) for index in crossed[0])
        where = "" if not curve else f" of curve {curve[0]}"
        raise ValueError(
            "Each lower bound must be strictly less than each upper bound; "
            f"parameter {i if names is None else names[i]}{where} has lower bound {lb[tuple(crossed[0])]:g} "
            f">= upper bound {ub[tuple(crossed[0])]:g}."
        )


def parse_bounds_per_curve(
    bounds: Any, curves: int, n: int, names: tuple[str, ...] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Return ``(lb, ub)`` for ``fit_many``: shared, shape (n,), or one row per curve, shape (curves, n).

    As :func:`parse_bounds` (same forms, checks and messages), except that
    a side may also be a ``(curves, n)`` array; a side given per curve
    makes both per curve.  None for no bounds at all.  ``names`` name the
    parameters in the messages, as for :func:`parse_bounds`.

    Examples
    --------
    >>> parse_bounds_per_curve((0, [[1.0, 2.0], [3.0, np.inf]]), 2, 2)
    (array([[0., 0.],
           [0., 0.]]), array([[ 1.,  2.],
           [ 3., inf]]))
    >>> parse_bounds_per_curve((-np.inf, np.inf), 2, 2) is None
    True
    """
    if _is_unbounded(bounds):
        return None
    lower, upper = _sides(bounds)
    sides = []
    for name, value in (("lower", lower), ("upper", upper)):
        if np.ndim(value) == 2:
            array = np.asarray(value, dtype=float)
            if np.isnan(array).any():
                raise ValueError(f"The {name} bounds must not be nan.")
            if array.shape != (curves, n):
                raise ValueError(
                    f"The {name} bounds must be a scalar, have one entry per parameter (N={n}) or one row per "
                    f"curve (K, N) = ({curves}, {n}); got shape {array.shape}."
                )
            sides.append(array)
        else:
            sides.append(_bound_array(name, value, n))
    lb, ub = sides
    if lb.ndim != ub.ndim:
        lb, ub = (np.array(np.broadcast_to(side, (curves, n))) for side in (lb, ub))
    _check_order(lb, ub, names)
    if not (np.isfinite(lb).any() or np.isfinite(ub).any()):
        return None
    return lb, ub


def check_starts(lb_ub: tuple[NDArray[np.float64], NDArray[np.float64]], p0: NDArray[np.float64], curves: int) -> None:
    """Raise ``ValueError`` naming ``fit_many``'s first start outside its bounds.

    ``p0`` is one start for every curve, shape (n,), or one per curve,
    (curves, n); ``lb_ub`` as :func:`parse_bounds_per_curve` returns it.  One
    start within one set of bounds is named as ``curve_fit`` names it.
    """
    lb, ub = lb_ub
    if p0.ndim == 1 and lb.ndim == 1:
        ParameterTransform(lb, ub).check_start(p0)
        return
    shape = (curves, p0.shape[-1])
    transform = ParameterTransform(*(np.broadcast_to(side, shape) for side in lb_ub))
    transform.check_start(np.broadcast_to(p0, shape), one_start=p0.ndim == 1)


@dataclass(frozen=True)
class ParameterTransform:
    """MINUIT's map between internal, unbounded parameters ``q`` and bounded ``p``.

    Parameters
    ----------
    lb, ub : ndarray of float, shape (n,)
        The bounds, as :func:`parse_bounds` returns them.

    Examples
    --------
    >>> t = ParameterTransform(np.array([0.0, 1.0, -np.inf]), np.array([2.0, np.inf, 3.0]))
    >>> q = t.to_internal(np.array([1.5, 4.0, 0.0]))
    >>> t.to_external(q)
    array([1.5, 4. , 0. ])
    >>> t.to_external(np.array([100.0, -100.0, 100.0])) < [2.0, np.inf, 3.0]
    array([ True,  True,  True])
    """

    lb: NDArray[np.float64]
    ub: NDArray[np.float64]

    @property
    def _two_sided(self) -> NDArray[np.bool_]:
        return np.isfinite(self.lb) & np.isfinite(self.ub)

    @property
    def _lower_only(self) -> NDArray[np.bool_]:
        return np.isfinite(self.lb) & ~np.isfinite(self.ub)

    @property
    def _upper_only(self) -> NDArray[np.bool_]:
        return ~np.isfinite(self.lb) & np.isfinite(self.ub)

    @functools.cached_property
    def is_identity(self) -> bool:
        """Whether no parameter has a finite bound (then ``p`` is ``q``)."""
        return not (np.isfinite(self.lb).any() or np.isfinite(self.ub).any())

    def default_start(self) -> NDArray[np.float64]:
        """Return SciPy's default ``p0`` for these bounds.

        One, or the midpoint between two bounds, or one inside a single bound
        (``scipy.optimize._minpack_py._initialize_feasible``).
        """
        p0 = np.ones_like(self.lb)
        both, lower, upper = self._two_sided, self._lower_only, self._upper_only
        p0[both] = 0.5 * (self.lb[both] + self.ub[both])
        p0[lower] = self.lb[lower] + 1
        p0[upper] = self.ub[upper] - 1
        return p0

    def check_start(self, p0: NDArray[np.float64], *, one_start: bool = False) -> None:
        """Raise ``ValueError`` naming the first parameter of ``p0`` outside its bounds.

        ``p0`` is one start, shape (n,), or ``fit_many``'s start per curve,
        (K, n), against bounds of the same shape.  ``one_start``: the rows
        of ``p0`` are one start the caller gave for every curve, named as
        given (``p0[j]``), with the curve whose bounds it is outside.
        """
        if self.is_identity:
            return
        outside = np.argwhere((p0 < self.lb) | (p0 > self.ub))
        if outside.size:
            i = tuple(int(index) for index in outside[0])  # (parameter,), or (curve, parameter) for fit_many
            name, curve = (f"p0[{i[-1]}]", f" on curve {i[0]}") if one_start else (f"p0[{', '.join(map(str, i))}]", "")
            raise ValueError(
                f"Initial guess {name} = {float(p0[i]):g} is outside its bounds "
                f"[{self.lb[i]:g}, {self.ub[i]:g}]{curve}; start every parameter within its bounds."
            )

    def to_internal(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the internal ``q`` whose :meth:`to_external` is ``p`` (within the bounds).

        A ``p`` exactly on a bound maps to a stationary point of the
        transform, where ``dp/dq = 0`` and MINPACK could never move it; such
        a ``p`` is first moved inside by ``AT_BOUND_RTOL / 100`` of its scale.
        """
        p = self._nudged_inside(np.asarray(p, dtype=float))
        q = p.copy()
        both, lower, upper = self._two_sided, self._lower_only, self._upper_only
        scaled = 2.0 * (p[both] - self.lb[both]) / (self.ub[both] - self.lb[both]) - 1.0
        q[both] = np.arcsin(np.clip(scaled, -1.0, 1.0))
        q[lower] = np.sqrt((p[lower] - self.lb[lower] + 1.0) ** 2 - 1.0)
        q[upper] = np.sqrt((self.ub[upper] - p[upper] + 1.0) ** 2 - 1.0)
        return q

    def to_external(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the user's parameters ``p`` for internal parameters ``q``."""
        p = np.array(q, dtype=float)
        both, lower, upper = self._two_sided, self._lower_only, self._upper_only
        p[both] = self.lb[both] + (self.ub[both] - self.lb[both]) * (np.sin(q[both]) + 1.0) / 2.0
        p[lower] = self.lb[lower] - 1.0 + np.sqrt(q[lower] ** 2 + 1.0)
        p[upper] = self.ub[upper] + 1.0 - np.sqrt(q[upper] ** 2 + 1.0)
        # Rounding must not put p a hair outside the bounds.
        return np.clip(p, self.lb, self.ub)

    def derivative(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``dp/dq``, elementwise: the diagonal of the transform's Jacobian."""
        d = np.ones_like(q, dtype=float)
        both, lower, upper = self._two_sided, self._lower_only, self._upper_only
        d[both] = (self.ub[both] - self.lb[both]) / 2.0 * np.cos(q[both])
        d[lower] = q[lower] / np.sqrt(q[lower] ** 2 + 1.0)
        d[upper] = -q[upper] / np.sqrt(q[upper] ** 2 + 1.0)
        return d

    def covariance_to_external(self, cov_q: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map a covariance of ``q`` to one of ``p``: ``D @ cov_q @ D``, ``D = diag(dp/dq)``."""
        d = self.derivative(q)
        return d[:, np.newaxis] * cov_q * d[np.newaxis, :]

    def _tolerance(self, rtol: float) -> NDArray[np.float64]:
        """Return ``rtol`` times each parameter's scale near its bounds."""
        finite_lb = np.where(np.isfinite(self.lb), self.lb, 0.0)
        finite_ub = np.where(np.isfinite(self.ub), self.ub, 0.0)
        scale = np.maximum.reduce([np.ones_like(self.lb), np.abs(finite_lb), np.abs(finite_ub)])
        both = self._two_sided
        scale[both] = self.ub[both] - self.lb[both]
        return rtol * scale

    def _nudged_inside(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        step = self._tolerance(AT_BOUND_RTOL / 100)
        return np.clip(p, self.lb + step, self.ub - step)

    def at_bound(self, p: NDArray[np.float64]) -> NDArray[np.intp]:
        """Return the indices of the parameters of ``p`` at (within tolerance of) a bound.

        See :data:`AT_BOUND_RTOL` for the tolerance.
        """
        tol = self._tolerance(AT_BOUND_RTOL)
        return np.flatnonzero((p - self.lb <= tol) | (self.ub - p <= tol))
