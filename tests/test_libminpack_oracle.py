"""pyminpack.leastsq against Debian's libminpack1, bit for bit.

libminpack1 is netlib MINPACK as Debian compiles it, called here through
ctypes (:mod:`libminpack`). pyminpack wraps the same Fortran, so on the same
problem with the same settings it must return exactly what libminpack
returns: the same evaluation counts, exit code, ``x``, residuals and
``fjac``/``ipvt``/``qtf``, to the last bit. The problems are the 53 MGH runs
of :mod:`mgh`, each solved with lmder (`Dfun` given) and lmdif (forward
differences), with ``scipy.optimize.leastsq``'s default settings, which
pyminpack shares. (Every other setting, and ``cov_x``, on a subset of these
runs: ``test_libminpack_settings.py``.)

The module also checks its own footing: :mod:`mgh` driven by libminpack with
the easy drivers' settings replays MINPACK's test drivers
(``tests/data/mgh_reference.json``) exactly, which shows that the Python
translation of the problems returns the Fortran's bits.

Where the installed libminpack was compiled with fused multiply-adds (Debian's
arm64 build: gcc contracts ``a*b + c`` by default there), it cannot give the
bits that pyminpack gives on every CPU. :func:`libminpack.load` detects that
with a probe of its ``enorm``, and these tests then compare with libminpack's
results recorded on x86-64 (``tests/data/libminpack_x86_64.json.gz``);
pytest's header line says which oracle ran, and why. On x86-64 every result
is also checked against its recording, so the recordings stay current.
"""

import libminpack
import mgh
import numpy as np
import pytest

import pyminpack

LIB = libminpack.load_or_skip()

#: The easy drivers' settings (LMDER1, LMDIF1: ``factor`` is 100, the default).
DRIVER_SETTINGS = {"ftol": mgh.DRIVER_TOL, "xtol": mgh.DRIVER_TOL, "gtol": 0.0}

REFERENCE = mgh.driver_reference()


def _libminpack(case, jacobian, **settings):
    """libminpack's lmder (with `jacobian`) or lmdif on `case`; leastsq's defaults for the rest."""
    return libminpack.leastsq_oracle(
        LIB, mgh.residuals, case.x0, case.m, case.args, mgh.jacobian if jacobian else None, **settings
    )


@pytest.mark.parametrize("jacobian", [True, False], ids=["lmder", "lmdif"])
@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_leastsq_matches_libminpack(case, jacobian):
    output = pyminpack.leastsq(
        mgh.residuals, case.x0, args=case.args, Dfun=mgh.jacobian if jacobian else None, full_output=True
    )
    libminpack.assert_leastsq_matches(output, _libminpack(case, jacobian), check_cov_x=False)


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_mgh_replays_lmder1_driver(case):
    ref = REFERENCE[case]["lmder1"]
    got = _libminpack(case, True, **DRIVER_SETTINGS)
    assert (got.nfev, got.njev, mgh.driver_info(got.info)) == (ref["nfev"], ref["njev"], ref["info"])
    libminpack.assert_same_bits(got.x, np.array(ref["x"]))


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_mgh_replays_lmdif1_driver(case):
    ref = REFERENCE[case]["lmdif1"]
    got = _libminpack(case, False, **DRIVER_SETTINGS, epsfcn=0.0)
    # See test_mgh.py: the driver's njev counts forward-difference Jacobians.
    assert (got.nfev, mgh.driver_info(got.info)) == (ref["nfev"] + case.n * ref["njev"], ref["info"])
    libminpack.assert_same_bits(got.x, np.array(ref["x"]))
