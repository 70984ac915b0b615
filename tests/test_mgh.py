"""pyminpack.leastsq against MINPACK's own test drivers on the MGH problems.

``tests/data/mgh_reference.json`` holds what MINPACK's test drivers for
LMDER1 and LMDIF1 (netlib ``ex/file17``, ``ex/file19``) report for the 53 runs
of the 18 Moré–Garbow–Hillstrom problems in their data (``ex/file22``); see
``tests/data/README.md``. Each run is repeated here with ``pyminpack.leastsq``
and the easy drivers' settings, with `Dfun` (lmder, against LMDER1) and
without (lmdif, against LMDIF1).

The problems are :mod:`mgh`, a translation of the drivers' Fortran that
returns the same bits, so the solver sees what it saw in the drivers and must
take the same path: evaluation counts and exit codes are compared exactly.
The final norm and ``x`` are compared to within rounding; bit-for-bit
agreement with netlib MINPACK is the subject of
``test_libminpack_oracle.py``.
"""

import mgh
import numpy as np
import pytest

import pyminpack

REFERENCE = mgh.driver_reference()
TOL = mgh.DRIVER_TOL

#: Final residual norms agree to this relative tolerance, or to the absolute
#: one for norms at (or rounding away from) zero.
NORM_RTOL, NORM_ATOL = 1e-10, 1e-14
#: Final ``x`` agrees componentwise to these tolerances.
X_RTOL, X_ATOL = 1e-10, 1e-14


def _check_solution(x, infodict, ref):
    norm = np.linalg.norm(infodict["fvec"])
    assert norm == pytest.approx(ref["fnorm"], rel=NORM_RTOL, abs=NORM_ATOL)
    np.testing.assert_allclose(x, ref["x"], rtol=X_RTOL, atol=X_ATOL)


def test_reference_has_exactly_the_driver_runs():
    assert list(REFERENCE) == list(mgh.CASES)


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_with_dfun_matches_lmder1_driver(case):
    ref = REFERENCE[case]["lmder1"]  # a missing run is a KeyError, not a skip
    x, _, infodict, _, ier = pyminpack.leastsq(
        mgh.residuals,
        case.x0,
        args=case.args,
        Dfun=mgh.jacobian,
        full_output=True,
        ftol=TOL,
        xtol=TOL,
        gtol=0.0,
        maxfev=100 * (case.n + 1),
    )
    # The driver counts FCN calls with IFLAG = 1 and 2: lmder's nfev and njev.
    assert (infodict["nfev"], infodict["njev"]) == (ref["nfev"], ref["njev"])
    assert mgh.driver_info(ier) == ref["info"]
    _check_solution(x, infodict, ref)


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_without_dfun_matches_lmdif1_driver(case):
    ref = REFERENCE[case]["lmdif1"]
    x, _, infodict, _, ier = pyminpack.leastsq(
        mgh.residuals,
        case.x0,
        args=case.args,
        full_output=True,
        ftol=TOL,
        xtol=TOL,
        gtol=0.0,
        maxfev=200 * (case.n + 1),
        epsfcn=0.0,
    )
    # lmdif's nfev counts every call, the n per forward-difference Jacobian
    # included; the driver counts those apart, as Jacobians, in njev.
    assert infodict["nfev"] == ref["nfev"] + case.n * ref["njev"]
    assert mgh.driver_info(ier) == ref["info"]
    _check_solution(x, infodict, ref)
