"""The settings of a MINPACK solve, checked once per call: every default and every message is here.

:func:`pyminpack.leastsq` (with a Python or a compiled function, and so
``curve_fit`` and ``fit``), :func:`pyminpack.fsolve` (and ``root``),
:func:`pyminpack.fit_many` and :func:`pyminpack.fit_many_dask` build one
:class:`SolverSettings` from the user's arguments and hand it down to
MINPACK.  What depends on the path a solve takes -- the default
``maxfev`` (``lmdif`` or ``lmder``, ``hybrd`` or ``hybrj``) and the default
``epsfcn`` (the machine precision of the residuals' dtype) -- is resolved
where it is known: ``maxfev`` when the settings are checked, ``epsfcn`` by
:meth:`SolverSettings.step_epsilon` once the residuals' dtype is.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import Any, NamedTuple, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: ``scipy.optimize.leastsq``'s defaults (``maxfev`` 0: the path's default, see :meth:`SolverSettings.check`).
FTOL = 1.49012e-08
XTOL = 1.49012e-08
GTOL = 0.0
MAXFEV = 0
FACTOR = 100

#: The largest evaluation limit a Fortran default INTEGER holds.  A larger
#: ``maxfev`` means "no limit" just as well, so it is clipped to this.
MAXFEV_LIMIT = 2**31 - 1

#: MINPACK's MODE: 1 lets it scale the variables itself, 2 takes ``diag``.
MODE_INTERNAL_SCALING = 1
MODE_USER_SCALING = 2

_FLOAT64 = np.dtype(np.float64)


class MinpackOptions(TypedDict, total=False):
    """MINPACK's settings as keyword arguments (``fit_many``'s and ``fit_many_dask``'s ``**solver_options``)."""

    ftol: float
    xtol: float
    gtol: float
    maxfev: int
    epsfcn: float | None
    factor: float


class SolverSettings(NamedTuple):
    """One solve's MINPACK settings, checked, with the path's defaults filled in.

    Build it with :meth:`check`.

    Attributes
    ----------
    ftol, xtol, gtol, factor : float
        MINPACK's tolerances and initial step bound factor.
    maxfev : int
        MINPACK's MAXFEV: as given (clipped to what MINPACK holds), or the
        path's default.
    epsfcn : float or None
        The forward-difference step's relative error; None for the machine
        precision of the residuals' dtype (:meth:`step_epsilon`), and always
        None with a Jacobian (MINPACK's ``lmder`` takes none).
    diag : ndarray or None
        MODE 2's scale factors, or None for MODE 1.
    allow_nonfinite : bool
        What the non-finite guard does where MINPACK would build on nan or
        inf: raise (False) or end the solve with ``ier`` -2 (True).
    progress : callable or None
        ``progress(x, fvec)`` on MINPACK's reports (NPRINT = 1), or None.
    band : tuple of int or None
        ``hybrd``'s ML and MU (fsolve's ``band``): the forward-difference
        Jacobian's lower and upper bandwidths; None for a full one (and
        always None with a Jacobian, which ``hybrj`` takes whole).
    """

    ftol: float
    xtol: float
    gtol: float
    maxfev: int
    epsfcn: float | None
    factor: float
    diag: NDArray[np.float64] | None
    allow_nonfinite: bool
    progress: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None
    band: tuple[int, int] | None = None

    @classmethod
    def check(
        cls,
        n: int,
        *,
        has_jacobian: bool,
        ftol: float = FTOL,
        xtol: float = XTOL,
        gtol: float = GTOL,
        maxfev: int = MAXFEV,
        epsfcn: float | None = None,
        factor: float = FACTOR,
        diag: ArrayLike | None = None,
        allow_nonfinite: bool = False,
        progress: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None = None,
        band: object = None,
    ) -> SolverSettings:
        """Check the user's settings for a problem of ``n`` parameters and fill in the defaults.

        Parameters
        ----------
        n : int
            The number of parameters (the length ``diag`` must have).
        has_jacobian : bool
            Whether the solve has a Jacobian (MINPACK's ``lmder``) or forms
            forward differences (``lmdif``): it picks the default ``maxfev``,
            and ``epsfcn`` is only checked without one (``lmder`` ignores it,
            as SciPy does).
        ftol, xtol, gtol, maxfev, epsfcn, factor, diag, allow_nonfinite
            As for :func:`pyminpack.leastsq`: ``maxfev`` 0 means
            ``200*(n+1)``, or ``100*(n+1)`` with a Jacobian.
        progress : callable, optional
            ``leastsq``'s ``callback``.
        band : sequence of two int, optional
            ``fsolve``'s ``band``, ``(ml, mu)``; only checked without a
            Jacobian (``hybrj`` ignores it, as SciPy does).

        Returns
        -------
        SolverSettings

        Raises
        ------
        TypeError
            A setting is not a real number, ``maxfev`` is not an integer, or
            ``band`` is not two integers.
        ValueError
            A setting is nan or infinite, ``diag`` does not hold ``n``
            finite values, or a bandwidth is negative.

        Examples
        --------
        >>> settings = SolverSettings.check(2, has_jacobian=True)
        >>> settings.maxfev, settings.mode
        (300, 1)
        >>> SolverSettings.check(2, has_jacobian=False).step_epsilon(np.dtype(np.float32))
        1.1920928955078125e-07
        """
        if (
            ftol is FTOL and xtol is XTOL and gtol is GTOL and maxfev is MAXFEV and epsfcn is None
            and factor is FACTOR and diag is None and allow_nonfinite is False and progress is None and band is None
        ):  # fmt: skip
            return _defaults(n, has_jacobian)  # nothing to check: a small solve's common case
        if not (
            type(ftol) is float and type(xtol) is float and type(gtol) is float and math.isfinite(ftol + xtol + gtol)
        ):
            ftol, xtol, gtol = finite_float("ftol", ftol), finite_float("xtol", xtol), finite_float("gtol", gtol)
        if not (type(maxfev) is int and 0 <= maxfev <= MAXFEV_LIMIT):
            # A negative value is passed on: MINPACK answers it with INFO = 0
            # ("Improper input parameters."), as the original Fortran always did.
            try:
                maxfev = min(operator.index(maxfev), MAXFEV_LIMIT)
            except TypeError as exc:  # SciPy's words, after the argument's name
                raise TypeError(f"maxfev must be an integer: {exc}") from None
        return cls(
            ftol,
            xtol,
            gtol,
            maxfev or (100 if has_jacobian else 200) * (n + 1),
            None if has_jacobian or epsfcn is None else finite_float("epsfcn", epsfcn),
            finite_float("factor", factor),
            None if diag is None else scaling(diag, n),
            bool(allow_nonfinite),
            progress,
            None if has_jacobian or band is None else bandwidths(band),
        )

    @property
    def mode(self) -> int:
        """MINPACK's MODE: 2 with ``diag``, else 1."""
        return MODE_INTERNAL_SCALING if self.diag is None else MODE_USER_SCALING

    @property
    def nprint(self) -> int:
        """MINPACK's NPRINT: a progress report (FCN with IFLAG = 0) every iteration for ``progress``, else none."""
        return 0 if self.progress is None else 1

    def ml_mu(self, n: int) -> tuple[int, int]:
        """Return ``hybrd``'s ML and MU for ``n`` unknowns: ``band``, or ``n - 1`` each (a full Jacobian)."""
        return (n - 1, n - 1) if self.band is None else self.band

    def step_epsilon(self, dtype: np.dtype[Any] = _FLOAT64) -> float:
        """Return MINPACK's EPSFCN: as given, or the machine precision of the residuals' ``dtype``."""
        return machine_epsilon(dtype) if self.epsfcn is None else self.epsfcn


