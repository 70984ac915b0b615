"""What ``leastsq`` returns, made from MINPACK's outputs (shared by both paths)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .covariance import covariance_from_qr
from .messages import IER_NONFINITE, IMPROPER_INPUT, LEASTSQ_FAILURE, LEASTSQ_SUCCESS, OUTCOMES, leastsq_message
from .settings import SolverSettings


def leastsq_result(
    x: NDArray[np.float64],
    fvec: NDArray[np.float64],
    fjac: NDArray[np.float64],
    ipvt: NDArray[np.intc],
    qtf: NDArray[np.float64],
    counts: dict[str, int],
    info: int,
    settings: SolverSettings,
    *,
    full_output: bool,
    stacklevel: int,
    jacobian_name: str = "Dfun",
) -> tuple[Any, ...]:
    """Return ``leastsq``'s result; warn for INFO 5 to 8, raise for 0.

    Parameters
    ----------
    x, fvec, qtf : ndarray
        MINPACK's outputs.
    fjac : ndarray, shape (n, m)
        MINPACK's ``fjac``, transposed (SciPy's layout).
    ipvt : ndarray of int
        MINPACK's 1-based column permutation; made 0-based in place, as
        SciPy >= 1.15 returns it.
    counts : dict
        ``{'nfev': ...}``, plus ``'njev'`` with a Jacobian.
    info : int
        MINPACK's INFO, or ``IER_NONFINITE``.
    settings : SolverSettings
        The solve's settings, for the message.
    full_output : bool
        Return the five-tuple instead of ``(x, ier)``.
    stacklevel : int
        Of the ``RuntimeWarning``, so that it points at the user's call.
    jacobian_name : str, optional
        The Jacobian's argument, for the message of ``IER_NONFINITE``
        (``leastsq_rows``' ``jac_rows``).

    Returns
    -------
    tuple
        ``(x, ier)``, or ``(x, cov_x, infodict, mesg, ier)``.

    Raises
    ------
    TypeError
        INFO 0 ("Improper input parameters.") without ``full_output``.

    Examples
    --------
    >>> import numpy as np
    >>> result = leastsq_result(
    ...     np.ones(1), np.zeros(2), np.array([[2.0, 0.0]]), np.array([1], dtype=np.intc), np.zeros(1),
    ...     {"nfev": 3}, 2, SolverSettings.check(1, has_jacobian=False), full_output=True, stacklevel=2)
    >>> result[1], result[2]["ipvt"], result[4]
    (array([[0.25]]), array([0], dtype=int32), 2)
    """
    if not full_output and info in LEASTSQ_SUCCESS:
        return x, info  # the common ending: nothing more to make
    mesg = leastsq_message(
        info,
        ftol=settings.ftol,
        xtol=settings.xtol,
        gtol=settings.gtol,
        maxfev=settings.maxfev,
        jacobian_name=jacobian_name,
    )
    if full_output:
        # Allocated unfilled: MINPACK refused its input before writing them, or
        # was stopped before factoring the Jacobian it was forming.
        if info in (IMPROPER_INPUT, IER_NONFINITE):
            for output in (fjac, ipvt, qtf):
                output[...] = 0
        ipvt -= 1
        cov_x = covariance_from_qr(fjac, ipvt) if info in LEASTSQ_SUCCESS else None
        infodict = {"fvec": fvec, **counts, "fjac": fjac, "ipvt": ipvt, "qtf": qtf}
        return x, cov_x, infodict, mesg, info
    error = OUTCOMES[info].error
    if info in LEASTSQ_FAILURE:  # SciPy warns here, though its table names ValueError
        warnings.warn(mesg, RuntimeWarning, stacklevel=stacklevel + 1)
    elif error is not None:  # INFO 0: the table's TypeError
        raise error(mesg)
    return x, info
