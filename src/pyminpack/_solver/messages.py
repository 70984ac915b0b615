"""MINPACK's INFO codes as ``scipy.optimize.leastsq`` reports them.

The table is data: one entry per INFO value that ``lmdif``/``lmder`` can
return (and pyminpack's :data:`IER_NONFINITE`), holding the message template (SciPy's wording, which paraphrases the
INFO section of ``lmdif.f``) and the exception class SciPy associates with it.
Templates are formatted with the tolerances and ``maxfev`` of the call, and
the name of the Jacobian's argument (``Dfun``, ``leastsq_rows``' ``jac_rows``).
"""

from __future__ import annotations

from typing import NamedTuple

from .._native import IER_NONFINITE as _IER_NONFINITE

#: pyminpack's own ending, not MINPACK's: with ``allow_nonfinite=True`` the
#: non-finite guard stopped MINPACK where it would have built on nan or inf
#: (the residuals at the start, or a Jacobian) -- fit_many's ``ier`` for the
#: same stop.  Why it stops there rather than let MINPACK run on: see
#: ``_callbacks.nonfinite_handler``.
IER_NONFINITE: int = _IER_NONFINITE

#: INFO values meaning the solver converged.
LEASTSQ_SUCCESS = (1, 2, 3, 4)
#: INFO values meaning the solver stopped without converging (warned about).
LEASTSQ_FAILURE = (5, 6, 7, 8, IER_NONFINITE)
#: INFO value for improper input parameters (raised without ``full_output``).
IMPROPER_INPUT = 0


class Outcome(NamedTuple):
    """What one INFO value means: message template and associated exception."""

    template: str
    error: type[Exception] | None


OUTCOMES: dict[int, Outcome] = {
    0: Outcome("Improper input parameters.", TypeError),
    1: Outcome(
        "Both actual and predicted relative reductions in the sum of squares\n  are at most {ftol:f}",
        None,
    ),
    2: Outcome(
        "The relative error between two consecutive iterates is at most {xtol:f}",
        None,
    ),
    3: Outcome(
        "Both actual and predicted relative reductions in "
        "the sum of squares\n  are at most {ftol:f} and the "
        "relative error between two consecutive "
        "iterates is at \n  most {xtol:f}",
        None,
    ),
    4: Outcome(
        "The cosine of the angle between func(x) and any "
        "column of the\n  Jacobian is at most {gtol:f} in "
        "absolute value",
        None,
    ),
    5: Outcome("Number of calls to function has reached maxfev = {maxfev}.", ValueError),
    6: Outcome(
        "ftol={ftol:f} is too small, no further reduction in the sum of squares\n  is possible.",
        ValueError,
    ),
    7: Outcome(
        "xtol={xtol:f} is too small, no further improvement in the approximate\n  solution is possible.",
        ValueError,
    ),
    8: Outcome(
        "gtol={gtol:f} is too small, func(x) is orthogonal to the columns of\n  the Jacobian to machine precision.",
        ValueError,
    ),
    IER_NONFINITE: Outcome(
        "func or {jacobian} returned nan or inf where MINPACK would build on it (at the starting point\n"
        "  or in a Jacobian); the solve was stopped there.",
        ValueError,
    ),
}


def leastsq_message(
    info: int, *, ftol: float, xtol: float, gtol: float, maxfev: int, jacobian_name: str = "Dfun"
) -> str:
    """Return SciPy's message for a MINPACK INFO value.

    Parameters
    ----------
    info : int
        INFO returned by ``lmdif``/``lmder``, 0 to 8, or :data:`IER_NONFINITE`.
    ftol, xtol, gtol : float
        The tolerances the solve ran with.
    maxfev : int
        The evaluation limit the solve ran with (after defaults).
    jacobian_name : str, optional
        The Jacobian's argument, named in the message of :data:`IER_NONFINITE`.

    Returns
    -------
    str
        The message, character for character as ``scipy.optimize.leastsq``
        words it.

    Examples
    --------
    >>> print(leastsq_message(2, ftol=1e-8, xtol=1e-8, gtol=0.0, maxfev=800))
    The relative error between two consecutive iterates is at most 0.000000
    """
    return OUTCOMES[info].template.format(ftol=ftol, xtol=xtol, gtol=gtol, maxfev=maxfev, jacobian=jacobian_name)


# ---- fsolve and root(method='hybr'): hybrd's and hybrj's INFO ------------

#: The INFO value of hybrd/hybrj's convergence, the only success.
HYBRID_SUCCESS = 1
#: INFO values meaning the solver stopped without converging (warned about by fsolve).
HYBRID_FAILURE = (2, 3, 4, 5, IER_NONFINITE)

#: SciPy 1.14.1's messages for hybrd's and hybrj's INFO (its ``_root_hybr``),
#: formatted with the ``xtol`` and ``maxfev`` of the call; fsolve raises
#: TypeError for the others (INFO 0).  SciPy >= 1.15 has one space, not two,
#: after each line break.
HYBRID_MESSAGES: dict[int, str] = {
    0: "Improper input parameters were entered.",
    1: "The solution converged.",
    2: "The number of calls to function has reached maxfev = {maxfev}.",
    3: "xtol={xtol:f} is too small, no further improvement in the approximate\n  solution is possible.",
    4: "The iteration is not making good progress, as measured by the \n"
    "  improvement from the last five Jacobian evaluations.",
    5: "The iteration is not making good progress, as measured by the \n  improvement from the last ten iterations.",
    IER_NONFINITE: "func or fprime returned nan or inf where MINPACK would build on it; the solve was stopped there.",
}


def hybrid_message(info: int, *, xtol: float, maxfev: int) -> str:
    """Return SciPy's fsolve/root message for a hybrd/hybrj INFO value.

    Parameters
    ----------
    info : int
        INFO returned by ``hybrd``/``hybrj``, 0 to 5, or :data:`IER_NONFINITE`.
    xtol : float
        The tolerance the solve ran with.
    maxfev : int
        The evaluation limit the solve ran with (after defaults).

    Examples
    --------
    >>> hybrid_message(2, xtol=1.49012e-08, maxfev=600)
    'The number of calls to function has reached maxfev = 600.'
    """
    return HYBRID_MESSAGES[info].format(xtol=xtol, maxfev=maxfev)
