"""Powell's hybrid method (MINPACK's ``hybrd`` and ``hybrj``): what ``fsolve`` and ``root(method='hybr')`` share.

SciPy's ``_root_hybr`` is the one solve behind both; so is :func:`solve_hybrid`
here.  It checks the arguments once, calls ``func`` (and ``fprime``) at
``x0`` to check their shapes, as SciPy does, and hands MINPACK the checked
``func(x0)`` as its starting ``fvec``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._minpack import hybrd, hybrj
from .._native import hybrid as native_hybrid
from .callbacks import AT_THE_START, HYBRD_FCN, HYBRJ_FCN, hybrid_evaluator, raise_stored_error
from .compiled import Compiled, CompiledSolve, compiled_functions, is_compiled, raise_compiled_stop
from .messages import IER_NONFINITE, IMPROPER_INPUT, hybrid_message
from .settings import SolverSettings
from .validation import (
    all_finite,
    callable_name,
    check_func,
    raise_nonfinite,
    refuse_nonfinite_start,
    residual_vector,
    starting_point,
)


class HybridSolution(NamedTuple):
    """What one hybrd/hybrj solve returns, in SciPy's layouts.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The final estimate.
    fvec : ndarray, shape (n,), or None
        ``func`` at ``x``; None (as ``fjac``, ``r`` and ``qtf``) when the
        solve was asked for no outputs (``outputs=False``, compiled only).
    info : int
        MINPACK's INFO, 0 to 5, or :data:`IER_NONFINITE`.
    nfev : int
        Every call of ``func``: MINPACK's count plus the checking call at ``x0``.
    njev : int or None
        MINPACK's ``njev`` with ``fprime`` (its checking call not counted, as
        in SciPy), else None.
    fjac : ndarray, shape (n, n), or None
        MINPACK's orthogonal Q, transposed (SciPy's C-ordered view of FJAC).
    r : ndarray, shape (n (n + 1) / 2,), or None
        The upper triangular R, packed by rows.
    qtf : ndarray, shape (n,), or None
        ``Q^T fvec``.
    settings : SolverSettings
        The settings it ran with (``xtol``, ``maxfev`` for the message).
    """

    x: NDArray[np.float64]
    fvec: NDArray[np.float64] | None
    info: int
    nfev: int
    njev: int | None
    fjac: NDArray[np.float64] | None
    r: NDArray[np.float64] | None
    qtf: NDArray[np.float64] | None
    settings: SolverSettings

    def counts(self) -> dict[str, int]:
        """``{'nfev': ...}``, and ``'njev'`` with ``fprime``, in SciPy's order."""
        return {"nfev": self.nfev} if self.njev is None else {"nfev": self.nfev, "njev": self.njev}

    def message(self) -> str:
        """SciPy's message for :attr:`info`."""
        return hybrid_message(self.info, xtol=self.settings.xtol, maxfev=self.settings.maxfev)