@functools.lru_cache(maxsize=64)
def _defaults(n: int, has_jacobian: bool) -> SolverSettings:
    """The default settings of a problem of ``n`` parameters (immutable, so shared)."""
    maxfev = (100 if has_jacobian else 200) * (n + 1)
    return SolverSettings(FTOL, XTOL, GTOL, maxfev, None, float(FACTOR), None, False, None)


@functools.cache
def machine_epsilon(dtype: np.dtype[Any]) -> float:
    """Return ``numpy.finfo(dtype).eps`` as a float (cached: finfo is slow)."""
    return float(np.finfo(dtype).eps)


def finite_float(name: str, value: object) -> float:
    """Return ``value`` as a float, refusing text, nan and inf with a clear error."""
    if type(value) is float or type(value) is int:  # the common cases, and the defaults
        number = float(value)
        if math.isfinite(number):
            return number
    elif isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number; got {value!r}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {number}.")
    return number


def scaling(diag: object, n: int) -> NDArray[np.float64]:
    """Return ``diag`` as a float64 array of length ``n``, or raise.

    Zero or negative entries are passed on: MINPACK answers them with
    INFO = 0 ("Improper input parameters."), as SciPy does.

    Raises
    ------
    ValueError
        If ``diag`` does not have one entry per parameter, or holds nan/inf.
    """
    try:
        values = np.asarray(diag, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"diag must be a sequence of {n} positive numbers; got {diag!r}.") from None
    if values.shape != (n,):
        raise ValueError(f"diag must have one entry per parameter: expected shape ({n},), got {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("diag must be finite; it holds nan or inf.")
    return values


def bandwidths(band: object) -> tuple[int, int]:
    """Return fsolve's ``band`` as ``(ml, mu)``, two non-negative integers, or raise.

    SciPy unpacks ``band[:2]`` and reads a negative bandwidth as "full"; here
    anything but two non-negative integers is refused, naming ``band``.
    """
    try:
        ml, mu = (operator.index(width) for width in band)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise TypeError(f"band must be a sequence of two integers (ml, mu); got {band!r}.") from None
    if ml < 0 or mu < 0:
        raise ValueError(f"band's bandwidths (ml, mu) must not be negative; got {(ml, mu)}.")
    return ml, mu


def check_problem_size(n: int, m: int) -> None:
    """Raise SciPy's ``TypeError`` when there are more parameters than residuals."""
    if n > m:
        raise TypeError(
            f"Improper input: func input vector length N={n} must not exceed func output vector length M={m}"
        )