def solve_hybrid(
    func: Callable[..., ArrayLike] | Compiled,
    x0: ArrayLike,
    args: Any,
    fprime: Callable[..., ArrayLike] | None,
    *,
    col_deriv: bool,
    xtol: float,
    maxfev: int,
    band: object,
    epsfcn: float | None,
    factor: float,
    diag: ArrayLike | None,
    allow_nonfinite: bool,
    progress: Callable[[NDArray[np.float64], NDArray[np.float64]], Any] | None,
    outputs: bool = True,
) -> HybridSolution:
    """Solve ``func(x) = 0`` with hybrd (no ``fprime``) or hybrj; the arguments are fsolve's.

    ``outputs=False`` lets a compiled solve skip making ``fvec``, ``fjac``,
    ``r`` and ``qtf`` (None then), which fsolve without ``full_output``
    never reads: a small solve's fixed cost (benchmarks/RESULTS.md).

    Raises
    ------
    TypeError, ValueError
        As :func:`pyminpack.fsolve` documents.
    """
    # pyminpack.Compiled: the solve makes no Python call.
    compiled = (
        compiled_functions(func, args, fprime, col_deriv, progress, checker="fsolve", jacobian_name="fprime")
        if is_compiled(func) or is_compiled(fprime)
        else None
    )
    x0 = starting_point(x0, compiled=compiled is not None)
    n = len(x0)
    settings = SolverSettings.check(
        n, has_jacobian=fprime is not None if compiled is None else compiled.has_jacobian, xtol=xtol, maxfev=maxfev,
        epsfcn=epsfcn, factor=factor, diag=diag, allow_nonfinite=allow_nonfinite, progress=progress, band=band,
    )  # fmt: skip
    if compiled is not None:
        return _compiled_hybrid(compiled, x0, settings, outputs)
    func = cast("Callable[..., ArrayLike]", func)  # not compiled: a Python callable from here on
    if not isinstance(args, tuple):
        args = (args,)
    first, dtype = check_func("fsolve", "func", func, x0, args, n, (n,))
    # MINPACK's fvec work array, overwritten in place; until then func(x0).
    fvec = np.array(residual_vector(func, first, checker="fsolve"), dtype=np.float64)
    if fvec.shape != (n,):  # check_func lets any output through for n = 1, as SciPy's does
        raise TypeError(
            f"fsolve: the 'func' argument {callable_name(func)!r} must return one value per unknown, "
            f"{n}; it returned {fvec.shape[0]}."
        )
    if not settings.allow_nonfinite and not all_finite(fvec):
        raise_nonfinite("func", func, 0, x0, AT_THE_START, checker="fsolve")
    if fprime is not None:
        jacobian, _ = check_func("fsolve", "fprime", fprime, x0, args, n, (n, n))
        if not settings.allow_nonfinite and not all_finite(jacobian):
            raise_nonfinite("fprime", fprime, 0, x0, AT_THE_START, checker="fsolve")
    if n == 0:
        # hybrd and hybrj answer N <= 0 with INFO = 0 before anything else;
        # f2py cannot hand them a zero-length array.
        empty = np.empty(0)
        return HybridSolution(
            empty, fvec, IMPROPER_INPUT, 1, None if fprime is None else 0, np.empty((0, 0)), empty, empty, settings
        )

    # MODE 1: MINPACK fills DIAG itself before it ever reads it.
    scale = np.empty(n) if settings.diag is None else settings.diag
    evaluator = hybrid_evaluator(func, fprime, args, n, bool(col_deriv), settings)
    njev: int | None = None
    with evaluator:
        if fprime is None:
            ml, mu = settings.ml_mu(n)
            x, fvec, info, nfev, fjac, r, qtf = hybrd(
                HYBRD_FCN, x0, fvec, settings.xtol, settings.maxfev, ml, mu, settings.step_epsilon(dtype),
                scale, settings.mode, settings.factor, settings.nprint,
            )  # fmt: skip
        else:
            x, fvec, fjac, info, nfev, njev, r, qtf = hybrj(
                HYBRJ_FCN, x0, fvec, settings.xtol, settings.maxfev, scale, settings.mode, settings.factor,
                settings.nprint,
            )  # fmt: skip
    if raise_stored_error(evaluator):  # the guard stopped the solve quietly (allow_nonfinite)
        info = IER_NONFINITE
    if info in (IMPROPER_INPUT, IER_NONFINITE):
        # Allocated unfilled: MINPACK refused its input before writing them, or
        # was stopped before it had factored a Jacobian free of nan and inf.
        for output in (fjac, r, qtf):
            output[...] = 0
    return HybridSolution(x, fvec, info, nfev + 1, njev, fjac.T, r, qtf, settings)


def _compiled_hybrid(
    compiled: CompiledSolve, x0: NDArray[Any], settings: SolverSettings, outputs: bool
) -> HybridSolution:
    """:func:`solve_hybrid` for a :class:`Compiled` ``func`` with ``m == n``: the solve runs in native.c, GIL released.

    ``x0`` is 1-D and real, and not copied: the C entry copies it, checking
    in the same pass that it is finite.  ``nfev`` is MINPACK's count: no
    checking call is made, so that is every call of ``func``.
    """
    n = len(x0)
    if compiled.func.m != n:
        raise ValueError(
            f"fsolve: the Compiled func computes m={compiled.func.m} values for n={n} unknowns; m must equal n."
        )
    # MINPACK's x is a float64 copy of x0, made and checked finite in C (None: it is not).
    result = native_hybrid(compiled.functions, x0, settings, outputs)
    if result is None:
        refuse_nonfinite_start(x0)
    x, fvec, fjac, r, qtf, info, nfev, njev, stop = result
    if stop is not None:
        raise_compiled_stop(compiled, stop, x, nfev, njev, settings, checker="fsolve", jacobian_name="fprime")
        info = IER_NONFINITE
        for output in (fjac, r, qtf) if outputs else ():
            output[...] = 0
    return HybridSolution(x, fvec, info, nfev, njev if compiled.has_jacobian else None, fjac, r, qtf, settings)
